/**
 * Crash forensics in a real child process of the same runtime (`deno run`
 * or `node`): after an uncaught error, an unhandled rejection, SIGTERM or a
 * normal exit, the dump file is valid JSON holding the last stats.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno === "object";
/** The package (Deno: mod.ts through deno.json; Node: the built package's exports). */
const CORE = import.meta.resolve("@scales/core");

interface ChildResult {
  code: number | null;
  signal: string | null;
  dump: Record<string, unknown>;
  /** `second.json` in the child's folder, when the body wrote one. */
  second: Record<string, unknown> | undefined;
  stderr: string;
}

/** Runs `body` in a child process with a dumper on `stats.json`; returns the dump and status. */
async function runChild(
  body: string,
  signal?: "SIGTERM",
  options = "{ periodMs: 60_000 }",
): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), "scales-crash-"));
  const path = join(dir, "stats.json");
  const script = join(dir, IS_DENO ? "main.ts" : "main.mjs");
  writeFileSync(
    script,
    `import { collection, IntStat, PeriodicFileDumper } from ${JSON.stringify(CORE)};
const STATS = collection("/app", IntStat("requests"), IntStat("step"));
const dumper = new PeriodicFileDumper(${JSON.stringify(path)}, ${options});
await dumper.start();
STATS.requests = 41;
${body}
`,
  );
  const args = IS_DENO ? ["run", "--no-config", "-A", script] : [script];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => stderr += chunk);
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    child.on("close", (code, signal) => resolve([code, signal]))
  );
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
    if (signal !== undefined && stdout.includes("ready")) child.kill(signal);
  });
  const [code, signalled] = await exited;
  clearTimeout(killer);
  try {
    const dump = JSON.parse(readFileSync(path, "utf8"));
    let second: Record<string, unknown> | undefined;
    try {
      second = JSON.parse(readFileSync(join(dir, "second.json"), "utf8"));
    } catch {
      second = undefined;
    }
    return { code, signal: signalled, dump, second, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("PeriodicFileDumper at a crash", () => {
  it("holds the last stats after an uncaught error", async () => {
    const { code, dump, stderr } = await runChild(
      `setTimeout(() => { STATS.requests = 42; STATS.step = 1; throw new Error("boom"); }, 20);`,
    );
    assert.notEqual(code, 0);
    assert.match(stderr, /boom/);
    assert.deepEqual(dump.app, { requests: 42, step: 1 });
    assert.equal(typeof dump["last-updated"], "string");
  });

  it("of a joined tree, holds this worker's last stats with the others' as of the last view", async () => {
    const { code, dump } = await runChild(
      `import { joinWorkers, StatTree } from ${JSON.stringify(CORE)};
const self = joinWorkers({ group: "crash-merged", name: "self" });
const peerTree = new StatTree();
const PEER = peerTree.collection("/app", IntStat("requests"), IntStat("step"));
const peer = joinWorkers({ tree: peerTree, group: "crash-merged", name: "peer" });
await Promise.all([self.ready, peer.ready]);
PEER.requests = 10;
await dumper.dump(); // a view: the peer's 10 is known
PEER.requests = 20; // after the last view: the dump at exit cannot ask for it
setTimeout(() => { STATS.requests = 42; STATS.step = 1; throw new Error("boom"); }, 20);`,
    );
    assert.notEqual(code, 0);
    assert.deepEqual(dump.app, { requests: 52, step: 1 });
    const workers = (dump.scales as { workers: Record<string, unknown> }).workers;
    assert.equal(workers.answeredBy, "self");
    assert.equal(typeof workers.othersAgeMs, "number");
  });

  it("holds the last stats after an unhandled rejection", async () => {
    const { code, dump } = await runChild(
      `setTimeout(() => { STATS.requests = 43; Promise.reject(new Error("nope")); }, 20);`,
    );
    assert.notEqual(code, 0);
    assert.deepEqual(dump.app, { requests: 43, step: 0 });
  });

  it("holds the last stats after SIGTERM, and exits with 143 (128 + SIGTERM)", async () => {
    const { code, signal, dump } = await runChild(
      `STATS.requests = 44;
setInterval(() => {}, 1000);
console.log("ready");`,
      "SIGTERM",
    );
    assert.deepEqual(dump.app, { requests: 44, step: 0 });
    // The handler exits with 128 + 15; Deno's node:child_process reports such a code as the signal.
    assert.ok(
      (code === 143 && signal === null) || (code === null && signal === "SIGTERM"),
      `exit ${code}, signal ${signal}`,
    );
  });

  it("exits on SIGTERM with two dumpers, each file holding the last stats", async () => {
    const { code, signal, dump, second } = await runChild(
      `const second = new PeriodicFileDumper("second.json", { periodMs: 60_000 });
await second.start();
STATS.requests = 46;
setInterval(() => {}, 1000);
console.log("ready");`,
      "SIGTERM",
    );
    assert.ok(
      (code === 143 && signal === null) || (code === null && signal === "SIGTERM"),
      `exit ${code}, signal ${signal}`,
    );
    assert.deepEqual(dump.app, { requests: 46, step: 0 });
    assert.deepEqual(second?.app, { requests: 46, step: 0 });
  });

  it("with signals: false, leaves SIGTERM to the application's graceful shutdown", async () => {
    const { code, signal, dump, stderr } = await runChild(
      `import process from "node:process";
process.on("SIGTERM", async () => {
  STATS.step = 7; // the application drains, then stops the dumper, which writes a last dump
  await dumper.stop();
  process.exit(0);
});
setInterval(() => {}, 1000);
// node:process arms its signal listener asynchronously on Deno; give it a moment.
setTimeout(() => console.log("ready"), 200);`,
      "SIGTERM",
      "{ periodMs: 60_000, signals: false }",
    );
    // step 7 shows the application's handler ran to its end before the process ended.
    assert.deepEqual(dump.app, { requests: 41, step: 7 }, stderr);
    // It exited 0; Deno's node:child_process reports a child it sent a signal to as signalled.
    assert.ok(
      (code === 0 && signal === null) || (IS_DENO && code === null && signal === "SIGTERM"),
      `exit ${code}, signal ${signal}`,
    );
    assert.deepEqual(dump.app, { requests: 41, step: 7 });
  });

  it("holds the last stats after a normal exit", async () => {
    const { code, dump } = await runChild(`STATS.requests = 45;`);
    assert.equal(code, 0);
    assert.deepEqual(dump.app, { requests: 45, step: 0 });
  });
});
