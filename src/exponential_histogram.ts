/**
 * The bucket layout shared by the distribution sketch and every exporter that
 * sends buckets (Prometheus native histograms, OpenTelemetry
 * `ExponentialHistogram`): base-2 exponential buckets.
 *
 * At scale `s` the base is `2^(2^-s)`. Bucket index `i` covers
 * `(base^i, base^(i+1)]` for positive values (the OpenTelemetry convention;
 * Prometheus numbers the same bucket `i + 1`), and the same range of
 * magnitudes for negative values. Values whose magnitude is at most
 * `zeroThreshold` count in `zeroCount`.
 *
 * @module
 */

/** Consecutive buckets of one sign: `counts[j]` is the count of bucket `offset + j`. */
export interface BucketRun {
  /** The index of the first bucket in `counts`. */
  readonly offset: number;
  /** Counts of consecutive buckets from `offset`; may contain zeros, never negative. */
  readonly counts: readonly number[];
}

/**
 * A cumulative (all-time) exponential histogram: what a native histogram or
 * an OpenTelemetry `ExponentialHistogramDataPoint` carries.
 */
export interface ExponentialHistogramData {
  /** The scale `s`: the base is `2^(2^-s)`. */
  readonly scale: number;
  /** Magnitudes up to this value count as zero. */
  readonly zeroThreshold: number;
  /** How many samples counted as zero. */
  readonly zeroCount: number;
  /** Buckets of positive values. */
  readonly positive: BucketRun;
  /** Buckets of negative values, by magnitude. */
  readonly negative: BucketRun;
  /** Every sample: `zeroCount` plus every bucket count. */
  readonly count: number;
  /** The sum of every sample. */
  readonly sum: number;
  /** The smallest sample, or `NaN` when there is none. */
  readonly min: number;
  /** The largest sample, or `NaN` when there is none. */
  readonly max: number;
}
