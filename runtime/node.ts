/**
 * The Node adapter: `node:http` (requests through
 * {@linkcode toNodeListener}), `node:net`, `node:fs`, `node:os`, `process`
 * and `perf_hooks` globals. The `node:*` modules come from
 * `process.getBuiltinModule` (Node 20.16+), so this file imports none: it
 * loads on any runtime, touches Node's modules only when called, and the
 * selector can choose synchronously.
 *
 * @module
 */

import type * as NodeFs from "node:fs";
import type * as NodeHttp from "node:http";
import type * as NodeNet from "node:net";
import type * as NodeOs from "node:os";
import { toNodeListener } from "../http/node_listener.ts";
import { log } from "../src/log.ts";
import { writeAtomic, writeAtomicSync } from "./_atomic.ts";
import type { Connection, Listener, RuntimeAdapter } from "./adapter.ts";

type Signal = "SIGINT" | "SIGTERM";

/** The members of Node's `process` the adapter uses. */
interface NodeProcess {
  readonly version: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  getBuiltinModule(id: string): unknown;
  memoryUsage(): { rss: number; heapTotal: number; heapUsed: number; external: number };
  cpuUsage(): { user: number; system: number };
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  listenerCount(event: string): number;
  exit(code: number): never;
}

interface NodePerformance {
  eventLoopUtilization?(): { idle: number; active: number };
}

interface GcEntry {
  readonly duration: number;
  readonly detail?: { readonly kind?: number } | null;
}

type PerformanceObserverClass = {
  new (callback: (list: { getEntries(): GcEntry[] }) => void): {
    observe(options: { entryTypes: string[] }): void;
    disconnect(): void;
  };
  readonly supportedEntryTypes?: readonly string[];
};

/** `process`, read through `globalThis` (so no Node types are needed to load this file). */
function nodeProcess(): NodeProcess {
  return (globalThis as unknown as { process: NodeProcess }).process;
}

/** The `node:*` modules the adapters use, loaded on first call. */
const builtin = {
  fs: () => nodeProcess().getBuiltinModule("node:fs") as typeof NodeFs,
  http: () => nodeProcess().getBuiltinModule("node:http") as typeof NodeHttp,
  net: () => nodeProcess().getBuiltinModule("node:net") as typeof NodeNet,
  os: () => nodeProcess().getBuiltinModule("node:os") as typeof NodeOs,
};

const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** `perf_hooks.constants.NODE_PERFORMANCE_GC_*` to the names Prometheus exporters use. */
const GC_KINDS: Readonly<Record<number, string>> = {
  1: "minor",
  4: "major",
  8: "incremental",
  16: "weakcb",
};

class NodeConnection implements Connection {
  #socket: NodeNet.Socket;
  #closed = false;

  constructor(socket: NodeNet.Socket) {
    this.#socket = socket;
    socket.unref();
    // The peers this serves (Graphite) never send anything: data is
    // discarded, the end is a close.
    socket.on("data", () => {});
    socket.on("end", () => this.close());
    socket.on("close", () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new Error("connection is closed"));
        return;
      }
      // The callback runs once the bytes reached the kernel: that is the
      // backpressure a slow peer exerts.
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
  }
}

/** Starts a `node:http` server; rejects with Node's error (such as `EADDRINUSE`) when it cannot bind. */
function listen(
  { hostname, port, handler }: Parameters<RuntimeAdapter["listen"]>[0],
): Promise<Listener> {
  return new Promise<Listener>((resolve, reject) => {
    const listener = toNodeListener(handler);
    const server = builtin.http().createServer((incoming, outgoing) => {
      void listener(incoming, outgoing);
    });
    let resolveFinished!: () => void;
    const finished = new Promise<void>((done) => (resolveFinished = done));
    server.once("close", () => resolveFinished());
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      server.on("error", (error) => log("http listener: server error", error));
      const address = server.address() as NodeNet.AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        addr: { hostname: address.address, port: address.port },
        finished,
        shutdown: () =>
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function connect(host: string, port: number, signal?: AbortSignal): Promise<Connection> {
  return new Promise((resolve, reject) => {
    // An abort destroys the socket while it connects (and rejects with an AbortError).
    const socket = builtin.net().createConnection({ host, port, signal });
    // An error after connecting only closes the connection: never an uncaught event.
    socket.on("error", (error) => reject(error));
    socket.once("connect", () => {
      socket.setNoDelay(true);
      resolve(new NodeConnection(socket));
    });
  });
}

/** Every armed exit hook: one set of `process` listeners serves them all. */
const armed = new Set<{ hook: (reason: string) => void; signals: boolean }>();
let removeExitListeners: (() => void) | undefined;
let removeSignalListeners: (() => void) | undefined;

function notify(reason: string, signal = false): void {
  for (const entry of [...armed]) if (!signal || entry.signals) entry.hook(reason);
}

/** Listens while any hook is armed, and to signals while any armed hook wants them. */
function syncProcessListeners(): void {
  if (armed.size > 0) removeExitListeners ??= addExitListeners();
  else {
    removeExitListeners?.();
    removeExitListeners = undefined;
  }
  if ([...armed].some((entry) => entry.signals)) removeSignalListeners ??= addSignalListeners();
  else {
    removeSignalListeners?.();
    removeSignalListeners = undefined;
  }
}

function addExitListeners(): () => void {
  const process = nodeProcess();
  // Node fires `uncaughtExceptionMonitor` without changing how the error
  // ends the process (unlike `uncaughtException`); `exit` covers the rest.
  const onError = () => notify("uncaught error");
  const onExitEvent = () => notify("exit");
  process.on("uncaughtExceptionMonitor", onError);
  process.on("exit", onExitEvent);
  return () => {
    process.off("uncaughtExceptionMonitor", onError);
    process.off("exit", onExitEvent);
  };
}

function addSignalListeners(): () => void {
  const process = nodeProcess();
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal: Signal) => {
    const handler = () => {
      notify(signal, true);
      // Only stand in for the default action when nobody else handles the
      // signal: this is the one listener for every hook, so any other
      // listener is the application's.
      if (process.listenerCount(signal) === 1) process.exit(SIGNAL_CODES[signal]);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

function onExit(hook: (reason: string) => void, signals: boolean): () => void {
  // One entry per call, so the same function armed twice is two entries.
  const entry = { hook, signals };
  armed.add(entry);
  syncProcessListeners();
  return () => {
    if (armed.delete(entry)) syncProcessListeners();
  };
}

function observeGcWith(
  Observer: PerformanceObserverClass,
): (record: (kind: string, milliseconds: number) => void) => () => void {
  return (record) => {
    const observer = new Observer((list) => {
      for (const entry of list.getEntries()) {
        record(GC_KINDS[entry.detail?.kind ?? 0] ?? "other", entry.duration);
      }
    });
    observer.observe({ entryTypes: ["gc"] });
    return () => observer.disconnect();
  };
}

/** The Node adapter; call it only where `process` is Node's (the selector does). */
export function nodeAdapter(): RuntimeAdapter {
  const process = nodeProcess();
  const globals = globalThis as {
    performance?: NodePerformance;
    PerformanceObserver?: PerformanceObserverClass;
  };
  const performance = globals.performance;
  const Observer = globals.PerformanceObserver;
  return {
    name: "Node",
    version: process.version,
    listen,
    connect,
    writeFileAtomic(path, text) {
      const fs = builtin.fs().promises;
      return writeAtomic(
        {
          write: (p, t) => fs.writeFile(p, t),
          rename: (from, to) => fs.rename(from, to),
          remove: (p) => fs.rm(p, { force: true }),
        },
        path,
        text,
      );
    },
    writeFileAtomicSync(path, text) {
      const fs = builtin.fs();
      writeAtomicSync(
        {
          write: (p, t) => fs.writeFileSync(p, t),
          rename: (from, to) => fs.renameSync(from, to),
          remove: (p) => fs.rmSync(p, { force: true }),
        },
        path,
        text,
      );
    },
    onExit,
    unref: (timer) => (timer as { unref?(): unknown } | null)?.unref?.(),
    env: (name) => process.env[name],
    hostname() {
      try {
        return builtin.os().hostname();
      } catch {
        return undefined;
      }
    },
    memory: () => process.memoryUsage(),
    cpu: () => process.cpuUsage(),
    loopTimes: typeof performance?.eventLoopUtilization === "function"
      ? () => performance.eventLoopUtilization!()
      : undefined,
    observeGc: typeof Observer === "function" && Observer.supportedEntryTypes?.includes("gc")
      ? observeGcWith(Observer)
      : undefined,
  };
}
