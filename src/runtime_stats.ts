/**
 * {@linkcode collectRuntimeStats}: the process's own vital signs (uptime,
 * memory, CPU time, event-loop delay and utilization, garbage-collection
 * pauses) as ordinary stats under `/process`, so they show in the viewer,
 * JSON, Prometheus and Graphite like any other.
 *
 * @module
 */

import { type LoopTimes, type MemoryReading, runtime, unrefInterval } from "../runtime/mod.ts";
import { Stat } from "./basic_stats.ts";
import { now } from "./clock.ts";
import { NamedPmfDictStat, type PmfDict } from "./keyed_stats.ts";
import { describeValue } from "./log.ts";
import { joinPath, parsePath } from "./path.ts";
import { type Pmf, PmfStat } from "./pmf.ts";
import {
  type Aggregator,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatSpec,
  statSpec,
  withMetricName,
} from "./stat.ts";
import { bindStat, defaultTree, removeNode, type StatNode, type StatTree } from "./tree.ts";

/** Options of {@linkcode collectRuntimeStats}. */
export interface RuntimeStatsOptions {
  /** The container the stats go in (default `"/process"`). */
  readonly path?: string;
  /**
   * How often the event-loop delay is sampled, in milliseconds (default
   * {@linkcode DEFAULT_LOOP_RESOLUTION_MS}, at least 1). Each sample is one
   * wake-up of one unref'd timer; a stall shorter than this may go unseen.
   */
  readonly resolutionMs?: number;
  /** The tree the stats go in (default: {@linkcode defaultTree}); one collector per tree. */
  readonly tree?: StatTree;
}

/** The running collector that {@linkcode collectRuntimeStats} returns. */
export interface RuntimeStats extends Disposable {
  /** The container the stats are in, such as `/process`. */
  readonly path: string;
  /** The event-loop sampling interval in milliseconds. */
  readonly resolutionMs: number;
  /** The runtime and its version, such as `"Deno 2.9.6"` or `"Bun 1.4.5"`, or `"unknown"`. */
  readonly runtime: string;
  /** The names of the stats published, in order. */
  readonly stats: readonly string[];
  /** Whether {@linkcode RuntimeStats.stop} has run (or `reset()` stopped it). */
  readonly stopped: boolean;
  /**
   * Stops sampling (clears the timer, disconnects the GC observer) and takes
   * the collector's stats out of the tree; the container goes too when
   * nothing else is left in it. Calling it again does nothing.
   */
  stop(): void;
}

/**
 * The default event-loop sampling interval: 100 ms, ten wake-ups a second.
 * A timer wake-up is what the collector costs, and on the machine measured
 * (see `bench/README.md`, "Runtime stats") each one costs a JavaScript
 * runtime some 60-170 µs of CPU, so 20 ms (50 a second) came to 0.6-0.9% of
 * one core, too close to the 1% budget; 100 ms stays well under it and
 * still catches every stall of 100 ms or more (and part of the shorter
 * ones). Pass a smaller `resolutionMs` for finer sampling.
 */
export const DEFAULT_LOOP_RESOLUTION_MS = 100;

/** Readings reused for this long, so one snapshot reads memory and CPU once, not once per stat. */
const READING_REUSE_MS = 50;

/** The event-loop utilization gauge covers at least this much time between reads. */
const UTILIZATION_MIN_SPAN_MS = 1000;

/** A counter whose value is read from a function on each snapshot (CPU seconds). */
class CounterReadingCell implements StatCell<number> {
  readonly type = "CounterReading";
  readonly kind: StatKind = "counter";
  aggregators: Aggregator[] | null = null;
  readonly stored = undefined;

  constructor(readonly name: string, readonly path: string, readonly read: () => number) {}

  get(): number {
    return this.read();
  }

  set(value: unknown): void {
    throw new TypeError(
      `${joinPath(this.path, this.name)} is read from the runtime and cannot be set, got ${
        describeValue(value)
      }`,
    );
  }

  snapshot(): SnapshotValue {
    return this.read();
  }
}

function counterReading<N extends string>(name: N, read: () => number): StatSpec<N, number> {
  return statSpec(
    "CounterReading",
    "counter",
    name,
    (context) => new CounterReadingCell(name, context.path, read),
  );
}

/** A function that calls `read` at most once per {@linkcode READING_REUSE_MS}. */
function reused<T>(read: () => T): () => T {
  let value: T | undefined;
  let at = -Infinity;
  return () => {
    const time = now();
    if (value === undefined || time - at >= READING_REUSE_MS) {
      value = read();
      at = time;
    }
    return value;
  };
}

/** Utilization (0 to 1) between the two latest reads at least a second apart. */
function utilizationGauge(loopTimes: () => LoopTimes): () => number {
  let previous = loopTimes();
  let previousAt = now();
  const total = previous.active + previous.idle;
  let value = total > 0 ? previous.active / total : 0;
  return () => {
    const time = now();
    if (time - previousAt >= UTILIZATION_MIN_SPAN_MS) {
      const current = loopTimes();
      const active = current.active - previous.active;
      const span = active + current.idle - previous.idle;
      value = span > 0 ? Math.min(1, Math.max(0, active / span)) : 0;
      previous = current;
      previousAt = time;
    }
    return value;
  };
}

class Collector implements RuntimeStats {
  readonly path: string;
  readonly resolutionMs: number;
  readonly runtime: string;
  readonly stats: readonly string[];
  #stopped = false;
  readonly #node: StatNode;
  readonly #cells: StatCell[] = [];
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #stopGc: (() => void) | undefined;

  readonly tree: StatTree;

  constructor(tree: StatTree, path: string, resolutionMs: number) {
    this.tree = tree;
    this.path = path;
    this.resolutionMs = resolutionMs;
    const info = runtime();
    this.runtime = info.version === "" ? info.name : `${info.name} ${info.version}`;
    const specs: StatSpec[] = [
      Stat("runtime", this.runtime),
      Stat("startTimeSeconds", Math.round(performance.timeOrigin) / 1000),
      Stat("uptimeSeconds", () => Math.round(now()) / 1000),
    ];
    if (info.memory !== undefined && info.cpu !== undefined) {
      const memory = reused<MemoryReading>(info.memory);
      const cpu = reused(info.cpu);
      specs.push(
        Stat("residentMemoryBytes", () => memory().rss),
        withMetricName(
          Stat("heapUsedBytes", () => memory().heapUsed),
          "nodejs_heap_size_used_bytes",
        ),
        withMetricName(
          Stat("heapTotalBytes", () => memory().heapTotal),
          "nodejs_heap_size_total_bytes",
        ),
        withMetricName(
          Stat("externalMemoryBytes", () => memory().external),
          "nodejs_external_memory_bytes",
        ),
        counterReading("cpuUserSecondsTotal", () => cpu().user / 1e6),
        counterReading("cpuSystemSecondsTotal", () => cpu().system / 1e6),
      );
    }
    specs.push(withMetricName(PmfStat("eventLoopDelaySeconds"), "nodejs_eventloop_lag_seconds"));
    if (info.loopTimes !== undefined) {
      specs.push(
        withMetricName(
          Stat("eventLoopUtilization", utilizationGauge(info.loopTimes)),
          "nodejs_eventloop_utilization",
        ),
      );
    }
    if (info.observeGc !== undefined) {
      specs.push(
        withMetricName(NamedPmfDictStat("gcDurationSeconds"), "nodejs_gc_duration_seconds"),
      );
    }

    this.#node = tree.ensureNode(path);
    const cells = new Map<string, StatCell>();
    for (const spec of specs) {
      const existed = this.#node.cells.has(spec.name);
      const cell = bindStat(this.#node, spec);
      cells.set(spec.name, cell);
      if (!existed) this.#cells.push(cell);
    }
    this.stats = specs.map((spec) => spec.name);

    const delay = cells.get("eventLoopDelaySeconds")!.get() as Pmf;
    let last = now();
    this.#timer = unrefInterval(() => {
      // Timer drift: how much later than `resolutionMs` after the previous
      // tick this one ran is how long the loop was busy elsewhere.
      const time = now();
      const late = time - last - resolutionMs;
      last = time;
      delay.add(late > 0 ? late / 1000 : 0);
    }, resolutionMs);

    const gc = cells.get("gcDurationSeconds")?.get() as PmfDict | undefined;
    this.#stopGc = gc === undefined
      ? undefined
      : info.observeGc!((kind, milliseconds) => gc[kind].add(milliseconds / 1000));
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#stopGc?.();
    if (running.get(this.tree) === this) running.delete(this.tree);
    const node = this.#node;
    for (const cell of this.#cells) {
      if (node.cells.get(cell.name) !== cell) continue;
      node.cells.delete(cell.name);
      const aggregators = cell.aggregators;
      cell.aggregators = null;
      for (const aggregator of aggregators ?? []) aggregator.detach(cell);
    }
    if (node.cells.size === 0 && node.children.size === 0) removeNode(node);
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}

const resetHooked = new WeakSet<StatTree>();

/** The running collector of each tree. */
const running = new WeakMap<StatTree, Collector>();

/**
 * Publishes the process's runtime stats, opt-in, in one call. Under
 * `/process` (see {@linkcode RuntimeStatsOptions} for the path):
 *
 * | stat | what | Prometheus name |
 * | --- | --- | --- |
 * | `runtime` | `"Deno 2.9.6"`, `"Node v22.1.0"`, `"Bun 1.4.5"` (text: not exported) | |
 * | `startTimeSeconds` | process start, Unix seconds | `process_start_time_seconds` |
 * | `uptimeSeconds` | seconds since the start | `process_uptime_seconds` |
 * | `residentMemoryBytes` | resident set size | `process_resident_memory_bytes` |
 * | `heapUsedBytes`, `heapTotalBytes` | V8 heap in use, reserved | `nodejs_heap_size_used_bytes`, `nodejs_heap_size_total_bytes` |
 * | `externalMemoryBytes` | memory of buffers and other native objects | `nodejs_external_memory_bytes` |
 * | `cpuUserSecondsTotal`, `cpuSystemSecondsTotal` | CPU time (counters) | `process_cpu_user_seconds_total`, … |
 * | `eventLoopDelaySeconds` | a `PmfStat` of event-loop delay | `nodejs_eventloop_lag_seconds` (summary) |
 * | `eventLoopUtilization` | fraction of time the loop was busy (Node) | `nodejs_eventloop_utilization` |
 * | `gcDurationSeconds` | GC pauses by kind: `minor`, `major`, `incremental`, `weakcb` (Node) | `nodejs_gc_duration_seconds{key=…}` |
 *
 * Gauges are functions read on each snapshot, so between snapshots only
 * one unref'd timer runs: every `resolutionMs` it records how late it woke
 * (timer drift) into `eventLoopDelaySeconds`, in seconds, so a loop stalled
 * for 200 ms shows a sample near 0.2. Timers have about a millisecond of
 * slack, which is the floor of the figures. On Node, a
 * `PerformanceObserver` adds each GC pause to `gcDurationSeconds`.
 * `eventLoopUtilization` covers the time between the two latest reads at
 * least a second apart.
 *
 * Deno (2.9) and Bun (1.4) have no working event-loop utilization (it
 * answers zero) and report no GC entries, so those two stats are left out
 * there. In a runtime with neither Deno's, Bun's nor Node's APIs (a
 * browser) only `runtime` (`"unknown"`), the start time, uptime and
 * event-loop delay are published.
 *
 * Idempotent: while a collector runs, another call returns it (and throws
 * a `TypeError` if it asks for another path or resolution). `stop()` (or
 * `using`) stops it and removes its stats; `reset()` stops it too.
 *
 * @example Turn runtime stats on
 * ```ts
 * import { collectRuntimeStats, getStats } from "@scales/core";
 * import assert from "node:assert/strict";
 * const runtime = collectRuntimeStats();
 * assert.deepEqual(collectRuntimeStats() === runtime, true);
 * assert.deepEqual(typeof getStats("/process")?.residentMemoryBytes, "number");
 * runtime.stop();
 * assert.deepEqual(getStats("/process"), undefined);
 * ```
 */
export function collectRuntimeStats(options: RuntimeStatsOptions = {}): RuntimeStats {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `collectRuntimeStats options must be an object, got ${describeValue(options)}`,
    );
  }
  const path = "/" + parsePath(options.path ?? "/process").join("/");
  const resolutionMs = options.resolutionMs ?? DEFAULT_LOOP_RESOLUTION_MS;
  if (typeof resolutionMs !== "number" || !(resolutionMs >= 1) || !Number.isFinite(resolutionMs)) {
    throw new TypeError(
      `collectRuntimeStats resolutionMs must be a finite number of milliseconds, at least 1, got ${
        describeValue(resolutionMs)
      }`,
    );
  }
  const tree = options.tree ?? defaultTree;
  const current = running.get(tree);
  if (current !== undefined) {
    if (path !== current.path || resolutionMs !== current.resolutionMs) {
      throw new TypeError(
        `collectRuntimeStats is already running at ${current.path} every ${current.resolutionMs} ms; ` +
          `call stop() on it before starting one at ${path} every ${resolutionMs} ms`,
      );
    }
    return current;
  }
  const collector = new Collector(tree, path, resolutionMs);
  running.set(tree, collector);
  if (!resetHooked.has(tree)) {
    resetHooked.add(tree);
    tree.onReset(() => running.get(tree)?.stop());
  }
  return collector;
}
