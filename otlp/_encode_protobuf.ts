/**
 * OTLP metrics in protobuf (`application/x-protobuf`), written by hand with
 * the shared protobuf writer: one `ResourceMetrics` per push, already
 * tagged as field 1 of `ExportMetricsServiceRequest`, so the pushes of one
 * send are joined by plain concatenation (a repeated field). Field numbers
 * are those of `opentelemetry/proto/metrics/v1/metrics.proto`.
 *
 * @module
 */

import { ProtobufWriter } from "../src/_protobuf.ts";
import type { BucketRun, ExponentialHistogramData } from "../src/exponential_histogram.ts";
import {
  isIntPoint,
  type OtlpMetric,
  type OtlpNumberMetric,
  type SummaryValue,
} from "./_mapping.ts";
import {
  type AttributeValue,
  CUMULATIVE,
  type OtlpEncoding,
  type Scope,
  withoutSum,
} from "./_encoding.ts";

/** `KeyValue` with a string value, as field `field`. */
function stringAttribute(w: ProtobufWriter, field: number, key: string, value: string): void {
  const kv = w.begin(field);
  w.stringField(1, key);
  const any = w.begin(2);
  w.stringField(1, value);
  w.end(any);
  w.end(kv);
}

function attributes(
  w: ProtobufWriter,
  field: number,
  names: readonly string[],
  values: readonly string[],
): void {
  for (let i = 0; i < names.length; i++) stringAttribute(w, field, names[i], values[i]);
}

function anyAttribute(w: ProtobufWriter, field: number, key: string, value: AttributeValue): void {
  if (typeof value === "string") {
    stringAttribute(w, field, key, value);
    return;
  }
  const kv = w.begin(field);
  w.stringField(1, key);
  const any = w.begin(2);
  if (typeof value === "boolean") w.uintField(2, value ? 1 : 0);
  else if (Number.isSafeInteger(value) && value >= 0) w.uintField(3, value);
  else w.doubleField(4, value);
  w.end(any);
  w.end(kv);
}

/** The start and end times of every point of one push: fields 2 and 3, 18 bytes. */
function times(startNs: bigint, timeNs: bigint): Uint8Array {
  const w = new ProtobufWriter(18);
  w.fixed64Field(2, startNs);
  w.fixed64Field(3, timeNs);
  return w.bytes();
}

function numberMetric(w: ProtobufWriter, metric: OtlpNumberMetric, when: Uint8Array): void {
  const sum = metric.type === "sum";
  const data = w.begin(sum ? 7 : 5);
  for (const point of metric.points) {
    const p = w.begin(1);
    w.raw(when);
    if (isIntPoint(metric, point.value)) w.sfixed64Field(6, point.value);
    else w.doubleField(4, point.value);
    attributes(w, 7, metric.labelNames, point.labelValues);
    w.end(p);
  }
  if (sum) {
    w.uintField(2, CUMULATIVE);
    w.uintField(3, 1); // is_monotonic
  }
  w.end(data);
}

function buckets(w: ProtobufWriter, field: number, run: BucketRun): void {
  const b = w.begin(field);
  w.sintField(1, run.offset);
  if (run.counts.length > 0) {
    const packed = w.begin(2);
    for (const count of run.counts) w.varint(count);
    w.end(packed);
  }
  w.end(b);
}

function histogramPoint(
  w: ProtobufWriter,
  names: readonly string[],
  values: readonly string[],
  data: ExponentialHistogramData,
  when: Uint8Array,
): void {
  const p = w.begin(1);
  attributes(w, 1, names, values);
  w.raw(when);
  w.fixed64Field(4, data.count);
  if (!withoutSum(data)) w.doubleField(5, data.sum);
  w.sintField(6, data.scale);
  w.fixed64Field(7, data.zeroCount);
  buckets(w, 8, data.positive);
  if (data.negative.counts.length > 0) buckets(w, 9, data.negative);
  if (data.count > 0 && Number.isFinite(data.min)) w.doubleField(12, data.min);
  if (data.count > 0 && Number.isFinite(data.max)) w.doubleField(13, data.max);
  if (data.zeroThreshold !== 0) w.doubleField(14, data.zeroThreshold);
  w.end(p);
}

function summaryPoint(
  w: ProtobufWriter,
  names: readonly string[],
  values: readonly string[],
  value: SummaryValue,
  when: Uint8Array,
): void {
  const p = w.begin(1);
  w.raw(when);
  w.fixed64Field(4, value.count);
  w.doubleField(5, value.sum);
  for (const { quantile, value: v } of value.quantiles) {
    const q = w.begin(6);
    w.doubleField(1, quantile);
    w.doubleField(2, v);
    w.end(q);
  }
  attributes(w, 7, names, values);
  w.end(p);
}

function metric(w: ProtobufWriter, metric: OtlpMetric, when: Uint8Array): void {
  const m = w.begin(2);
  w.stringField(1, metric.name);
  if (metric.unit !== "") w.stringField(3, metric.unit);
  switch (metric.type) {
    case "sum":
    case "gauge":
      numberMetric(w, metric, when);
      break;
    case "exponentialHistogram": {
      const data = w.begin(10);
      for (const point of metric.points) {
        histogramPoint(w, metric.labelNames, point.labelValues, point.value, when);
      }
      w.uintField(2, CUMULATIVE);
      w.end(data);
      break;
    }
    case "summary": {
      const data = w.begin(11);
      for (const point of metric.points) {
        summaryPoint(w, metric.labelNames, point.labelValues, point.value, when);
      }
      w.end(data);
      break;
    }
    default: {
      const _: never = metric;
    }
  }
  w.end(m);
}

/**
 * The protobuf encoding. Resource and scope are encoded once; a push
 * writes its metrics after them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProtobufEncoding } from "./_encode_protobuf.ts";
 * const encoding = new ProtobufEncoding({ "service.name": "a" }, { name: "s", version: "" });
 * const push = encoding.encode([], 0n, 1n);
 * // Field 1 (ResourceMetrics), length-delimited; two pushes are their concatenation.
 * assert.equal(push[0], 0x0a);
 * assert.equal(encoding.join([push, push]).length, 2 * push.length);
 * ```
 */
export class ProtobufEncoding implements OtlpEncoding {
  /** The request's `Content-Type`. */
  readonly contentType = "application/x-protobuf";
  readonly #resource: Uint8Array;
  readonly #scope: Uint8Array;
  #sizeHint = 4096;

  constructor(resource: Readonly<Record<string, AttributeValue>>, scope: Scope) {
    let w = new ProtobufWriter(256);
    const r = w.begin(1);
    for (const key in resource) anyAttribute(w, 1, key, resource[key]);
    w.end(r);
    this.#resource = w.bytes().slice();
    w = new ProtobufWriter(256);
    const s = w.begin(1);
    w.stringField(1, scope.name);
    if (scope.version !== "") w.stringField(2, scope.version);
    w.end(s);
    this.#scope = w.bytes().slice();
  }

  /** One `ResourceMetrics` as field 1 of `ExportMetricsServiceRequest`. */
  encode(metrics: readonly OtlpMetric[], startNs: bigint, timeNs: bigint): Uint8Array {
    const w = new ProtobufWriter(this.#sizeHint);
    const when = times(startNs, timeNs);
    const rm = w.begin(1);
    w.raw(this.#resource);
    const sm = w.begin(2);
    w.raw(this.#scope);
    for (const m of metrics) metric(w, m, when);
    w.end(sm);
    w.end(rm);
    const bytes = w.bytes();
    this.#sizeHint = bytes.length + (bytes.length >> 3) + 64;
    return bytes.slice();
  }

  /** The request body of several pushes: their concatenation. */
  join(parts: readonly Uint8Array[]): Uint8Array {
    if (parts.length === 1) return parts[0];
    let length = 0;
    for (const part of parts) length += part.length;
    const body = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      body.set(part, at);
      at += part.length;
    }
    return body;
  }
}
