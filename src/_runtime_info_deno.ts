/**
 * The runtime seam on Deno: `Deno.memoryUsage()` and `Deno.cpuUsage()`.
 * It reads `Deno` through `globalThis` with a minimal structural type, so it
 * also type-checks without Deno's types (the npm build).
 *
 * Left out on Deno, as of 2.9:
 * - event-loop utilization: `performance.eventLoopUtilization()` from
 *   `node:perf_hooks` exists but always answers zero (idle 0, active 0);
 * - garbage-collection pauses: a `PerformanceObserver` accepts the `gc`
 *   entry type but never receives an entry.
 *
 * @module
 */

import type { RuntimeInfo } from "./_runtime_info.ts";

interface DenoRuntime {
  readonly version: { readonly deno: string };
  memoryUsage(): { rss: number; heapTotal: number; heapUsed: number; external: number };
  cpuUsage?(): { user: number; system: number };
}

/** The seam on Deno, or `undefined` when this is not Deno. */
export function denoRuntimeInfo(): RuntimeInfo | undefined {
  const deno = (globalThis as { Deno?: DenoRuntime }).Deno;
  if (typeof deno?.memoryUsage !== "function") return undefined;
  const cpuUsage = typeof deno.cpuUsage === "function"
    ? () => deno.cpuUsage!()
    : () => ({ user: NaN, system: NaN });
  return {
    runtime: `Deno ${deno.version?.deno ?? "?"}`,
    memory: () => deno.memoryUsage(),
    cpu: cpuUsage,
    loopTimes: undefined,
    observeGc: undefined,
  };
}
