/**
 * {@linkcode PmfStat}: the distribution of a quantity (usually a duration):
 * count, min, max, mean, standard deviation and percentiles over a recent
 * sliding window, in constant memory with a bounded relative error.
 *
 * @module
 */

import { DEFAULT_MAX_BUCKETS, QuantileSketch, SketchUnion } from "./_sketch.ts";
import { AggregationCell } from "./aggregation.ts";
import { coarse, now, startCoarseClock } from "./clock.ts";
import type { ExponentialHistogramData } from "./exponential_histogram.ts";
import { describeValue } from "./log.ts";
import { joinPath } from "./path.ts";
import {
  type Aggregator,
  type CellContext,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatSpec,
  statSpec,
} from "./stat.ts";

/** The snapshot of a distribution. `count` and `sum` are all-time; the rest cover the window. */
export interface PmfSnapshot {
  /** Samples recorded since the stat was made. */
  readonly count: number;
  /** Sum of all samples since the stat was made. */
  readonly sum: number;
  /** Smallest sample in the window (0 when the window is empty). */
  readonly min: number;
  /** Largest sample in the window. */
  readonly max: number;
  /** Mean of the window's samples. */
  readonly mean: number;
  /** Sample standard deviation of the window's samples. */
  readonly stddev: number;
  /** 50th percentile of the window. */
  readonly median: number;
  /** 75th percentile of the window. */
  readonly "75percentile": number;
  /** 95th percentile of the window. */
  readonly "95percentile": number;
  /** 98th percentile of the window. */
  readonly "98percentile": number;
  /** 99th percentile of the window. */
  readonly "99percentile": number;
  /** 99.9th percentile of the window. */
  readonly "999percentile": number;
}

/** Options of {@linkcode PmfStat}. */
export interface PmfOptions {
  /**
   * How far back the window reaches, in milliseconds (default 300,000: five
   * minutes). The window is a ring of `slots` sub-sketches; percentiles cover
   * the current slot and the `slots - 1` before it, so between
   * `windowMs * (slots - 1) / slots` and `windowMs` of data.
   */
  readonly windowMs?: number;
  /** Sub-sketches in the window (default 5, at least 1). */
  readonly slots?: number;
  /**
   * The most buckets each sketch keeps per sign (default 4,096, at least
   * 128): the memory ceiling. 4,096 buckets cover 64 octaves at 0.54%;
   * values spanning more than `maxBuckets / 64` octaves halve the resolution
   * (exactly) until they fit. A distribution holds at most
   * `(slots + 1) * 2 * maxBuckets` counters of up to 8 bytes.
   */
  readonly maxBuckets?: number;
}

/**
 * The percentiles a distribution's snapshot shows, in order: the
 * {@linkcode PmfSnapshot} field and its quantile. Every exporter takes the
 * field names from here.
 *
 * @example
 * ```ts
 * import { PERCENTILES } from "@scales/core";
 * import assert from "node:assert/strict";
 * assert.deepEqual(PERCENTILES.find((p) => p.quantile === 0.99)?.field, "99percentile");
 * ```
 */
export const PERCENTILES: ReadonlyArray<
  { readonly field: PercentileField; readonly quantile: number }
> = [
  { field: "median", quantile: 0.5 },
  { field: "75percentile", quantile: 0.75 },
  { field: "95percentile", quantile: 0.95 },
  { field: "98percentile", quantile: 0.98 },
  { field: "99percentile", quantile: 0.99 },
  { field: "999percentile", quantile: 0.999 },
];

/** The {@linkcode PmfSnapshot} fields that hold percentiles. */
export type PercentileField =
  | "median"
  | "75percentile"
  | "95percentile"
  | "98percentile"
  | "99percentile"
  | "999percentile";

const QUANTILES = PERCENTILES.map((p) => p.quantile);

function emptySnapshot(count: number, sum: number): PmfSnapshot {
  return {
    count,
    sum,
    min: 0,
    max: 0,
    mean: 0,
    stddev: 0,
    median: 0,
    "75percentile": 0,
    "95percentile": 0,
    "98percentile": 0,
    "99percentile": 0,
    "999percentile": 0,
  };
}

/**
 * The one scratch union every read goes through: loaded and read at once,
 * never across an `await`, so one serves every distribution.
 */
const UNION = new SketchUnion();
const QUANTILE_VALUES: number[] = [];

/** The snapshot of the loaded {@linkcode UNION} (a window), with all-time `count` and `sum`. */
function snapshotOfUnion(count: number, sum: number): PmfSnapshot {
  if (UNION.count === 0) return emptySnapshot(count, sum);
  const [median, p75, p95, p98, p99, p999] = UNION.quantiles(QUANTILES, QUANTILE_VALUES);
  return {
    count,
    sum,
    min: UNION.min,
    max: UNION.max,
    mean: UNION.sum / UNION.count,
    stddev: Math.sqrt(UNION.variance),
    median: median!,
    "75percentile": p75!,
    "95percentile": p95!,
    "98percentile": p98!,
    "99percentile": p99!,
    "999percentile": p999!,
  };
}

/** A distribution's window slots, rotated to now. */
let windowSlots: (pmf: Pmf) => readonly QuantileSketch[];
/** A distribution's all-time sketches (the retired one first), rotated to now. */
let allTimeSketches: (pmf: Pmf) => readonly QuantileSketch[];
/** A fresh sketch of the samples in a distribution's window. */
let windowOf: (pmf: Pmf) => QuantileSketch;
/** A copy of the samples of a distribution that have left its window. */
let retiredOf: (pmf: Pmf) => QuantileSketch;

/** A running measurement from {@linkcode Pmf.time}: stop it to record the duration. */
export class Timer implements Disposable {
  readonly #pmf: Pmf;
  readonly #start: number;
  #done = false;
  #warn: ((message: string, duration: number) => void) | undefined;
  #message = "";

  /** Starts timing for `pmf`; use {@linkcode Pmf.time} instead. */
  constructor(pmf: Pmf) {
    this.#pmf = pmf;
    this.#start = now();
  }

  /**
   * Asks for `log(message, duration)` when the duration, once stopped, is at
   * or above the current 99th percentile. Returns the timer.
   *
   * @example
   * ```ts
   * import { Pmf } from "@scales/core";
   * const latency = new Pmf();
   * {
   *   using _t = latency.time().warn99(console.warn, "slow request");
   * }
   * ```
   */
  warn99(log: (message: string, duration: number) => void, message: string): this {
    this.#warn = log;
    this.#message = message;
    return this;
  }

  /** Records the milliseconds since the start, once; returns them. */
  stop(): number {
    const duration = now() - this.#start;
    if (this.#done) return duration;
    this.#done = true;
    const warn = this.#warn;
    if (warn !== undefined && duration >= this.#pmf.p99()) warn(this.#message, duration);
    this.#pmf.add(duration);
    return duration;
  }

  /** Drops the measurement: nothing is recorded. */
  discard(): void {
    this.#done = true;
  }

  /** Stops the timer (for `using`). */
  [Symbol.dispose](): void {
    this.stop();
  }
}

/**
 * A distribution: record samples with `add(value)` or time code with
 * `time()`. Percentiles come from a mergeable sketch on base-2 exponential
 * buckets (relative error 0.54%) over a sliding window (default five
 * minutes), so an old spike ages out; `count`, `sum` and
 * {@linkcode Pmf.exponentialHistogram} are all-time. Memory does not grow
 * with the number of samples.
 *
 * Inside: one sketch per window slot takes the samples, and when a slot
 * leaves the window it is merged, exactly, into an all-time sketch before
 * it is cleared; so a sample costs one bucket increment, and the all-time
 * buckets are the all-time sketch merged with the live slots.
 */
export class Pmf {
  readonly #slots: QuantileSketch[];
  readonly #slotMs: number;
  readonly #start: number;
  readonly #where: string;
  #current: QuantileSketch;
  #slot = 0;
  #generation = -1;
  /** Every sample of the slots that have left the window. */
  readonly #retired: QuantileSketch;
  #p99 = Infinity;
  #p99Generation = -1;
  /** The last snapshot, and the slot and count it was taken at. */
  #snapshot: PmfSnapshot | undefined;
  #snapshotSlot = -1;
  #snapshotCount = -1;
  /** Samples in the window of the last snapshot. */
  #windowCount = 0;

  /** Makes an empty distribution; `where` names it in error messages. */
  constructor(options: PmfOptions = {}, where = "Pmf") {
    const windowMs = options.windowMs ?? 300_000;
    const slots = options.slots ?? 5;
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) {
      throw new TypeError(
        `${where}: windowMs must be a positive number, got ${describeValue(windowMs)}`,
      );
    }
    if (!Number.isInteger(slots) || slots < 1) {
      throw new TypeError(
        `${where}: slots must be a positive integer, got ${describeValue(slots)}`,
      );
    }
    const maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    if (!Number.isInteger(maxBuckets) || maxBuckets < 128) {
      throw new TypeError(
        `${where}: maxBuckets must be an integer of at least 128, got ${describeValue(maxBuckets)}`,
      );
    }
    this.#where = where;
    this.#slotMs = windowMs / slots;
    this.#slots = Array.from({ length: slots }, () => new QuantileSketch({ maxBuckets }));
    this.#retired = new QuantileSketch({ maxBuckets });
    this.#current = this.#slots[0]!;
    this.#start = startCoarseClock();
  }

  /**
   * Records one sample. Costs a few nanoseconds more than the sketch itself:
   * the window moves on the shared coarse clock, never on a clock read.
   *
   * @example
   * ```ts
   * import { Pmf } from "@scales/core";
   * import assert from "node:assert/strict";
   * const sizes = new Pmf();
   * sizes.add(512);
   * sizes.add(2048);
   * assert.deepEqual(sizes.snapshot().max, 2048);
   * ```
   */
  add(value: number): void {
    if (this.#generation !== coarse.generation) this.#rotate(coarse.ms);
    // The sketch refuses NaN and ±Infinity on its slow path, so the check is free.
    if (typeof value !== "number" || !this.#current.add(value)) this.#reject(value);
  }

  #reject(value: unknown): never {
    throw new TypeError(`${this.#where} records finite numbers, got ${describeValue(value)}`);
  }

  /**
   * Times code, in milliseconds from `performance.now()`.
   *
   * - `time()` returns a {@linkcode Timer}: `using _t = pmf.time();` records
   *   when the block ends; or call `stop()` (or `discard()`) yourself.
   * - `time(fn)` runs `fn` and records its duration; for a promise, when it
   *   settles. Returns what `fn` returns and rethrows what it throws.
   *
   * @example
   * ```ts
   * import { Pmf } from "@scales/core";
   * import assert from "node:assert/strict";
   * const latency = new Pmf();
   * {
   *   using _t = latency.time();
   *   // ... work ...
   * }
   * const answer = latency.time(() => 6 * 7);
   * await latency.time(async () => {});
   * assert.deepEqual(latency.snapshot().count, 3);
   * ```
   */
  time(): Timer;
  /** Runs `fn`, records its duration (for a promise, when it settles), and returns its result. */
  time<T>(fn: () => T): T;
  time<T>(fn?: () => T): T | Timer {
    const timer = new Timer(this);
    if (fn === undefined) return timer;
    let result: T;
    try {
      result = fn();
    } catch (error) {
      timer.stop();
      throw error;
    }
    if (result instanceof Promise) {
      return result.finally(() => timer.stop()) as T;
    }
    timer.stop();
    return result;
  }

  /** Samples recorded so far. */
  get count(): number {
    let count = this.#retired.count;
    for (const slot of this.#slots) count += slot.count;
    return count;
  }

  /** Sum of the samples recorded so far. */
  get sum(): number {
    let sum = this.#retired.sum;
    for (const slot of this.#slots) sum += slot.sum;
    return sum;
  }

  /**
   * Every sample recorded so far as base-2 exponential buckets: what a
   * Prometheus native histogram or an OpenTelemetry exponential histogram
   * exports (cumulative; the window is only for the percentiles). Scale 6
   * unless the samples of one sign span more than 64 octaves.
   *
   * @example
   * ```ts
   * import { Pmf } from "@scales/core";
   * import assert from "node:assert/strict";
   * const latency = new Pmf();
   * latency.add(1);
   * latency.add(2);
   * latency.add(2);
   * const buckets = latency.exponentialHistogram();
   * assert.deepEqual(buckets.scale, 6);
   * // Bucket i covers (2^(i/64), 2^((i+1)/64)]: 1 is the top of bucket -1, 2 of bucket 63.
   * assert.deepEqual(buckets.positive.offset, -1);
   * assert.deepEqual(buckets.positive.counts.length, 65);
   * assert.deepEqual([buckets.positive.counts[0], buckets.positive.counts[64]], [1, 2]);
   * assert.deepEqual([buckets.count, buckets.sum, buckets.zeroCount], [3, 5, 0]);
   * ```
   */
  exponentialHistogram(): ExponentialHistogramData {
    UNION.load(allTimeSketches(this), this.#retired.maxBuckets);
    return UNION.exponentialHistogram();
  }

  /** The window's 99th percentile, recomputed at most once per coarse clock step. */
  p99(): number {
    if (this.#p99Generation !== coarse.generation) {
      this.#p99Generation = coarse.generation;
      const snapshot = this.snapshot();
      this.#p99 = this.#windowCount === 0 ? Infinity : snapshot["99percentile"];
    }
    return this.#p99;
  }

  static {
    windowSlots = (pmf) => {
      pmf.#rotate(now());
      return pmf.#slots;
    };
    windowOf = (pmf) => {
      const merged = new QuantileSketch({ maxBuckets: pmf.#retired.maxBuckets });
      for (const slot of windowSlots(pmf)) merged.merge(slot);
      return merged;
    };
    retiredOf = (pmf) => {
      pmf.#rotate(now());
      return pmf.#retired.clone();
    };
    allTimeSketches = (pmf) => {
      pmf.#rotate(now());
      // Not kept on the Pmf: an array per read costs less than its memory.
      return [pmf.#retired, ...pmf.#slots];
    };
  }

  /**
   * Count, sum, min, max, mean, stddev and percentiles; see
   * {@linkcode PmfSnapshot}. Computed once for each state of the
   * distribution: until a sample is recorded or the window moves on, every
   * read returns the same (frozen) object.
   *
   * @example
   * ```ts
   * import { Pmf } from "@scales/core";
   * import assert from "node:assert/strict";
   * const latency = new Pmf();
   * latency.add(10);
   * const first = latency.snapshot();
   * assert.equal(latency.snapshot(), first); // nothing changed: the same object
   * latency.add(30);
   * assert.deepEqual(latency.snapshot().max, 30);
   * ```
   */
  snapshot(): PmfSnapshot {
    this.#rotate(now());
    // Every recorded sample raises the count, and only a rotation changes
    // the slot: the same (slot, count) is the same window.
    const count = this.count;
    const cached = this.#snapshot;
    if (
      cached !== undefined && this.#snapshotSlot === this.#slot && this.#snapshotCount === count
    ) {
      return cached;
    }
    UNION.load(this.#slots, this.#retired.maxBuckets);
    const snapshot = Object.freeze(snapshotOfUnion(count, this.sum));
    this.#windowCount = UNION.count;
    this.#snapshot = snapshot;
    this.#snapshotSlot = this.#slot;
    this.#snapshotCount = count;
    return snapshot;
  }

  #rotate(time: number): void {
    this.#generation = coarse.generation;
    const slot = Math.floor((time - this.#start) / this.#slotMs);
    if (slot <= this.#slot) return;
    const slots = this.#slots;
    const steps = Math.min(slot - this.#slot, slots.length);
    for (let i = 1; i <= steps; i++) {
      const leaving = slots[(this.#slot + i) % slots.length]!;
      this.#retired.merge(leaving);
      leaving.clear();
    }
    this.#slot = slot;
    this.#current = slots[slot % slots.length]!;
  }
}

class PmfCell implements StatCell<Pmf> {
  readonly type = "PmfStat";
  readonly kind: StatKind = "pmf";
  aggregators: Aggregator[] | null = null;
  readonly pmf: Pmf;

  constructor(readonly name: string, context: CellContext, options: PmfOptions) {
    this.pmf = new Pmf(options, `PmfStat ${joinPath(context.path, name)}`);
  }

  get stored(): Pmf {
    return this.pmf;
  }

  get(): Pmf {
    return this.pmf;
  }

  set(value: unknown): void {
    this.pmf.add(value as number);
  }

  histogram(): ExponentialHistogramData {
    return this.pmf.exponentialHistogram();
  }

  snapshot(): SnapshotValue {
    return { ...this.pmf.snapshot() };
  }
}

/**
 * A distribution stat, usually of durations in milliseconds:
 * `STATS.latency.time()`, `STATS.latency.add(ms)`, or `STATS.latency = ms`.
 * See {@linkcode Pmf} for the methods and {@linkcode PmfSnapshot} for what
 * it shows. In TypeScript, `STATS.latency` is typed as a `Pmf`, so the
 * assignment form needs a cast; `add(v)` is the typed way.
 *
 * @example
 * ```ts
 * import { collection, getStats, PmfStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", PmfStat("latency"));
 * {
 *   using _t = STATS.latency.time();
 *   // handle the request
 * }
 * STATS.latency.add(12.5);
 * assert.deepEqual((getStats("/web")?.latency as { count: number }).count, 2);
 * ```
 */
export function PmfStat<N extends string>(name: N, options: PmfOptions = {}): StatSpec<N, Pmf> {
  new Pmf(options, `PmfStat ${JSON.stringify(name)}`); // reject bad options at declaration
  return statSpec("PmfStat", "pmf", name, (context) => new PmfCell(name, context, options));
}

/**
 * What a `PmfAggregationStat` reads as: the snapshot of its children's
 * windows taken together, and their all-time buckets.
 */
export interface PmfAggregate extends PmfSnapshot {
  /**
   * Every sample the children recorded, as one set of buckets: exactly those
   * of one `Pmf` fed all their samples (see {@linkcode Pmf.exponentialHistogram}).
   * Not a field of the snapshot (it is not enumerable).
   */
  exponentialHistogram(): ExponentialHistogramData;
}

/** Fresh copies of a distribution's sketches: its window, and every sample it ever recorded. */
export interface PmfSketches {
  /** The samples in the window (the percentiles' source). */
  readonly window: QuantileSketch;
  /** Every sample since the distribution was made. */
  readonly allTime: QuantileSketch;
}

/**
 * Copies of `pmf`'s window and of its samples that have left the window (to
 * send to another worker: every sample is in one of the two, so the
 * all-time sketch is their merge).
 */
export function windowAndRetired(pmf: Pmf): { window: QuantileSketch; retired: QuantileSketch } {
  const window = windowOf(pmf);
  return { window, retired: retiredOf(pmf) };
}

/**
 * What a {@linkcode PmfAggregationStat} reads, from a window and an all-time
 * sketch (for a distribution merged from several sources).
 */
export function aggregateOf(sketches: PmfSketches): PmfAggregate {
  const { window, allTime } = sketches;
  UNION.load([window], window.maxBuckets);
  return Object.defineProperty(
    snapshotOfUnion(allTime.count, allTime.sum),
    "exponentialHistogram",
    {
      value: () => allTime.exponentialHistogram(),
    },
  ) as PmfAggregate;
}

/** The all-time buckets of `children` taken together. */
function allTimeOf(children: readonly Pmf[]): ExponentialHistogramData {
  UNION.load(children.flatMap(allTimeSketches), DEFAULT_MAX_BUCKETS);
  return UNION.exponentialHistogram();
}

class PmfAggregationCell extends AggregationCell<Readonly<PmfAggregate>> {
  readonly type = "PmfAggregationStat";
  readonly kind: StatKind = "pmf";
  readonly #children = new Set<Pmf>();
  readonly aggregator: Aggregator = {
    accepts: (cell) => cell.type === "PmfStat",
    attach: (cell) => void this.#children.add(cell.stored as Pmf),
    detach: (cell) => void this.#children.delete(cell.stored as Pmf),
    changed: () => {},
  };

  get(): Readonly<PmfAggregate> {
    let count = 0;
    let sum = 0;
    const children = [...this.#children];
    const slots = children.flatMap(windowSlots);
    for (const pmf of children) {
      count += pmf.count;
      sum += pmf.sum;
    }
    UNION.load(slots, DEFAULT_MAX_BUCKETS);
    return Object.defineProperty(snapshotOfUnion(count, sum), "exponentialHistogram", {
      value: () => allTimeOf(children),
    }) as PmfAggregate;
  }

  histogram(): ExponentialHistogramData {
    return allTimeOf([...this.#children]);
  }

  snapshot(): SnapshotValue {
    // The spread copies the snapshot fields, not the (non-enumerable) method.
    return { ...this.get() as PmfSnapshot };
  }
}

/**
 * At an ancestor, the distribution of every same-named `PmfStat` below it
 * taken together: the sketches merge exactly, so the percentiles are those
 * of all the children's samples in one stream.
 *
 * @example
 * ```ts
 * import { collection, getStats, PmfAggregationStat, PmfStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const web = collection("/web", PmfAggregationStat("latency"));
 * collection("/web/a", PmfStat("latency")).latency.add(10);
 * collection("/web/b", PmfStat("latency")).latency.add(30);
 * assert.deepEqual((getStats("/web")?.latency as { max: number }).max, 30);
 * // The live value also gives the children's all-time buckets together.
 * assert.deepEqual(web.latency.exponentialHistogram().count, 2);
 * ```
 */
export function PmfAggregationStat<N extends string>(name: N): StatSpec<N, Readonly<PmfAggregate>> {
  return statSpec(
    "PmfAggregationStat",
    "pmf",
    name,
    (context) => new PmfAggregationCell(name, context),
  );
}
