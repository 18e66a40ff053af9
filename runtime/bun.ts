/**
 * The Bun adapter: `Bun.serve` to listen (about 1.5x the requests a second
 * of Bun's `node:http`, at two thirds of the CPU per request), `Bun.version`
 * for the name, and the Node adapter's parts for the rest, where Bun's
 * `node:*` measured as good as its native API: `node:net` to connect (the
 * same throughput as `Bun.connect`, and it brings the abort and write
 * buffering `Bun.connect` lacks), `node:fs` to write (as fast as
 * `Bun.write`, and the sync write at exit needs it anyway). Figures:
 * `bench/README.md`, "Runtime adapters". It reads `Bun` through
 * `globalThis` with minimal structural types, so it type-checks without
 * Bun's types.
 *
 * Left out on Bun, as of 1.4: event-loop utilization
 * (`performance.eventLoopUtilization()` answers zero) and garbage-collection
 * pauses (no `gc` performance entries).
 *
 * @module
 */

import { log } from "../src/log.ts";
import type { Listener, ListenOptions, RuntimeAdapter } from "./adapter.ts";
import { nodeAdapter } from "./node.ts";

interface BunServer {
  readonly port: number;
  readonly hostname: string;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

/** The members of the `Bun` global the adapter uses. */
interface BunApi {
  readonly version: string;
  serve(options: {
    hostname: string;
    port: number;
    development: boolean;
    reusePort: boolean;
    fetch(request: Request): Response | Promise<Response>;
    error(error: Error): Response;
  }): BunServer;
}

function bun(): BunApi {
  return (globalThis as unknown as { Bun: BunApi }).Bun;
}

/** `Bun.serve`; rejects with Bun's error (such as `EADDRINUSE`) when it cannot bind. */
export function bunListen({ hostname, port, handler }: ListenOptions): Promise<Listener> {
  let server: BunServer;
  try {
    server = bun().serve({
      hostname,
      port,
      // Never Bun's development error page (it shows the stack to the client).
      development: false,
      // Bun turns SO_REUSEPORT on with `development: false`: a second server
      // on a taken port would then share it silently instead of failing.
      reusePort: false,
      fetch: handler,
      error(error) {
        log("http listener: handler failed", error);
        return new Response("internal error", { status: 500 });
      },
    });
  } catch (error) {
    return Promise.reject(error);
  }
  let resolveFinished!: () => void;
  const finished = new Promise<void>((done) => (resolveFinished = done));
  let stopping: Promise<void> | undefined;
  return Promise.resolve({
    addr: { hostname: server.hostname, port: server.port },
    finished,
    shutdown: () => stopping ??= server.stop(true).then(() => resolveFinished()),
  });
}

/** The Bun adapter; call it only on Bun (the selector does). */
export function bunAdapter(): RuntimeAdapter {
  return {
    ...nodeAdapter(),
    name: "Bun",
    version: bun().version,
    listen: bunListen,
    // Bun answers zero for both: leave the stats out rather than publish zeros.
    loopTimes: undefined,
    observeGc: undefined,
  };
}
