/**
 * {@linkcode serveInBackground}: the stats viewer on its own port, beside
 * the application, through the runtime adapter's `listen` (`Deno.serve` on
 * Deno, `Bun.serve` on Bun, `node:http` on Node).
 *
 * @module
 */

import { groupOf } from "../src/_group_registry.ts";
import { log } from "../src/log.ts";
import { defaultTree } from "../src/tree.ts";
import { type ListenAddr, type Listener, runtime, unrefInterval } from "../runtime/mod.ts";
import { groupStatsHandler } from "./group_handler.ts";
import { statsHandler, type StatsHandlerOptions } from "./handler.ts";

export type { ListenAddr } from "../runtime/mod.ts";

/** Options of {@linkcode serveInBackground}: the handler's, and where to listen. */
export interface ServeOptions extends StatsHandlerOptions {
  /**
   * The address to bind (default `"127.0.0.1"`, loopback only). Binding
   * elsewhere (`"0.0.0.0"`) exposes the stats to the network: pair it with
   * `authorize`, such as `bearerToken(secret)`.
   */
  readonly hostname?: string;
  /** Stops the server when aborted. */
  readonly signal?: AbortSignal;
}

/** A running viewer server. `await using` shuts it down at the end of the scope. */
export interface StatsServer extends AsyncDisposable {
  /** The bound address; the port is the one picked when `0` was asked for. */
  readonly addr: ListenAddr;
  /** The viewer's root page, such as `http://127.0.0.1:8765/status/`. */
  readonly url: string;
  /** Settles once the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting, closes connections, and resolves once stopped. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** Whether an error from a runtime's listen means the address is taken. */
function isAddrInUse(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    (error as { code?: unknown }).code === "EADDRINUSE";
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Serves the stats viewer ({@linkcode statsHandler}) on `port` and resolves
 * as soon as it listens, with a handle to stop it. Port `0` picks a free
 * port (read it from `addr.port`). Binds loopback unless `hostname` says
 * otherwise. Rejects with an error naming the port when it is already in
 * use, and with a `RangeError` for a port outside 0–65535.
 *
 * For a tree that has joined a group of workers (`joinWorkers`), every
 * answer shows the whole group, and a port already taken (by a sibling
 * worker) is not an error: this worker stands by, retrying every 2 s, and
 * takes the port over if the sibling that held it is gone.
 *
 * @example Serve the viewer on a free port, then stop it
 * ```ts
 * import { serveInBackground } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * await using server = await serveInBackground(0, { serverName: "example" });
 * const response = await fetch(`${server.url}?format=json`);
 * assert.deepEqual(response.status, 200);
 * await response.body?.cancel();
 * ```
 */
export async function serveInBackground(
  port: number,
  options: ServeOptions = {},
): Promise<StatsServer> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`);
  }
  const hostname = options.hostname ?? "127.0.0.1";
  options.signal?.throwIfAborted();
  if (!LOOPBACK.has(hostname) && options.authorize === undefined) {
    log(`stats viewer listens on ${hostname}, beyond loopback, without an authorize hook`);
  }
  const group = groupOf(options.tree ?? defaultTree);
  const handler = group === undefined ? statsHandler(options) : groupStatsHandler(group, options);
  let listener: Listener;
  try {
    listener = await runtime().listen({ hostname, port, handler });
  } catch (error) {
    if (isAddrInUse(error) && group !== undefined && port !== 0) {
      listener = standBy(() => runtime().listen({ hostname, port, handler }), hostname, port);
    } else if (isAddrInUse(error)) {
      throw new Error(
        `cannot serve stats on ${hostname}:${port}: port ${port} is already in use; pick another port, or 0 for a free one`,
        { cause: error },
      );
    } else {
      throw new Error(
        `cannot serve stats on ${hostname}:${port}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
  }
  const { addr } = listener;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => stopping ??= listener.shutdown();
  const signal = options.signal;
  if (signal !== undefined) {
    const onAbort = () => {
      shutdown().catch((error) => log("stats viewer: shutdown failed", error));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    listener.finished.finally(() => signal.removeEventListener("abort", onAbort));
  }
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const prefix = options.prefix ?? "/status/";
  return {
    addr,
    url: `http://${host}:${addr.port}${prefix.endsWith("/") ? prefix : `${prefix}/`}`,
    finished: listener.finished,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

/**
 * A listener for a port a sibling worker holds: it retries every 2 s and
 * serves once the port is free, until shut down.
 */
function standBy(take: () => Promise<Listener>, hostname: string, port: number): Listener {
  let current: Listener | undefined;
  let stopped = false;
  let stop!: () => void;
  const finished = new Promise<void>((resolve) => stop = resolve);
  const timer = unrefInterval(() => {
    if (current !== undefined || stopped) return;
    // An adapter may throw rather than reject (Deno.serve throws AddrInUse at
    // once): thrown here, in a timer, it would kill the worker.
    Promise.resolve().then(take).then((listener) => {
      if (stopped) return listener.shutdown();
      current = listener;
      clearInterval(timer);
      listener.finished.then(stop, stop);
    }, (error) => {
      if (!isAddrInUse(error)) log(`stats viewer: cannot take over ${hostname}:${port}`, error);
    });
  }, 2000);
  return {
    addr: { hostname, port },
    finished,
    shutdown: async () => {
      stopped = true;
      clearInterval(timer);
      if (current !== undefined) await current.shutdown();
      stop();
    },
  };
}
