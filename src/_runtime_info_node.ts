/**
 * The runtime seam on Node (and runtimes that copy its globals):
 * `process.memoryUsage()`, `process.cpuUsage()`,
 * `performance.eventLoopUtilization()` and a `PerformanceObserver` of `gc`
 * entries. All are globals since Node 16, read through `globalThis` with
 * minimal structural types, so this file imports nothing.
 *
 * @module
 */

import type { RuntimeInfo } from "./_runtime_info.ts";

interface NodeProcess {
  readonly version: string;
  memoryUsage(): { rss: number; heapTotal: number; heapUsed: number; external: number };
  cpuUsage(): { user: number; system: number };
}

interface NodePerformance {
  eventLoopUtilization?(): { idle: number; active: number };
}

interface GcEntry {
  readonly duration: number;
  readonly detail?: { readonly kind?: number } | null;
}

interface NodePerformanceObserver {
  observe(options: { entryTypes: string[] }): void;
  disconnect(): void;
}

type PerformanceObserverClass = {
  new (callback: (list: { getEntries(): GcEntry[] }) => void): NodePerformanceObserver;
  readonly supportedEntryTypes?: readonly string[];
};

/** `perf_hooks.constants.NODE_PERFORMANCE_GC_*` to the names Prometheus exporters use. */
const GC_KINDS: Readonly<Record<number, string>> = {
  1: "minor",
  4: "major",
  8: "incremental",
  16: "weakcb",
};

/** The seam on Node, or `undefined` when `process.memoryUsage` and `process.cpuUsage` are missing. */
export function nodeRuntimeInfo(): RuntimeInfo | undefined {
  const globals = globalThis as {
    process?: NodeProcess;
    performance?: NodePerformance;
    PerformanceObserver?: PerformanceObserverClass;
  };
  const process = globals.process;
  if (typeof process?.memoryUsage !== "function" || typeof process.cpuUsage !== "function") {
    return undefined;
  }
  const performance = globals.performance;
  const loopTimes = typeof performance?.eventLoopUtilization === "function"
    ? () => performance.eventLoopUtilization!()
    : undefined;
  const Observer = globals.PerformanceObserver;
  const observeGc = typeof Observer === "function" && Observer.supportedEntryTypes?.includes("gc")
    ? (record: (kind: string, milliseconds: number) => void) => {
      const observer = new Observer((list) => {
        for (const entry of list.getEntries()) {
          record(GC_KINDS[entry.detail?.kind ?? 0] ?? "other", entry.duration);
        }
      });
      observer.observe({ entryTypes: ["gc"] });
      return () => observer.disconnect();
    }
    : undefined;
  return {
    runtime: `Node ${process.version}`,
    memory: () => process.memoryUsage(),
    cpu: () => process.cpuUsage(),
    loopTimes,
    observeGc,
  };
}
