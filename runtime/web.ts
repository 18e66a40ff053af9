/**
 * The adapter for any other runtime (a browser, a worker, an edge
 * runtime): nothing to listen, connect or write with, no process to watch.
 * Timers run as they are, and runtime stats publish only what needs no
 * runtime (start time, uptime, event-loop delay).
 *
 * @module
 */

import type { RuntimeAdapter } from "./adapter.ts";

function missing(what: string): Error {
  return new Error(
    `${what} needs Deno, Node (20.16 or later) or Bun; this runtime has none of them`,
  );
}

function unavailable(what: string): Promise<never> {
  return Promise.reject(missing(what));
}

/** The adapter where neither Deno, Node nor Bun is found. */
export function webAdapter(): RuntimeAdapter {
  return {
    name: "unknown",
    version: "",
    listen: () => unavailable("listening for HTTP"),
    connect: () => unavailable("a TCP connection"),
    writeFileAtomic: () => unavailable("writing a file"),
    writeFileAtomicSync() {
      throw missing("writing a file");
    },
    onExit: () => () => {},
    unref: () => {},
    env: () => undefined,
    hostname: () => undefined,
    memory: undefined,
    cpu: undefined,
    loopTimes: undefined,
    observeGc: undefined,
  };
}
