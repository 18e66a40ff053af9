/**
 * The runtime adapter: everything the library needs from Deno, Node or Bun,
 * as types only. `deno.ts`, `node.ts` and `bun.ts` implement it (and
 * `web.ts` for anywhere else); `mod.ts` picks one.
 *
 * @module
 */

/** The address a listener is bound to. */
export interface ListenAddr {
  /** The bound host, such as `127.0.0.1`. */
  readonly hostname: string;
  /** The bound port (the one picked when `0` was asked for). */
  readonly port: number;
}

/** What {@linkcode RuntimeAdapter.listen} serves, and where. */
export interface ListenOptions {
  /** The address to bind, such as `127.0.0.1`. */
  readonly hostname: string;
  /** The port to bind; `0` picks a free one. */
  readonly port: number;
  /** Answers every request (fetch style); the request body is not read. */
  readonly handler: (request: Request) => Response | Promise<Response>;
}

/** A running HTTP listener. */
export interface Listener {
  /** The bound address. */
  readonly addr: ListenAddr;
  /** Settles when the listener has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting, closes connections, and resolves once stopped. */
  shutdown(): Promise<void>;
}

/** An open TCP connection, as a pusher writes to it. */
export interface Connection {
  /**
   * Writes some or all of `bytes` and resolves to how many were written
   * (possibly fewer: the caller writes the rest). Rejects on a failed write.
   */
  write(bytes: Uint8Array): Promise<number>;
  /** Whether the peer closed the connection or it failed: the caller reconnects. */
  readonly closed: boolean;
  /** Closes the connection; a pending write rejects. Never throws. */
  close(): void;
}

/** Memory in bytes, as `process.memoryUsage()` and `Deno.memoryUsage()` report it. */
export interface MemoryReading {
  /** Resident set size. */
  readonly rss: number;
  /** JavaScript heap reserved. */
  readonly heapTotal: number;
  /** JavaScript heap in use. */
  readonly heapUsed: number;
  /** Memory of native objects bound to JavaScript objects (buffers and the like). */
  readonly external: number;
}

/** CPU time used by the process since it started, in microseconds. */
export interface CpuReading {
  /** In user code. */
  readonly user: number;
  /** In the kernel on the process's behalf. */
  readonly system: number;
}

/** Cumulative event-loop idle and active time, in milliseconds. */
export interface LoopTimes {
  /** Time the loop waited for events. */
  readonly idle: number;
  /** Time the loop ran callbacks. */
  readonly active: number;
}

/** A timer as `setTimeout` and `setInterval` return it (a number on Deno, an object on Node and Bun). */
export type TimerHandle = ReturnType<typeof setTimeout>;

/** What the library needs from a runtime. Optional capabilities are `undefined` where it lacks them. */
export interface RuntimeAdapter {
  /** `"Deno"`, `"Node"`, `"Bun"`, or `"unknown"`. */
  readonly name: string;
  /** The version as the runtime spells it (`"2.9.6"`, `"v20.20.2"`, `"1.4.5"`), or `""`. */
  readonly version: string;

  /**
   * Serves `handler` over HTTP. Resolves once listening; rejects with the
   * runtime's error when it cannot bind, whose `code` is `"EADDRINUSE"`
   * when the port is taken.
   */
  listen(options: ListenOptions): Promise<Listener>;
  /**
   * Opens a TCP connection to `host:port` that does not keep the process
   * alive. Aborting `signal` while connecting stops it (and rejects).
   */
  connect(host: string, port: number, signal?: AbortSignal): Promise<Connection>;
  /** Writes `text` to `path` atomically (a temporary file, then a rename): a reader sees the old file or the new one. */
  writeFileAtomic(path: string, text: string): Promise<void>;
  /** The same, synchronously: for the last write when the process is exiting. */
  writeFileAtomicSync(path: string, text: string): void;
  /**
   * Calls `hook(reason)` when the process is about to end on an uncaught
   * error, an unhandled rejection, a normal exit, and (when `signals`) on
   * SIGINT or SIGTERM, after which the process ends as the signal would
   * have ended it (unless the application handles the signal itself).
   * Returns the function that removes the listeners.
   */
  onExit(hook: (reason: string) => void, signals: boolean): () => void;
  /** Lets the process exit while `timer` is pending. */
  unref(timer: TimerHandle): void;
  /** The environment variable `name`, or `undefined` when unset or not permitted. */
  env(name: string): string | undefined;
  /** The machine's host name, or `undefined` when it cannot be read (no permission). */
  hostname(): string | undefined;

  /** Current memory use, where the runtime reports it. */
  readonly memory: (() => MemoryReading) | undefined;
  /** CPU time since the process started, where the runtime reports it. */
  readonly cpu: (() => CpuReading) | undefined;
  /** Cumulative loop times, where the runtime measures them (Node). */
  readonly loopTimes: (() => LoopTimes) | undefined;
  /**
   * Calls `record(kind, milliseconds)` for every garbage collection, where
   * the runtime reports them (Node); returns the function that stops it.
   */
  readonly observeGc:
    | ((record: (kind: string, milliseconds: number) => void) => () => void)
    | undefined;
}
