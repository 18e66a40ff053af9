/**
 * The Deno adapter: `Deno.serve`, `Deno.connect`, `Deno.writeTextFile` +
 * `Deno.rename`, `Deno.memoryUsage`, `Deno.unrefTimer`, `Deno.env`, signal
 * listeners and the global `error` / `unhandledrejection` / `unload` events.
 * It reads `Deno` through `globalThis` with minimal structural types, so it
 * also type-checks without Deno's types (the npm build), and reads it only
 * when called.
 *
 * Left out on Deno, as of 2.9:
 * - event-loop utilization: `performance.eventLoopUtilization()` from
 *   `node:perf_hooks` exists but always answers zero (idle 0, active 0);
 * - garbage-collection pauses: a `PerformanceObserver` accepts the `gc`
 *   entry type but never receives an entry.
 *
 * @module
 */

import { writeAtomic, writeAtomicSync } from "./_atomic.ts";
import type { Connection, Listener, RuntimeAdapter } from "./adapter.ts";

interface DenoConn {
  write(bytes: Uint8Array): Promise<number>;
  read(buffer: Uint8Array): Promise<number | null>;
  close(): void;
  unref(): void;
}

interface DenoHttpServer {
  readonly addr: { readonly hostname: string; readonly port: number };
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

type Signal = "SIGINT" | "SIGTERM";

interface DenoApi {
  readonly version: { readonly deno: string };
  readonly build: { readonly os: string };
  serve(
    options: { hostname: string; port: number; onListen: () => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoHttpServer;
  connect(
    options: { hostname: string; port: number; transport: "tcp"; signal?: AbortSignal },
  ): Promise<DenoConn>;
  writeTextFile(path: string, text: string): Promise<void>;
  writeTextFileSync(path: string, text: string): void;
  rename(from: string, to: string): Promise<void>;
  renameSync(from: string, to: string): void;
  remove(path: string): Promise<void>;
  removeSync(path: string): void;
  addSignalListener(signal: Signal, handler: () => void): void;
  removeSignalListener(signal: Signal, handler: () => void): void;
  exit(code: number): never;
  unrefTimer(id: number): void;
  hostname(): string;
  memoryUsage(): { rss: number; heapTotal: number; heapUsed: number; external: number };
  cpuUsage?(): { user: number; system: number };
  readonly env: { get(name: string): string | undefined };
  readonly permissions: {
    querySync?(
      descriptor: { name: "env"; variable: string } | { name: "sys"; kind: "hostname" },
    ): { state: string };
  };
}

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

type Permission = Parameters<NonNullable<DenoApi["permissions"]["querySync"]>>[0];

/** Whether `permission` is granted, asked without prompting (older Deno: assumed). */
function granted(d: DenoApi, permission: Permission): boolean {
  const query = d.permissions?.querySync;
  return query === undefined || query.call(d.permissions, permission).state === "granted";
}

const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

class DenoConnection implements Connection {
  #conn: DenoConn;
  #closed = false;

  constructor(conn: DenoConn) {
    this.#conn = conn;
    conn.unref();
    this.#watch();
  }

  /**
   * The peers this serves (Graphite's plaintext port) never send anything,
   * so a read that ends means the peer closed: noticing it early keeps the
   * next write from vanishing into a half-closed socket.
   */
  async #watch(): Promise<void> {
    const buffer = new Uint8Array(512);
    try {
      while ((await this.#conn.read(buffer)) !== null) {
        // Discard anything the peer sends.
      }
    } catch {
      // A failed read is a closed connection too.
    }
    this.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Uint8Array): Promise<number> {
    return this.#conn.write(bytes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** The Deno adapter; call it only on Deno (the selector does). */
export function denoAdapter(): RuntimeAdapter {
  const d = (globalThis as unknown as { Deno: DenoApi }).Deno;
  return {
    name: "Deno",
    version: d.version?.deno ?? "",

    listen({ hostname, port, handler }) {
      const server = d.serve({ hostname, port, onListen: () => {} }, handler);
      const listener: Listener = {
        addr: { hostname: server.addr.hostname, port: server.addr.port },
        finished: server.finished,
        shutdown: () => server.shutdown(),
      };
      return Promise.resolve(listener);
    },

    async connect(host, port, signal) {
      const conn = await d.connect({ hostname: host, port, transport: "tcp", signal });
      return new DenoConnection(conn);
    },

    writeFileAtomic(path, text) {
      return writeAtomic(
        {
          write: (p, t) => d.writeTextFile(p, t),
          rename: (from, to) => d.rename(from, to),
          remove: (p) => d.remove(p),
        },
        path,
        text,
      );
    },

    writeFileAtomicSync(path, text) {
      writeAtomicSync(
        {
          write: (p, t) => d.writeTextFileSync(p, t),
          rename: (from, to) => d.renameSync(from, to),
          remove: (p) => d.removeSync(p),
        },
        path,
        text,
      );
    },

    onExit(hook, signals) {
      const target = globalThis as unknown as EventTargetLike;
      // `error` and `unhandledrejection` fire before Deno ends the process on
      // them; `unload` fires on a normal end. None of them is prevented.
      const onError = () => hook("uncaught error");
      const onRejection = () => hook("unhandled rejection");
      const onUnload = () => hook("exit");
      target.addEventListener("error", onError);
      target.addEventListener("unhandledrejection", onRejection);
      target.addEventListener("unload", onUnload);
      // A signal handler replaces the default action (exit), so it exits itself.
      const handlers = (signals ? (["SIGINT", "SIGTERM"] as const) : []).map((signal) => {
        const handler = () => {
          hook(signal);
          d.exit(SIGNAL_CODES[signal]);
        };
        try {
          if (d.build.os !== "windows" || signal === "SIGINT") d.addSignalListener(signal, handler);
        } catch {
          // Signals not available here.
        }
        return [signal, handler] as const;
      });
      return () => {
        target.removeEventListener("error", onError);
        target.removeEventListener("unhandledrejection", onRejection);
        target.removeEventListener("unload", onUnload);
        for (const [signal, handler] of handlers) {
          try {
            d.removeSignalListener(signal, handler);
          } catch {
            // Was never added.
          }
        }
      };
    },

    unref(timer) {
      // Deno 2.9's timers are Node-style objects with `unref()`; older ones are numbers.
      const handle = timer as unknown;
      if (typeof handle === "number") d.unrefTimer(handle);
      else (handle as { unref?(): unknown } | null)?.unref?.();
    },

    env(name) {
      try {
        // Asking first: `env.get` without the permission would prompt on a terminal.
        return granted(d, { name: "env", variable: name }) ? d.env.get(name) : undefined;
      } catch {
        return undefined;
      }
    },

    hostname() {
      try {
        return granted(d, { name: "sys", kind: "hostname" }) ? d.hostname() : undefined;
      } catch {
        return undefined;
      }
    },

    memory: () => d.memoryUsage(),
    cpu: () => d.cpuUsage?.() ?? { user: NaN, system: NaN },
    loopTimes: undefined,
    observeGc: undefined,
  };
}
