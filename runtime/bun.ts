/**
 * The Bun adapter: `Bun.serve` to listen, `Bun.version` for the name, and
 * the Node adapter's parts where Bun's `node:*` is as good (see
 * `bench/README.md`, "Runtime adapters", for the figures behind each
 * choice). It reads `Bun` through `globalThis` with minimal structural
 * types, so it type-checks without Bun's types.
 *
 * Left out on Bun, as of 1.4: event-loop utilization
 * (`performance.eventLoopUtilization()` answers zero) and garbage-collection
 * pauses (no `gc` performance entries).
 *
 * @module
 */

import { log } from "../src/log.ts";
import type { Connection, Listener, ListenOptions, RuntimeAdapter } from "./adapter.ts";
import { nodeAdapter } from "./node.ts";

interface BunServer {
  readonly port: number;
  readonly hostname: string;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  unref(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}

interface BunSocketHandler {
  open?(socket: BunSocket): void;
  data?(socket: BunSocket, data: Uint8Array): void;
  drain?(socket: BunSocket): void;
  close?(socket: BunSocket, error?: Error): void;
  end?(socket: BunSocket): void;
  error?(socket: BunSocket, error: Error): void;
  connectError?(socket: BunSocket, error: Error): void;
}

/** The members of the `Bun` global the adapter uses. */
interface BunApi {
  readonly version: string;
  serve(options: {
    hostname: string;
    port: number;
    development: boolean;
    fetch(request: Request): Response | Promise<Response>;
    error(error: Error): Response;
  }): BunServer;
  connect(
    options: { hostname: string; port: number; socket: BunSocketHandler },
  ): Promise<BunSocket>;
  write(path: string, data: string): Promise<number>;
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

/** A `Bun.connect` socket: writes what the kernel takes now, or waits for `drain`. */
class BunConnection implements Connection {
  #socket: BunSocket | undefined;
  #closed = false;
  /** Wakes a write waiting for `drain` (or for the close that ends it). */
  #wake: (() => void) | undefined;

  attach(socket: BunSocket): void {
    this.#socket = socket;
    socket.unref();
    socket.setNoDelay?.(true);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Called by the socket handler on `drain`, `close`, `end` and `error`. */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async write(bytes: Uint8Array): Promise<number> {
    for (;;) {
      if (this.#closed || this.#socket === undefined) throw new Error("connection is closed");
      const written = this.#socket.write(bytes);
      if (written > 0) return written;
      if (written < 0) {
        this.close();
        throw new Error("connection is closed");
      }
      // Nothing fit: the kernel buffer is full. Wait for room (or a close).
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket?.terminate();
    } catch {
      // Already closed.
    }
    this.wake();
  }
}

/** `Bun.connect`; an abort while connecting rejects at once and closes the socket when it opens. */
export function bunConnect(host: string, port: number, signal?: AbortSignal): Promise<Connection> {
  signal?.throwIfAborted();
  const connection = new BunConnection();
  const gone = () => connection.close();
  const connecting = bun().connect({
    hostname: host,
    port,
    socket: {
      // The peers this serves (Graphite) never send anything: discard it.
      data() {},
      drain: () => connection.wake(),
      end: gone,
      close: gone,
      error: gone,
    },
  });
  return new Promise<Connection>((resolve, reject) => {
    const onAbort = () => reject(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    connecting.then(
      (socket) => {
        signal?.removeEventListener("abort", onAbort);
        connection.attach(socket);
        if (signal?.aborted) connection.close();
        resolve(connection);
      },
      (error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
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
