/**
 * A mergeable quantile sketch on base-2 exponential buckets: the bucket
 * layout of Prometheus native histograms and OpenTelemetry
 * `ExponentialHistogram` (see `exponential_histogram.ts`).
 *
 * At scale `s` the base is `b = 2^(2^-s)` and bucket `i` covers
 * `(b^i, b^(i+1)]`. A quantile reads as the point of its bucket with the
 * least relative distance to both edges, `2b^(i+1) / (b + 1)`, so it is
 * within `(b - 1) / (b + 1)` of the true sample at the same rank: 0.54% at the
 * default scale 6. The bucket of a sample comes from the bits of the float
 * (`_exponential_mapping.ts`), never from a logarithm.
 *
 * This module is private to the package; it holds only pure arithmetic and
 * has no runtime dependencies.
 *
 * @module
 */

import {
  bucketIndex,
  type MappingTables,
  mappingTables,
  MAX_SCALE,
  MIN_SCALE,
  upperEdge,
} from "./_exponential_mapping.ts";
import { BucketStore } from "./_bucket_store.ts";
import type { BucketRun, ExponentialHistogramData } from "./exponential_histogram.ts";

/** Default scale of a {@linkcode QuantileSketch}: base `2^(1/64)`, relative error 0.54%. */
export const DEFAULT_SCALE = 6;

/**
 * Default cap on the number of buckets in each store (positive and
 * negative) of a {@linkcode QuantileSketch}.
 *
 * At scale 6, 4096 buckets span 64 octaves, a ratio of `2^64 ≈ 1.8e19`
 * between the smallest and largest magnitude of one sign (for example `1e-6`
 * to `1e13`). Values spanning more lower the scale by one, exactly, which
 * doubles the range and the relative error.
 */
export const DEFAULT_MAX_BUCKETS = 4096;

/**
 * Magnitudes at or below this threshold (`2^-30 ≈ 9.3e-10`) count as zero
 * (the formats' zero bucket) rather than in an exponential bucket. A power of
 * two, so it is a bucket boundary at every scale.
 *
 * They still contribute their exact value to `min`, `max`, `sum`, `mean` and
 * `stddev`, and quantiles are clamped into `[min, max]`, so a sketch whose
 * values are all tiny still reports them exactly.
 */
export const ZERO_THRESHOLD = 2 ** -30;

/** The biased exponent of {@linkcode ZERO_THRESHOLD}: any larger one is a bucket. */
const ZERO_EXPONENT = 1023 - 30;

// The hot path's own views of a double's bits: module-local constants are
// cheaper for V8 to reach than imported ones (measured, about 0.6 ns a sample).
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
F64[0] = 1;
const HI = U32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;
/** The negative store of every sketch that has seen no negative value (never written). */
const NO_NEGATIVES = new BucketStore();

/** Loads `union` with `parts` taken together; see {@linkcode SketchUnion.load}. */
let loadUnion: (union: SketchUnion, parts: readonly QuantileSketch[]) => void;

/** A sketch's count, sum, extremes and moment sums. */
interface Moments {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly zeroCount: number;
  readonly origin: number;
  readonly squares: number;
}

/** Populated buckets of one sign, sparse: `counts[i]` is the count of bucket `indexes[i]`. */
export interface SparseBuckets {
  /** Bucket indexes, ascending. */
  readonly indexes: readonly number[];
  /** Their counts, all positive. */
  readonly counts: readonly number[];
}

/**
 * A {@linkcode QuantileSketch}'s whole state as plain data (JSON and
 * structured-clone safe), with only the populated buckets; see
 * {@linkcode QuantileSketch.state}.
 */
export interface SketchState {
  /** Every sample. */
  readonly count: number;
  /** The sum of every sample. */
  readonly sum: number;
  /** The smallest sample (0 when there is none). */
  readonly min: number;
  /** The largest sample (0 when there is none). */
  readonly max: number;
  /** Samples counted as zero. */
  readonly zeroCount: number;
  /** The first sample: the shift of the sum of squares. */
  readonly origin: number;
  /** Σ(v - origin)². */
  readonly squares: number;
  /** The scale the sketch started at. */
  readonly initialScale: number;
  /** The sketch's bucket cap. */
  readonly maxBuckets: number;
  /** The current scale. */
  readonly scale: number;
  /** Buckets of positive values. */
  readonly positive: SparseBuckets;
  /** Buckets of negative values, by magnitude. */
  readonly negative: SparseBuckets;
}

/** Options for constructing a {@linkcode QuantileSketch}. */
export interface QuantileSketchOptions {
  /**
   * The starting scale, from -4 to 8 (the schemas Prometheus native
   * histograms accept): base `2^(2^-scale)`, relative error
   * `(base - 1) / (base + 1)`.
   *
   * @default {6}
   */
  scale?: number;
  /**
   * Maximum number of buckets per store (at least 128). When the values of
   * one sign span more, the sketch lowers its scale until they fit.
   *
   * @default {4096}
   */
  maxBuckets?: number;
}

/**
 * A mergeable quantile sketch with a guaranteed relative error and bounded
 * memory, plus exact count, min, max and sum, and a mean and variance from
 * sums shifted by the first sample (exact to about 1e-12 relative).
 *
 * Positive values, negative values (by magnitude) and values with
 * `|v| <= 2^-30` ({@linkcode ZERO_THRESHOLD}) are kept apart. Non-finite
 * values (`NaN`, `±Infinity`) are ignored entirely.
 *
 * Accuracy: `quantile(q)` is within {@linkcode QuantileSketch.relativeAccuracy}
 * (0.54% at scale 6) of the exact sample at rank `floor(q * (count - 1))` of
 * the sorted samples (0-based).
 *
 * Memory: each store grows on demand up to `maxBuckets` counters that start
 * 1 byte wide and widen on overflow; a latency distribution from 1 ms to 10 s
 * holds about 880 buckets.
 *
 * Merging: two sketches merge exactly at the coarser of their scales; the
 * result is identical, bucket for bucket, to one sketch fed both streams.
 *
 * @example Usage
 * ```ts
 * import { QuantileSketch } from "./_sketch.ts";
 * import assert from "node:assert/strict";
 *
 * const sketch = new QuantileSketch();
 * for (let i = 1; i <= 1000; i++) sketch.add(i);
 * assert.ok(Math.abs(sketch.quantile(0.99) / 990 - 1) <= sketch.relativeAccuracy);
 * ```
 */
export class QuantileSketch {
  /** The cap on the number of buckets in each of the two stores. */
  readonly maxBuckets: number;
  /** The scale the sketch starts at (and returns to when cleared). */
  readonly initialScale: number;

  readonly #tables: MappingTables;
  // The tables' fields, copied here so the hot path reads them in one step.
  readonly #bins: Int32Array;
  readonly #boundLow: Uint32Array;
  /** Right shift from the tables' index to the current scale's. */
  #shift: number;
  #scale: number;
  readonly #positive = new BucketStore();
  /** Allocated with the first negative value. */
  #negative = NO_NEGATIVES;
  #zeroCount = 0;
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;
  /** The first sample: the origin of the shifted squares (exact for data far from zero). */
  #origin = 0;
  /** Σ(v - origin)²; Σ(v - origin) is `sum - count * origin`. */
  #squares = 0;

  /**
   * Creates an empty sketch.
   *
   * @param options Scale and bucket cap; see {@linkcode QuantileSketchOptions}.
   * @throws {RangeError} If `scale` is not an integer from -4 to 8 or
   * `maxBuckets` is not an integer of at least 128.
   */
  constructor(options: QuantileSketchOptions = {}) {
    const scale = options.scale ?? DEFAULT_SCALE;
    const maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    if (!Number.isInteger(scale) || scale < MIN_SCALE || scale > MAX_SCALE) {
      throw new RangeError(
        `scale must be an integer from ${MIN_SCALE} to ${MAX_SCALE}, got ${scale}`,
      );
    }
    if (!Number.isInteger(maxBuckets) || maxBuckets < 128) {
      throw new RangeError(`maxBuckets must be an integer >= 128, got ${maxBuckets}`);
    }
    this.maxBuckets = maxBuckets;
    this.initialScale = scale;
    // Every sketch maps values at the finest scale, 8, and shifts the index
    // right to its own: buckets nest exactly, and the tables' shift, mask and
    // scale become literals of the hot path instead of fields (1.1 ns a
    // sample less, bench/add_cost.ts). The price: the scale-8 tables (6 KB,
    // shared) take about 25 ms to build on first use, against 7 ms at scale 6.
    this.#tables = mappingTables(MAX_SCALE);
    this.#bins = this.#tables.bins;
    this.#boundLow = this.#tables.boundLow;
    this.#scale = scale;
    this.#shift = this.#tables.scale - scale;
  }

  /** The current scale: the initial one, or lower if the values spanned more than `maxBuckets`. */
  get scale(): number {
    return this.#scale;
  }

  /** The relative error bound of quantiles at the current scale, `(b - 1) / (b + 1)`. */
  get relativeAccuracy(): number {
    const base = Math.pow(2, Math.pow(2, -this.#scale));
    return (base - 1) / (base + 1);
  }

  /** Number of values added (non-finite values are not counted). */
  get count(): number {
    return this.#count;
  }

  /** Sum of the values added; `0` when empty. */
  get sum(): number {
    return this.#sum;
  }

  /** Smallest value added, exactly; `NaN` when empty. */
  get min(): number {
    return this.#count === 0 ? NaN : this.#min;
  }

  /** Largest value added, exactly; `NaN` when empty. */
  get max(): number {
    return this.#count === 0 ? NaN : this.#max;
  }

  /** Arithmetic mean; `NaN` when empty. */
  get mean(): number {
    return this.#count === 0 ? NaN : this.#sum / this.#count;
  }

  /** Sample variance, `Σ(v - mean)² / (count - 1)`; `0` with fewer than two values. */
  get variance(): number {
    const n = this.#count;
    if (n < 2) return 0;
    const shifted = this.#sum - n * this.#origin;
    return Math.max(0, (this.#squares - shifted * shifted / n) / (n - 1));
  }

  /** Sample standard deviation, the square root of {@linkcode QuantileSketch.variance}. */
  get stddev(): number {
    return Math.sqrt(this.variance);
  }

  /** Number of buckets currently allocated across both stores (at most `2 * maxBuckets`). */
  get bucketCount(): number {
    return this.#positive.counts.length + this.#negative.counts.length;
  }

  /** Bytes of bucket counters currently allocated across both stores. */
  get byteLength(): number {
    return this.#positive.byteLength + this.#negative.byteLength;
  }

  /**
   * Adds one value. `NaN` and `±Infinity` are ignored. Does not allocate
   * unless a store has to grow or widen.
   *
   * @param v The value to record.
   * @returns Whether it was recorded: false for `NaN` and `±Infinity`.
   */
  add(v: number): boolean {
    F64[0] = v;
    const high = U32[HI]!;
    const exponent = (high >>> 20) & 0x7ff;
    // One unsigned comparison sends zero, tiny, NaN and ±Infinity (biased
    // exponents up to ZERO_EXPONENT, and 2047) to the slow path.
    if (((exponent - ZERO_EXPONENT - 1) >>> 0) >= 2047 - ZERO_EXPONENT - 1) {
      return this.#addUnusual(v);
    }
    if (this.#count++ === 0) this.#origin = v;
    this.#sum += v;
    const d = v - this.#origin;
    this.#squares += d * d;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
    const bins = this.#bins;
    // Literals (the tables at scale 8: shift 11, mask 511), faster than
    // module constants; checked against the tables when the module loads.
    const at = ((high >>> 11) & 511) << 1;
    const top = high & 0xfffff;
    const boundHigh = bins[at + 1]!;
    let above = (boundHigh - top) >>> 31;
    if (top === boundHigh) above = U32[LO]! > this.#boundLow[at >> 1]! ? 1 : 0;
    const index = (((exponent - 1023) << 8) + bins[at]! + above) >> this.#shift;
    const store = v > 0 ? this.#positive : this.#negative;
    const counts = store.counts;
    // Out of range, counts[j] is undefined and c is NaN: the test fails and
    // the slow path grows the store; no separate bounds check.
    const j = index - store.offset;
    const c = counts[j]! + 1;
    if (c <= store.limit) {
      counts[j] = c;
      return true;
    }
    this.#place(store, index, 1);
    return true;
  }

  /**
   * Adds a value whose magnitude is below `2^-29`, or ignores a non-finite one.
   * It repeats the statistics of `add` on purpose: sharing them (one flag, two
   * tests in `add`) measured 1.2 ns a sample slower.
   */
  #addUnusual(v: number): boolean {
    if (v - v !== 0) return false; // NaN or ±Infinity
    if (this.#count++ === 0) this.#origin = v;
    this.#sum += v;
    const d = v - this.#origin;
    this.#squares += d * d;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
    if (v <= ZERO_THRESHOLD && v >= -ZERO_THRESHOLD) {
      this.#zeroCount++;
    } else {
      // 2^-30 < |v| < 2^-29: a normal double with an ordinary bucket.
      const index = bucketIndex(this.#tables, v) >> this.#shift;
      this.#place(v > 0 ? this.#positive : this.#negative, index, 1);
    }
    return true;
  }

  /** Adds `count` to bucket `index` (at the current scale) of `store`, lowering the scale if needed. */
  #place(store: BucketStore, index: number, count: number): void {
    if (store === NO_NEGATIVES) store = this.#negative = new BucketStore();
    while (!store.tryAdd(index, count, this.maxBuckets)) {
      const k = store.downscaleNeeded(index, this.maxBuckets);
      this.#downscale(k);
      index >>= k;
    }
  }

  /** Lowers the scale by `k`, exactly: bucket `i` becomes `i >> k`. */
  #downscale(k: number): void {
    this.#positive.downscale(k);
    if (this.#negative !== NO_NEGATIVES) this.#negative.downscale(k);
    this.#scale -= k;
    this.#shift += k;
  }

  /**
   * Returns the value at quantile `q`.
   *
   * Rank convention (lower nearest rank, as DDSketch): the result estimates
   * the sample at 0-based rank `floor(q * (count - 1))` of the sorted samples,
   * within `relativeAccuracy`. The estimate is the point of that sample's
   * bucket nearest, in relative terms, to both edges, clamped into
   * `[min, max]`, so `quantile(0)` is exactly `min` and `quantile(1)` exactly
   * `max`. Samples in the zero bucket are reported as `0`.
   *
   * @param q The quantile, in `[0, 1]`.
   * @returns The estimate, or `NaN` if the sketch is empty.
   * @throws {RangeError} If `q` is not in `[0, 1]`.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    if (this.#count === 0) return NaN;
    if (q === 0) return this.#min;
    if (q === 1) return this.#max;
    let rank = Math.floor(q * (this.#count - 1));
    let value: number;
    const negatives = this.#negative.total();
    if (rank < negatives) {
      value = -this.#representative(this.#negative.indexAtRankDescending(rank));
    } else if ((rank -= negatives) < this.#zeroCount) {
      value = 0;
    } else {
      value = this.#representative(this.#positive.indexAtRank(rank - this.#zeroCount));
    }
    return Math.min(this.#max, Math.max(this.#min, value));
  }

  /**
   * Returns the values at several quantiles; see {@linkcode QuantileSketch.quantile}.
   *
   * @param qs The quantiles, each in `[0, 1]`.
   * @returns One estimate per entry of `qs`, in the same order.
   */
  quantiles(qs: readonly number[]): number[] {
    return qs.map((q) => this.quantile(q));
  }

  /**
   * Adds every value recorded by `other` into this sketch, exactly: the
   * result is the same as if this sketch had been fed `other`'s values too.
   * Sketches of different scales merge at the coarser one (or lower, if the
   * union spans more than `maxBuckets`).
   *
   * @param other Any sketch.
   */
  merge(other: QuantileSketch): void {
    if (other === this) other = this.clone();
    if (other.#count === 0) return;
    this.#mergeMoments(other.#moments());
    if (other.#scale < this.#scale) this.#downscale(this.#scale - other.#scale);
    this.#mergeStore(this.#positive, other.#positive, other.#scale);
    this.#mergeStore(this.#negative, other.#negative, other.#scale);
  }

  /** This sketch's count, sum, extremes and moment sums. */
  #moments(): Moments {
    return {
      count: this.#count,
      sum: this.#sum,
      min: this.#min,
      max: this.#max,
      zeroCount: this.#zeroCount,
      origin: this.#origin,
      squares: this.#squares,
    };
  }

  /** Adds another sketch's count, sum, extremes and moment sums (`count` > 0). */
  #mergeMoments(other: Moments): void {
    const n2 = other.count;
    const n1 = this.#count;
    if (n1 === 0) {
      this.#origin = other.origin;
      this.#squares = other.squares;
    } else {
      // Re-shift other's squares from its origin to ours.
      const delta = other.origin - this.#origin;
      const shifted = other.sum - n2 * other.origin;
      this.#squares += other.squares + 2 * delta * shifted + n2 * delta * delta;
    }
    this.#count = n1 + n2;
    this.#sum += other.sum;
    if (other.min < this.#min) this.#min = other.min;
    if (other.max > this.#max) this.#max = other.max;
    this.#zeroCount += other.zeroCount;
  }

  /**
   * The sketch's whole state as plain data: what
   * {@linkcode QuantileSketch.fromState} rebuilds exactly, so a sketch can
   * cross a worker or process boundary and still merge exactly.
   */
  state(): SketchState {
    const empty = this.#count === 0;
    return {
      initialScale: this.initialScale,
      maxBuckets: this.maxBuckets,
      scale: this.#scale,
      zeroCount: this.#zeroCount,
      positive: sparseOf(this.#positive),
      negative: sparseOf(this.#negative),
      count: this.#count,
      sum: this.#sum,
      min: empty ? 0 : this.#min,
      max: empty ? 0 : this.#max,
      origin: this.#origin,
      squares: this.#squares,
    };
  }

  /**
   * The sketch whose {@linkcode QuantileSketch.state} is `state`.
   *
   * @throws {RangeError} If the state's scale or buckets are not a sketch's.
   */
  static fromState(state: SketchState): QuantileSketch {
    const sketch = new QuantileSketch({ scale: state.initialScale, maxBuckets: state.maxBuckets });
    sketch.mergeState(state);
    return sketch;
  }

  /**
   * Adds every value of the sketch whose {@linkcode QuantileSketch.state} is
   * `state`, exactly as `merge(QuantileSketch.fromState(state))` would,
   * without building that sketch (a merge across workers does one per
   * worker and stat).
   *
   * @throws {RangeError} If the state's scale or buckets are not a sketch's.
   */
  mergeState(state: SketchState): void {
    if (state.count === 0) return;
    if (!Number.isInteger(state.scale) || state.scale > MAX_SCALE || state.scale < MIN_SCALE) {
      throw new RangeError(
        `sketch state scale must be an integer from ${MIN_SCALE} to ${MAX_SCALE}, got ${state.scale}`,
      );
    }
    this.#mergeMoments(state);
    if (state.scale < this.#scale) this.#downscale(this.#scale - state.scale);
    this.#placeSparse(true, state.positive, state.scale);
    this.#placeSparse(false, state.negative, state.scale);
  }

  /** Adds sparse buckets at `scale` to the positive or negative store, highest first. */
  #placeSparse(positive: boolean, buckets: SparseBuckets, scale: number): void {
    const { indexes, counts } = buckets;
    for (let i = indexes.length - 1; i >= 0; i--) {
      const count = counts[i]!;
      const index = indexes[i]!;
      if (!Number.isInteger(count) || count < 0 || !Number.isInteger(index)) {
        throw new RangeError(
          `sketch state buckets must be integer indexes with non-negative integer counts, got ${index}: ${count}`,
        );
      }
      // The store is read each time: the first negative value replaces NO_NEGATIVES.
      const store = positive ? this.#positive : this.#negative;
      if (count > 0) this.#place(store, index >> (scale - this.#scale), count);
    }
  }

  /** Adds every bucket of `from` (at `scale`) into `into`, one of this sketch's stores. */
  #mergeStore(into: BucketStore, from: BucketStore, scale: number): void {
    const first = from.first();
    if (first < 0) return;
    if (into === NO_NEGATIVES) into = this.#negative = new BucketStore();
    const last = from.last();
    const counts = from.counts;
    // Highest and lowest first, so the array grows at most twice and any
    // lowering of the scale happens before the rest.
    this.#place(into, (from.offset + last) >> (scale - this.#scale), counts[last]!);
    if (last === first) return;
    this.#place(into, (from.offset + first) >> (scale - this.#scale), counts[first]!);
    for (let j = last - 1; j > first; j--) {
      const c = counts[j]!;
      if (c !== 0) this.#place(into, (from.offset + j) >> (scale - this.#scale), c);
    }
  }

  /**
   * Makes this sketch an exact copy of `other`, which must have the same
   * initial scale and bucket cap.
   *
   * @param other The sketch to copy.
   * @throws {RangeError} If the initial scales or the bucket caps differ.
   */
  copyFrom(other: QuantileSketch): void {
    if (other.initialScale !== this.initialScale || other.maxBuckets !== this.maxBuckets) {
      throw new RangeError(
        `cannot copy a sketch of initial scale ${other.initialScale} and maxBuckets ${other.maxBuckets} into one of ${this.initialScale} and ${this.maxBuckets}`,
      );
    }
    this.#positive.copyFrom(other.#positive);
    if (other.#negative === NO_NEGATIVES) {
      this.#negative.clear();
    } else {
      if (this.#negative === NO_NEGATIVES) this.#negative = new BucketStore();
      this.#negative.copyFrom(other.#negative);
    }
    this.#scale = other.#scale;
    this.#shift = other.#shift;
    this.#zeroCount = other.#zeroCount;
    this.#count = other.#count;
    this.#sum = other.#sum;
    this.#min = other.#min;
    this.#max = other.#max;
    this.#origin = other.#origin;
    this.#squares = other.#squares;
  }

  /** Returns an independent copy of this sketch. */
  clone(): QuantileSketch {
    const copy = new QuantileSketch({ scale: this.initialScale, maxBuckets: this.maxBuckets });
    copy.copyFrom(this);
    return copy;
  }

  /** Forgets every value and returns to the initial scale, keeping the allocated buckets for reuse. */
  clear(): void {
    this.#positive.clear();
    this.#negative.clear();
    this.#scale = this.initialScale;
    this.#shift = this.#tables.scale - this.initialScale;
    this.#zeroCount = 0;
    this.#count = 0;
    this.#sum = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
    this.#origin = 0;
    this.#squares = 0;
  }

  /**
   * The buckets, as exporters read them: populated runs trimmed of leading
   * and trailing zeros, so two sketches with the same samples give equal data
   * whatever their allocation history.
   */
  exponentialHistogram(): ExponentialHistogramData {
    const empty = this.#count === 0;
    return {
      scale: this.#scale,
      zeroThreshold: ZERO_THRESHOLD,
      zeroCount: this.#zeroCount,
      positive: runOf(this.#positive),
      negative: runOf(this.#negative),
      count: this.#count,
      sum: this.#sum,
      min: empty ? NaN : this.#min,
      max: empty ? NaN : this.#max,
    };
  }

  static {
    loadUnion = (union, parts) => {
      let scale = union.initialScale;
      let zeroCount = 0;
      let count = 0;
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      let origin = 0;
      let squares = 0;
      for (const part of parts) {
        const n2 = part.#count;
        if (n2 === 0) continue;
        // Merge's arithmetic, in merge's order, so every figure is equal to the last bit.
        if (count === 0) {
          origin = part.#origin;
          squares = part.#squares;
        } else {
          const delta = part.#origin - origin;
          const shifted = part.#sum - n2 * part.#origin;
          squares += part.#squares + 2 * delta * shifted + n2 * delta * delta;
        }
        count += n2;
        sum += part.#sum;
        if (part.#min < min) min = part.#min;
        if (part.#max > max) max = part.#max;
        zeroCount += part.#zeroCount;
        if (part.#scale < scale) scale = part.#scale;
      }
      union.count = count;
      union.sum = sum;
      union.min = min;
      union.max = max;
      union.origin = origin;
      union.squares = squares;
      union.zeroCount = zeroCount;
      const positives = parts.map((part) => part.#positive);
      const negatives = parts.map((part) => part.#negative);
      const scales = parts.map((part) => part.#scale);
      // The scale a merge would end at: the coarsest of the parts, lowered
      // further (as a merge does, exactly) until each sign spans at most maxBuckets.
      const k = Math.max(
        union.positive.bounds(positives, scales, scale, union.maxBuckets),
        union.negative.bounds(negatives, scales, scale, union.maxBuckets),
      );
      union.scale = scale - k;
      union.positive.load(positives, scales, union.scale);
      union.negative.load(negatives, scales, union.scale);
    };
  }

  /** The point of bucket `index` nearest to both edges: `2b^(index+1) / (b + 1)`. */
  #representative(index: number): number {
    const base = Math.pow(2, Math.pow(2, -this.#scale));
    return 2 * upperEdge(index, this.#scale) / (base + 1);
  }
}

/** A store's populated buckets, sparse. */
function sparseOf(store: BucketStore): SparseBuckets {
  const indexes: number[] = [];
  const counts: number[] = [];
  const first = store.first();
  if (first < 0) return { indexes, counts };
  const all = store.counts;
  for (let j = first, last = store.last(); j <= last; j++) {
    if (all[j]! > 0) {
      indexes.push(store.offset + j);
      counts.push(all[j]!);
    }
  }
  return { indexes, counts };
}

/** A store's populated buckets as a trimmed run. */
function runOf(store: BucketStore): BucketRun {
  const first = store.first();
  if (first < 0) return { offset: 0, counts: [] };
  return {
    offset: store.offset + first,
    counts: Array.from(store.counts.subarray(first, store.last() + 1)),
  };
}

/**
 * One sign's buckets of several sketches summed at one scale, in a scratch
 * array reused from one load to the next: `counts[j]`, for `j <= last`, is
 * the count of bucket `offset + j`; `last` is -1 when there are none.
 */
class _UnionStore {
  counts = new Float64Array(64);
  offset = 0;
  last = -1;
  // What bounds() found: per store its populated positions, and the lowest
  // and highest bucket at the coarsest scale.
  readonly #firsts: number[] = [];
  readonly #lasts: number[] = [];
  #scale = 0;
  #lo = 0;
  #hi = -1;

  /**
   * Finds the populated buckets of `stores` (`stores[i]` at `scales[i]`) at
   * `scale`, and returns the smallest `k >= 0` such that they span at most
   * `maxBuckets` at `scale - k`.
   */
  bounds(
    stores: readonly BucketStore[],
    scales: readonly number[],
    scale: number,
    maxBuckets: number,
  ): number {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < stores.length; i++) {
      const store = stores[i]!;
      const first = store.first();
      this.#firsts[i] = first;
      if (first < 0) continue;
      const last = store.last();
      this.#lasts[i] = last;
      const shift = scales[i]! - scale;
      const a = (store.offset + first) >> shift;
      const b = (store.offset + last) >> shift;
      if (a < lo) lo = a;
      if (b > hi) hi = b;
    }
    this.#scale = scale;
    if (lo > hi) {
      this.#lo = 0;
      this.#hi = -1;
      return 0;
    }
    this.#lo = lo;
    this.#hi = hi;
    let k = 0;
    while ((hi >> k) - (lo >> k) + 1 > maxBuckets) k++;
    return k;
  }

  /** Sums the stores bounds() saw at `scale` (at most its scale). */
  load(stores: readonly BucketStore[], scales: readonly number[], scale: number): void {
    if (this.#lo > this.#hi) {
      this.last = -1;
      return;
    }
    // Floor shifts compose, so the bounds at the lower scale are the shifted bounds.
    const k = this.#scale - scale;
    const low = this.#lo >> k;
    const length = (this.#hi >> k) - low + 1;
    if (this.counts.length < length) {
      this.counts = new Float64Array(Math.max(length, 2 * this.counts.length));
    }
    const out = this.counts;
    out.fill(0, 0, length);
    for (let i = 0; i < stores.length; i++) {
      const first = this.#firsts[i]!;
      if (first < 0) continue;
      const last = this.#lasts[i]!;
      const store = stores[i]!;
      const counts = store.counts;
      const shift = scales[i]! - scale;
      const base = store.offset;
      if (shift === 0) {
        const at = base - low;
        for (let j = first; j <= last; j++) out[j + at] += counts[j]!;
      } else {
        for (let j = first; j <= last; j++) out[((base + j) >> shift) - low] += counts[j]!;
      }
    }
    this.offset = low;
    this.last = length - 1;
  }

  /** The buckets as a run (a fresh array; the first and last are populated). */
  run(): BucketRun {
    if (this.last < 0) return { offset: 0, counts: [] };
    // A plain loop: Array.from walks a typed array through its iterator, several times slower.
    const source = this.counts;
    const counts = new Array<number>(this.last + 1);
    for (let j = 0; j <= this.last; j++) counts[j] = source[j]!;
    return { offset: this.offset, counts };
  }
}

/**
 * Several sketches read as one, without building the merged sketch: every
 * figure equals, to the last bit, what `merge`-ing them into an empty sketch
 * of `initialScale` and `maxBuckets` and reading that would give. Its
 * buckets live in scratch arrays reused by the next `load`, so a module
 * keeps one and reads it right after loading.
 *
 * @example
 * ```ts
 * import { QuantileSketch, SketchUnion } from "./_sketch.ts";
 * import assert from "node:assert/strict";
 *
 * const a = new QuantileSketch();
 * const b = new QuantileSketch();
 * for (let i = 1; i <= 100; i++) (i % 2 ? a : b).add(i);
 * const merged = a.clone();
 * merged.merge(b);
 * const union = new SketchUnion();
 * union.load([a, b]);
 * assert.deepEqual(union.quantiles([0.5, 0.99]), merged.quantiles([0.5, 0.99]));
 * assert.deepEqual(union.exponentialHistogram(), merged.exponentialHistogram());
 * ```
 */
export class SketchUnion {
  /** The scale a merged sketch starts at. */
  readonly initialScale: number;
  /** The merged sketch's cap on buckets per sign, as of the last `load`. */
  maxBuckets: number;
  readonly #maxBuckets: number;
  /** Internal: written by `load`. */
  scale = 0;
  /** Internal: written by `load`. */
  count = 0;
  /** Internal: written by `load`. */
  sum = 0;
  /** Internal: written by `load`. */
  min = Infinity;
  /** Internal: written by `load`. */
  max = -Infinity;
  /** Internal: written by `load`. */
  origin = 0;
  /** Internal: written by `load`. */
  squares = 0;
  /** Internal: written by `load`. */
  zeroCount = 0;
  /** Internal: the positive buckets. */
  readonly positive: _UnionStore = new _UnionStore();
  /** Internal: the negative buckets, by magnitude. */
  readonly negative: _UnionStore = new _UnionStore();

  /** A union whose merged sketch would have these options (the defaults by default). */
  constructor(options: QuantileSketchOptions = {}) {
    this.initialScale = options.scale ?? DEFAULT_SCALE;
    this.maxBuckets = this.#maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  }

  /**
   * Reads `parts` taken together, replacing what was loaded before.
   *
   * @param parts The sketches.
   * @param maxBuckets The merged sketch's cap on buckets per sign (the
   * constructor's by default).
   */
  load(parts: readonly QuantileSketch[], maxBuckets: number = this.#maxBuckets): void {
    this.maxBuckets = maxBuckets;
    loadUnion(this, parts);
  }

  /** Sample variance, as {@linkcode QuantileSketch.variance}. */
  get variance(): number {
    const n = this.count;
    if (n < 2) return 0;
    const shifted = this.sum - n * this.origin;
    return Math.max(0, (this.squares - shifted * shifted / n) / (n - 1));
  }

  /**
   * The values at `qs`, as {@linkcode QuantileSketch.quantile} gives them,
   * in one sweep over the buckets.
   *
   * @param qs Quantiles in `[0, 1]`, in ascending order.
   * @param out Where to write them (a new array by default).
   * @returns `out`.
   * @throws {RangeError} If a quantile is outside `[0, 1]` or below the one before.
   */
  quantiles(qs: readonly number[], out: number[] = []): number[] {
    const n = this.count;
    let previous = 0;
    for (const q of qs) {
      if (!(q >= previous && q <= 1)) {
        throw new RangeError(`quantiles must be ascending in [0, 1], got ${q} after ${previous}`);
      }
      previous = q;
    }
    if (n === 0) {
      for (let i = 0; i < qs.length; i++) out[i] = NaN;
      return out;
    }
    const min = this.min;
    const max = this.max;
    // The representative point of a bucket, as QuantileSketch computes it (same rounding).
    const divisor = Math.pow(2, Math.pow(2, -this.scale)) + 1;
    const scale = this.scale;
    const length = qs.length;
    let i = 0;
    let rank = length > 0 ? Math.floor(qs[0]! * (n - 1)) : Infinity;
    let seen = 0;
    // Ascending values: negatives from the largest magnitude, zeros, positives.
    const negative = this.negative;
    let counts = negative.counts;
    for (let j = negative.last; j >= 0 && i < length; j--) {
      seen += counts[j]!;
      if (rank >= seen) continue;
      const value = -(2 * upperEdge(negative.offset + j, scale) / divisor);
      do {
        out[i++] = Math.min(max, Math.max(min, value));
        rank = i < length ? Math.floor(qs[i]! * (n - 1)) : Infinity;
      } while (rank < seen);
    }
    seen += this.zeroCount;
    while (rank < seen) {
      out[i++] = Math.min(max, Math.max(min, 0));
      rank = i < length ? Math.floor(qs[i]! * (n - 1)) : Infinity;
    }
    const positive = this.positive;
    counts = positive.counts;
    const last = positive.last;
    for (let j = 0; j <= last; j++) {
      seen += counts[j]!;
      if (rank >= seen) continue;
      const value = 2 * upperEdge(positive.offset + j, scale) / divisor;
      do {
        out[i++] = Math.min(max, Math.max(min, value));
        rank = i < length ? Math.floor(qs[i]! * (n - 1)) : Infinity;
      } while (rank < seen);
      if (i === length) break;
    }
    for (let k = 0; k < qs.length; k++) {
      if (qs[k] === 0) out[k] = min;
      else if (qs[k] === 1) out[k] = max;
    }
    out.length = qs.length;
    return out;
  }

  /** The buckets and figures, as {@linkcode QuantileSketch.exponentialHistogram} gives them. */
  exponentialHistogram(): ExponentialHistogramData {
    const empty = this.count === 0;
    return {
      scale: this.scale,
      zeroThreshold: ZERO_THRESHOLD,
      zeroCount: this.zeroCount,
      positive: this.positive.run(),
      negative: this.negative.run(),
      count: this.count,
      sum: this.sum,
      min: empty ? NaN : this.min,
      max: empty ? NaN : this.max,
    };
  }
}
