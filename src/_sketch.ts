/**
 * A mergeable quantile sketch with a guaranteed relative error, in the style of
 * DDSketch (Masson, Rim & Lee, VLDB 2019).
 *
 * Values are mapped to logarithmically spaced buckets: with relative accuracy
 * `α` and `γ = (1 + α) / (1 - α)`, a positive value `v` goes to bucket
 * `k = ceil(log_γ(v))`, which covers `(γ^(k-1), γ^k]`. Every value in that
 * bucket lies within relative distance `α` of the bucket's representative
 * `2γ^k / (γ + 1)`, so any quantile read from the sketch is within `α` of the
 * true value of the sample at the same rank.
 *
 * This module is private to the package; it holds only pure arithmetic and
 * has no runtime dependencies.
 *
 * @module
 */

/** Default relative accuracy `α` of a {@linkcode QuantileSketch}: 0.5%. */
export const DEFAULT_RELATIVE_ACCURACY = 0.005;

/**
 * Default cap on the number of buckets in each store (positive and negative)
 * of a {@linkcode QuantileSketch}.
 *
 * With the default accuracy of 0.5%, 4608 buckets span a ratio of
 * `γ^4608 ≈ 1.0e20` between the smallest and largest value of one sign, that
 * is twenty decades, for example `1e-8` to `1e12`. A store grows on demand, so
 * the cap is only reached by data spanning that range; each bucket is one
 * 8-byte counter, so a full store holds 36 KiB.
 */
export const DEFAULT_MAX_BUCKETS = 4608;

/**
 * Values whose magnitude is below this threshold (`1e-9`) are counted as zero
 * rather than in a logarithmic bucket.
 *
 * They still contribute their exact value to `min`, `max`, `sum`, `mean` and
 * `stddev`, and quantiles are clamped into `[min, max]`, so a sketch whose
 * values are all tiny still reports them exactly.
 */
export const ZERO_THRESHOLD = 1e-9;

/** Options for constructing a {@linkcode QuantileSketch}. */
export interface QuantileSketchOptions {
  /**
   * Relative accuracy `α` in the open interval `(0, 1)`: every quantile is
   * within relative distance `α` of the sample value at the same rank.
   *
   * @default {0.005}
   */
  relativeAccuracy?: number;
  /**
   * Maximum number of buckets per store (at least 16). When the values of one
   * sign span more buckets than this, the lowest-magnitude buckets are
   * collapsed into one, losing accuracy only for those smallest magnitudes.
   *
   * @default {4608}
   */
  maxBuckets?: number;
}

/** Number of extra buckets allocated beyond what is needed when a store grows. */
const GROW_SLACK = 128;

/**
 * A dense, growable, capped array of bucket counters indexed by integer key.
 *
 * `counts[i]` is the count of key `offset + i`. Counters are 64-bit floats, so
 * they are exact integers up to 2^53.
 *
 * Collapsing is a pure function of the highest key ever seen: once keys span
 * more than `maxBuckets`, every key below `highest - maxBuckets + 1` is counted
 * in that lowest bucket. Two stores fed the same keys in any order and in any
 * split therefore end in the same state, which keeps merging exact.
 */
class BucketStore {
  counts: Float64Array = new Float64Array(0);
  offset = 0;
  total = 0;
  /** Whether the lowest buckets have been collapsed into `counts[0]`. */
  collapsed = false;
  readonly maxBuckets: number;

  constructor(maxBuckets: number) {
    this.maxBuckets = maxBuckets;
  }

  /** Adds one to the bucket `key`. */
  add(key: number): void {
    const i = key - this.offset;
    if (i >= 0 && i < this.counts.length) {
      this.counts[i]++;
      this.total++;
    } else {
      this.addSlow(key, 1);
    }
  }

  /** Adds `count` to the bucket `key`, growing or collapsing as needed. */
  addCount(key: number, count: number): void {
    const i = key - this.offset;
    if (i >= 0 && i < this.counts.length) {
      this.counts[i] += count;
      this.total += count;
    } else {
      this.addSlow(key, count);
    }
  }

  private addSlow(key: number, count: number): void {
    if (this.collapsed && key < this.offset) {
      // Once collapsed, the array is exactly [highest - maxBuckets + 1, highest].
      this.counts[0] += count;
      this.total += count;
      return;
    }
    let lo = key;
    let hi = key;
    const counts = this.counts;
    let first = 0;
    let last = -1;
    if (this.total > 0) {
      while (counts[first] === 0) first++;
      last = counts.length - 1;
      while (counts[last] === 0) last--;
      lo = Math.min(lo, this.offset + first);
      hi = Math.max(hi, this.offset + last);
    }
    const cap = this.maxBuckets;
    if (hi - lo + 1 <= cap) {
      // Grow, with slack on the side that grew, never beyond the cap.
      let newLo = lo;
      let newHi = hi;
      if (counts.length === 0 || key < this.offset) newLo = lo - GROW_SLACK;
      if (counts.length === 0 || key >= this.offset + counts.length) newHi = hi + GROW_SLACK;
      if (newHi - newLo + 1 > cap) {
        // Trim the slack back to the cap, keeping [lo, hi] covered.
        const excess = newHi - newLo + 1 - cap;
        const trimLo = Math.min(excess, lo - newLo);
        newLo += trimLo;
        newHi -= excess - trimLo;
      }
      const next = new Float64Array(newHi - newLo + 1);
      if (last >= first) next.set(counts.subarray(first, last + 1), this.offset + first - newLo);
      this.counts = next;
      this.offset = newLo;
    } else {
      // Collapse: every key below `floor` is counted in `floor`.
      const floor = hi - cap + 1;
      const next = new Float64Array(cap);
      for (let i = 0; i < counts.length; i++) {
        const c = counts[i];
        if (c !== 0) next[Math.max(this.offset + i, floor) - floor] += c;
      }
      this.counts = next;
      this.offset = floor;
      this.collapsed = true;
      if (key < floor) key = floor;
    }
    this.counts[key - this.offset] += count;
    this.total += count;
  }

  /** Adds every bucket of `other` into this store. */
  merge(other: BucketStore): void {
    if (other.total === 0) return;
    if (this.total === 0 && !this.collapsed) {
      this.copyFrom(other);
      return;
    }
    const counts = other.counts;
    let first = 0;
    while (counts[first] === 0) first++;
    let last = counts.length - 1;
    while (counts[last] === 0) last--;
    // Highest key first, so that at most one collapse happens; then the lowest,
    // so that the array grows at most twice and the rest are in-range adds.
    this.addCount(other.offset + last, counts[last]!);
    if (last === first) return;
    this.addCount(other.offset + first, counts[first]!);
    for (let i = last - 1; i > first; i--) {
      const c = counts[i]!;
      if (c !== 0) this.addCount(other.offset + i, c);
    }
  }

  copyFrom(other: BucketStore): void {
    this.counts = other.counts.slice();
    this.offset = other.offset;
    this.total = other.total;
    this.collapsed = other.collapsed;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
    this.collapsed = false;
  }

  /** Returns the key of the bucket holding the sample at 0-based `rank`, ascending. */
  keyAtRank(rank: number): number {
    const counts = this.counts;
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen > rank) return this.offset + i;
    }
    return this.offset + counts.length - 1;
  }

  /** Returns the key of the bucket holding the sample at 0-based `rank`, descending. */
  keyAtRankDescending(rank: number): number {
    const counts = this.counts;
    let seen = 0;
    for (let i = counts.length - 1; i >= 0; i--) {
      seen += counts[i];
      if (seen > rank) return this.offset + i;
    }
    return this.offset;
  }
}

/**
 * A mergeable quantile sketch with guaranteed relative error and bounded
 * memory, plus exact count, min, max, sum, and Welford mean and variance.
 *
 * Positive values, negative values and (near-)zero values are kept apart: a
 * positive store, a negative store (keyed by magnitude), and a zero count for
 * values with `|v| < 1e-9` ({@linkcode ZERO_THRESHOLD}). Non-finite values
 * (`NaN`, `±Infinity`) are ignored entirely.
 *
 * Accuracy: with the defaults, `quantile(q)` is within 0.5% relative error of
 * the exact sample value at rank `floor(q * (count - 1))` of the sorted
 * samples (0-based), as long as the values of each sign span at most twenty
 * decades (see {@linkcode DEFAULT_MAX_BUCKETS}).
 *
 * Memory: each store is a `Float64Array` grown on demand in steps of at least
 * 128 buckets and capped at `maxBuckets`: a few KiB for typical latency data,
 * at most 36 KiB per store with the defaults.
 *
 * Merging: two sketches with the same options merge exactly; the merged
 * sketch is identical, bucket for bucket, to one sketch fed both streams.
 *
 * @example Usage
 * ```ts
 * import { QuantileSketch } from "./_sketch.ts";
 *
 * const sketch = new QuantileSketch();
 * for (let i = 1; i <= 1000; i++) sketch.add(i);
 * const p99 = sketch.quantile(0.99); // within 0.5% of 990
 * ```
 */
export class QuantileSketch {
  /** The relative accuracy `α` this sketch guarantees. */
  readonly relativeAccuracy: number;
  /** The cap on the number of buckets in each of the two stores. */
  readonly maxBuckets: number;

  #multiplier: number;
  #gamma: number;
  #positive: BucketStore;
  #negative: BucketStore;
  #zeroCount = 0;
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;
  #mean = 0;
  #m2 = 0;

  /**
   * Creates an empty sketch.
   *
   * @param options Relative accuracy and bucket cap; see {@linkcode QuantileSketchOptions}.
   * @throws {RangeError} If `relativeAccuracy` is not in `(0, 1)` or
   * `maxBuckets` is not an integer of at least 16.
   */
  constructor(options: QuantileSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
    const maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    if (!(alpha > 0 && alpha < 1)) {
      throw new RangeError(`relativeAccuracy must be in (0, 1), got ${alpha}`);
    }
    if (!Number.isInteger(maxBuckets) || maxBuckets < 16) {
      throw new RangeError(`maxBuckets must be an integer >= 16, got ${maxBuckets}`);
    }
    this.relativeAccuracy = alpha;
    this.maxBuckets = maxBuckets;
    this.#gamma = (1 + alpha) / (1 - alpha);
    this.#multiplier = 1 / Math.log(this.#gamma);
    this.#positive = new BucketStore(maxBuckets);
    this.#negative = new BucketStore(maxBuckets);
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

  /** Arithmetic mean (Welford's running mean); `NaN` when empty. */
  get mean(): number {
    return this.#count === 0 ? NaN : this.#mean;
  }

  /**
   * Sample variance, `Σ(v - mean)² / (count - 1)`, from Welford's running sum
   * of squared deviations; `0` with fewer than two values.
   */
  get variance(): number {
    return this.#count < 2 ? 0 : this.#m2 / (this.#count - 1);
  }

  /** Sample standard deviation, the square root of {@linkcode QuantileSketch.variance}. */
  get stddev(): number {
    return Math.sqrt(this.variance);
  }

  /**
   * Number of buckets currently allocated across both stores. It never
   * exceeds `2 * maxBuckets`; each bucket takes 8 bytes.
   */
  get bucketCount(): number {
    return this.#positive.counts.length + this.#negative.counts.length;
  }

  /**
   * Adds one value. `NaN` and `±Infinity` are ignored. Does not allocate
   * unless a store has to grow.
   *
   * @param v The value to record.
   */
  add(v: number): void {
    if (v - v !== 0) return; // NaN or ±Infinity
    const count = ++this.#count;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
    const delta = v - this.#mean;
    this.#mean += delta / count;
    this.#m2 += delta * (v - this.#mean);
    if (v >= ZERO_THRESHOLD) {
      this.#positive.add(Math.ceil(Math.log(v) * this.#multiplier));
    } else if (v <= -ZERO_THRESHOLD) {
      this.#negative.add(Math.ceil(Math.log(-v) * this.#multiplier));
    } else {
      this.#zeroCount++;
    }
  }

  /**
   * Returns the value at quantile `q`.
   *
   * Rank convention (lower nearest rank, as DDSketch): the result estimates
   * the sample at 0-based rank `floor(q * (count - 1))` of the sorted samples,
   * within relative error `relativeAccuracy`. The estimate is the centre
   * (in relative terms) of that sample's bucket, clamped into `[min, max]`, so
   * `quantile(0)` is exactly `min` and `quantile(1)` exactly `max`. Samples
   * below the zero threshold are reported as `0`.
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
    const negative = this.#negative;
    if (rank < negative.total) {
      value = -this.#representative(negative.keyAtRankDescending(rank));
    } else if ((rank -= negative.total) < this.#zeroCount) {
      value = 0;
    } else {
      value = this.#representative(this.#positive.keyAtRank(rank - this.#zeroCount));
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
   *
   * @param other A sketch with the same `relativeAccuracy` and `maxBuckets`.
   * @throws {RangeError} If the options of the two sketches differ.
   */
  merge(other: QuantileSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy || other.maxBuckets !== this.maxBuckets) {
      throw new RangeError("cannot merge sketches with different relativeAccuracy or maxBuckets");
    }
    const n2 = other.#count;
    if (n2 === 0) return;
    const n1 = this.#count;
    const n = n1 + n2;
    // Chan, Golub & LeVeque's pairwise update of the mean and M2.
    const delta = other.#mean - this.#mean;
    this.#mean += delta * (n2 / n);
    this.#m2 += other.#m2 + delta * delta * (n1 * n2 / n);
    this.#count = n;
    this.#sum += other.#sum;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
    this.#zeroCount += other.#zeroCount;
    this.#positive.merge(other.#positive);
    this.#negative.merge(other.#negative);
  }

  /**
   * Makes this sketch an exact copy of `other`, which must have the same
   * options.
   *
   * @param other The sketch to copy.
   * @throws {RangeError} If the options of the two sketches differ.
   */
  copyFrom(other: QuantileSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy || other.maxBuckets !== this.maxBuckets) {
      throw new RangeError("cannot copy a sketch with different relativeAccuracy or maxBuckets");
    }
    this.#positive.copyFrom(other.#positive);
    this.#negative.copyFrom(other.#negative);
    this.#zeroCount = other.#zeroCount;
    this.#count = other.#count;
    this.#sum = other.#sum;
    this.#min = other.#min;
    this.#max = other.#max;
    this.#mean = other.#mean;
    this.#m2 = other.#m2;
  }

  /** Returns an independent copy of this sketch. */
  clone(): QuantileSketch {
    const copy = new QuantileSketch({
      relativeAccuracy: this.relativeAccuracy,
      maxBuckets: this.maxBuckets,
    });
    copy.copyFrom(this);
    return copy;
  }

  /** Forgets every value, keeping the allocated buckets for reuse. */
  clear(): void {
    this.#positive.clear();
    this.#negative.clear();
    this.#zeroCount = 0;
    this.#count = 0;
    this.#sum = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
    this.#mean = 0;
    this.#m2 = 0;
  }

  /** The value representing bucket `key`: `2γ^key / (γ + 1)`. */
  #representative(key: number): number {
    return 2 * Math.pow(this.#gamma, key) / (this.#gamma + 1);
  }
}
