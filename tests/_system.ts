/**
 * What integration tests need from the system, written with `node:*` APIs
 * so the same tests run on Deno and on Node: free ports, external binaries
 * (skipped loudly when missing, required on CI), temporary folders and
 * child processes.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** Whether the tests run on CI (`CI=true`), where a missing binary fails instead of skipping. */
export const ON_CI: boolean = process.env.CI === "true";

/** Whether `path` is an executable file. */
export async function hasBinary(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `skip` option for a test that needs the binaries `paths`: `false` when
 * they all exist; a reason (and a loud warning) when one is missing; and on
 * CI `false` anyway, so the test runs and fails.
 */
export async function skipUnless(...paths: string[]): Promise<string | false> {
  for (const path of paths) {
    if (await hasBinary(path)) continue;
    if (ON_CI) return false;
    const reason = `SKIPPED: ${path} is not installed (required when CI=true)`;
    console.warn(`\n*** ${reason} ***\n`);
    return reason;
  }
  return false;
}

/** A free loopback TCP port (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A new temporary folder whose name starts with `prefix`. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a folder and everything in it; a missing folder is fine. */
export function removeDir(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true });
}

/** Runs a command to completion with `input` on its stdin; returns its exit code and output. */
export function run(
  command: string,
  args: readonly string[],
  input = "",
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(input);
  });
}

/**
 * Stops a child process: SIGTERM, then SIGKILL if it has not exited within
 * `graceMs`. Resolves once it has exited.
 */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
