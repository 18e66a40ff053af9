/**
 * The runtime seam of {@linkcode collectRuntimeStats}: what the collector
 * needs to read from a runtime (memory, CPU time, event-loop utilization,
 * garbage collections). `_runtime_info_deno.ts` implements it with `Deno.*`,
 * `_runtime_info_node.ts` with Node's `process` and `perf_hooks` globals.
 *
 * Neither implementation imports a module: each reads its runtime's globals
 * through `globalThis` with minimal structural types. So the choice is a
 * synchronous feature test (no dynamic `import()`), `collectRuntimeStats()`
 * stays synchronous, and loading the Node file on Deno loads no Node code.
 *
 * @module
 */

import { denoRuntimeInfo } from "./_runtime_info_deno.ts";
import { nodeRuntimeInfo } from "./_runtime_info_node.ts";

/** Memory in bytes, as `process.memoryUsage()` and `Deno.memoryUsage()` report it. */
export interface MemoryReading {
  /** Resident set size. */
  readonly rss: number;
  /** V8 heap reserved. */
  readonly heapTotal: number;
  /** V8 heap in use. */
  readonly heapUsed: number;
  /** Memory of C++ objects bound to JavaScript objects (buffers and the like). */
  readonly external: number;
}

/** CPU time used by the process since it started, in microseconds. */
export interface CpuReading {
  readonly user: number;
  readonly system: number;
}

/** Cumulative event-loop idle and active time, in milliseconds. */
export interface LoopTimes {
  readonly idle: number;
  readonly active: number;
}

/** What the collector reads from a runtime. */
export interface RuntimeInfo {
  /** The runtime and its version, such as `"Deno 2.9.6"` or `"Node v22.1.0"`. */
  readonly runtime: string;
  /** Current memory use. */
  memory(): MemoryReading;
  /** CPU time since the process started. */
  cpu(): CpuReading;
  /** Cumulative loop times, where the runtime measures them (Node); else `undefined`. */
  readonly loopTimes: (() => LoopTimes) | undefined;
  /**
   * Calls `record(kind, milliseconds)` for every garbage collection, where
   * the runtime reports them (Node); returns the function that stops it.
   */
  readonly observeGc:
    | ((record: (kind: string, milliseconds: number) => void) => () => void)
    | undefined;
}

/** The seam for the running runtime, or `undefined` where neither Deno's nor Node's APIs exist. */
export function runtimeInfo(): RuntimeInfo | undefined {
  return denoRuntimeInfo() ?? nodeRuntimeInfo();
}
