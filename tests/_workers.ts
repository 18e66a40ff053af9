/**
 * Helpers for the tests of groups of workers: plain HTTP/1.0 requests, each
 * on a new connection (so the kernel spreads them over the workers that
 * share a port), and waiting for a server to answer.
 *
 * @module
 */

import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import type { PmfSnapshot } from "@scales/core";

/** GET `path` from 127.0.0.1:`port` on a new connection; rejects after `timeoutMs`. */
export function rawGet(
  port: number,
  path: string,
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`GET ${path} on port ${port}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const status = Number(text.slice(9, 12));
      const start = text.indexOf("\r\n\r\n");
      resolve({ status, body: start < 0 ? "" : text.slice(start + 4) });
    });
  });
}

/** Retries `GET path` until it answers 200, for at most `timeoutMs`; returns the body. */
export async function waitFor(port: number, path: string, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const { status, body } = await rawGet(port, path, 2000);
      if (status === 200) return body;
      last = `status ${status}: ${body}`;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing answered GET ${path} on port ${port} within ${timeoutMs} ms: ${last}`);
}

/** The merged view's JSON from the viewer at `port`. */
export async function mergedJson(port: number, path = "/status/?format=json"): Promise<MergedView> {
  const { status, body } = await rawGet(port, path);
  if (status !== 200) throw new Error(`viewer answered ${status}: ${body}`);
  return JSON.parse(body) as MergedView;
}

/** What the test apps' merged view holds. */
export interface MergedView {
  readonly web: { readonly requests: number; readonly latency: PmfSnapshot };
  readonly scales: {
    readonly workers: {
      readonly live: number;
      readonly departed: number;
      readonly missing: string;
      readonly answeredBy: string;
    };
  };
}

/** The latency fields a merged distribution must share exactly with one fed every sample. */
export const EXACT_FIELDS = [
  "count",
  "sum",
  "min",
  "max",
  "median",
  "75percentile",
  "95percentile",
  "98percentile",
  "99percentile",
  "999percentile",
] as const;

/**
 * Kills a server process group's leader outright and waits (at most 10 s)
 * for it to exit: `deno serve` with open resources outlives SIGTERM.
 */
export async function killServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([exited, new Promise((resolve) => timer = setTimeout(resolve, 10_000))]);
  clearTimeout(timer);
}
