/**
 * A compact, growable array of bucket counters for one sign of a sketch.
 *
 * Counters start 8 bits wide and are promoted (16, 32 bits, then 64-bit
 * floats, exact to 2^53) the first time one would overflow, as the packed
 * stores of HdrHistogram and DDSketch do: a quiet distribution costs one
 * byte per bucket, a busy one two or four.
 *
 * @module
 */

/** The counter arrays a store may hold, narrowest first. */
export type Counts = Uint8Array | Uint16Array | Uint32Array | Float64Array;

/** Buckets added beyond what is needed when a store grows, so growth is rare. */
const GROW_SLACK = 16;
const EMPTY = new Uint8Array(0);

/** The narrowest counter array of `length` that holds `count`, never narrower than `than`. */
function widerCounts(than: Counts, count: number, length: number): Counts {
  if (count <= 0xff && than instanceof Uint8Array) return new Uint8Array(length);
  if (count <= 0xffff && !(than instanceof Uint32Array || than instanceof Float64Array)) {
    return new Uint16Array(length);
  }
  if (count <= 0xffffffff && !(than instanceof Float64Array)) return new Uint32Array(length);
  return new Float64Array(length);
}

/** The largest count a counter array holds. */
function limitOf(counts: Counts): number {
  if (counts instanceof Uint8Array) return 0xff;
  if (counts instanceof Uint16Array) return 0xffff;
  if (counts instanceof Uint32Array) return 0xffffffff;
  return Number.MAX_SAFE_INTEGER;
}

/**
 * Counters of consecutive bucket indexes: `counts[j]` is the count of bucket
 * `offset + j`. The sketch's hot path increments `counts` directly when the
 * index is in range and the result stays at or below `limit`; everything else
 * goes through {@linkcode BucketStore.tryAdd}.
 */
export class BucketStore {
  /** The counters; `counts[j]` counts bucket `offset + j`. */
  counts: Counts = EMPTY;
  /** The bucket index of `counts[0]`. */
  offset = 0;
  /** The largest value a counter of `counts` holds. */
  limit = 0xff;

  /** The first populated position in `counts`, or -1 when empty. */
  first(): number {
    const counts = this.counts;
    for (let j = 0; j < counts.length; j++) if (counts[j] !== 0) return j;
    return -1;
  }

  /** The last populated position in `counts`, or -1 when empty. */
  last(): number {
    const counts = this.counts;
    for (let j = counts.length - 1; j >= 0; j--) if (counts[j] !== 0) return j;
    return -1;
  }

  /** The sum of every counter. */
  total(): number {
    let total = 0;
    for (const c of this.counts) total += c;
    return total;
  }

  /** Bytes held by the counters. */
  get byteLength(): number {
    return this.counts.byteLength;
  }

  /**
   * The smallest `k >= 1` such that the populated buckets and `index`, each
   * shifted right by `k`, span at most `maxBuckets`.
   */
  downscaleNeeded(index: number, maxBuckets: number): number {
    const first = this.first();
    let lo = index;
    let hi = index;
    if (first >= 0) {
      lo = Math.min(lo, this.offset + first);
      hi = Math.max(hi, this.offset + this.last());
    }
    let k = 1;
    while ((hi >> k) - (lo >> k) + 1 > maxBuckets) k++;
    return k;
  }

  /**
   * Adds `count` to bucket `index`, growing the array (up to `maxBuckets`)
   * and widening the counters as needed. Returns false, changing nothing,
   * when the populated buckets and `index` would span more than `maxBuckets`.
   */
  tryAdd(index: number, count: number, maxBuckets: number): boolean {
    let j = index - this.offset;
    if (j < 0 || j >= this.counts.length) {
      if (!this.#reach(index, maxBuckets)) return false;
      j = index - this.offset;
    }
    const sum = this.counts[j]! + count;
    if (sum > this.limit) this.#widen(sum);
    this.counts[j] = sum;
    return true;
  }

  /** Moves or grows the array so that it covers `index`; false if it cannot within `maxBuckets`. */
  #reach(index: number, maxBuckets: number): boolean {
    const counts = this.counts;
    const first = this.first();
    let lo = index;
    let hi = index;
    let last = -1;
    if (first >= 0) {
      last = this.last();
      lo = Math.min(lo, this.offset + first);
      hi = Math.max(hi, this.offset + last);
    }
    const span = hi - lo + 1;
    if (span > maxBuckets) return false;
    const length = Math.max(counts.length, Math.min(maxBuckets, span + GROW_SLACK));
    // Slack goes on the side that grew: below when the new index is the lowest.
    const offset = first >= 0 && index < this.offset + first ? hi - length + 1 : lo;
    const next = length === counts.length ? counts : widerCounts(counts, 0, length);
    if (first >= 0) {
      const kept = counts.slice(first, last + 1);
      if (next === counts) counts.fill(0);
      next.set(kept, this.offset + first - offset);
    }
    this.counts = next;
    this.offset = offset;
    return true;
  }

  /** Replaces the counters with wider ones that hold `count`. */
  #widen(count: number): void {
    const next = widerCounts(this.counts, count, this.counts.length);
    next.set(this.counts);
    this.counts = next;
    this.limit = limitOf(next);
  }

  /** Re-indexes every bucket at a scale `k` lower: bucket `i` becomes `i >> k`. */
  downscale(k: number): void {
    const counts = this.counts;
    const first = this.first();
    if (first < 0) {
      this.offset >>= k;
      return;
    }
    const last = this.last();
    const lo = (this.offset + first) >> k;
    const merged = new Float64Array(((this.offset + last) >> k) - lo + 1);
    let max = 0;
    for (let j = first; j <= last; j++) {
      const c = counts[j]!;
      if (c === 0) continue;
      const m = ((this.offset + j) >> k) - lo;
      const sum = merged[m]! + c;
      merged[m] = sum;
      if (sum > max) max = sum;
    }
    const next = max > this.limit ? widerCounts(counts, max, counts.length) : counts;
    next.fill(0);
    next.set(merged);
    this.counts = next;
    this.limit = limitOf(next);
    this.offset = lo;
  }

  /** Makes this store a copy of `other`. */
  copyFrom(other: BucketStore): void {
    this.counts = other.counts.slice();
    this.offset = other.offset;
    this.limit = other.limit;
  }

  /** Sets every counter to zero, keeping the array (and its width) for reuse. */
  clear(): void {
    this.counts.fill(0);
  }

  /** The bucket index holding the 0-based `rank`-th count from the lowest index. */
  indexAtRank(rank: number): number {
    const counts = this.counts;
    let seen = 0;
    for (let j = 0; j < counts.length; j++) {
      seen += counts[j]!;
      if (seen > rank) return this.offset + j;
    }
    return this.offset + counts.length - 1;
  }

  /** The bucket index holding the 0-based `rank`-th count from the highest index. */
  indexAtRankDescending(rank: number): number {
    const counts = this.counts;
    let seen = 0;
    for (let j = counts.length - 1; j >= 0; j--) {
      seen += counts[j]!;
      if (seen > rank) return this.offset + j;
    }
    return this.offset;
  }
}
