/**
 * What the two OTLP encodings (protobuf and JSON) share: the interface the
 * transport and the pusher use, the resource and scope types, and the
 * rules both apply the same way.
 *
 * @module
 */

import type { ExponentialHistogramData } from "../src/exponential_histogram.ts";
import type { OtlpMetric } from "./_mapping.ts";

/** A resource attribute's value: a string, a number or a boolean. */
export type AttributeValue = string | number | boolean;

/** The instrumentation scope of every metric the pusher sends. */
export interface Scope {
  /** The scope name, `@scales/core`. */
  readonly name: string;
  /** The scope version, or `""`. */
  readonly version: string;
}

/** `AGGREGATION_TEMPORALITY_CUMULATIVE`. */
export const CUMULATIVE = 2;

/** One wire format of OTLP/HTTP. */
export interface OtlpEncoding {
  /** The request's `Content-Type`. */
  readonly contentType: string;
  /**
   * One push: one `ResourceMetrics` holding `metrics`, every point stamped
   * `startNs` (the start of the cumulative series) and `timeNs`, in the
   * form {@linkcode OtlpEncoding.join} puts into a request body.
   */
  encode(metrics: readonly OtlpMetric[], startNs: bigint, timeNs: bigint): Uint8Array;
  /** The `ExportMetricsServiceRequest` body holding the pushes `parts`, oldest first. */
  join(parts: readonly Uint8Array[]): Uint8Array;
}

/**
 * Whether a histogram point goes without its `sum`: OTLP says not to fill
 * it in once negative values were recorded, and it cannot carry a sum that
 * is not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutSum } from "./_encoding.ts";
 * const data = {
 *   scale: 6, zeroThreshold: 0, zeroCount: 0, count: 1, sum: -2, min: -2, max: -2,
 *   positive: { offset: 0, counts: [] }, negative: { offset: 64, counts: [1] },
 * };
 * assert.equal(withoutSum(data), true);
 * assert.equal(withoutSum({ ...data, sum: 2, negative: { offset: 0, counts: [] } }), false);
 * ```
 */
export function withoutSum(data: ExponentialHistogramData): boolean {
  if (!Number.isFinite(data.sum)) return true;
  for (const count of data.negative.counts) if (count > 0) return true;
  return false;
}
