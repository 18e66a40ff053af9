/**
 * OTLP metrics in JSON (`application/json`), following the OTLP JSON rules:
 * the proto3 JSON mapping with lowerCamelCase keys, 64-bit integers
 * (timestamps, counts, `asInt`, bucket counts) as decimal strings, enums
 * as integers. One `ResourceMetrics` object per push; a send wraps them in
 * `{"resourceMetrics":[...]}`. Carries exactly the fields of the protobuf
 * encoding, so both decode to the same message.
 *
 * @module
 */

import type { BucketRun, ExponentialHistogramData } from "../src/exponential_histogram.ts";
import type { MetricPoint } from "../src/model.ts";
import { isIntPoint, type OtlpMetric, type OtlpNumberMetric, type SummaryValue } from "./_mapping.ts";
import {
  type AttributeValue,
  CUMULATIVE,
  type OtlpEncoding,
  type Scope,
  withoutSum,
} from "./_encoding.ts";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type KeyValue = { key: string; value: { [key: string]: Json } };

const encoder = new TextEncoder();
const OPEN = encoder.encode('{"resourceMetrics":[');
const COMMA = encoder.encode(",");
const CLOSE = encoder.encode("]}");

function attributes(names: readonly string[], values: readonly string[]): KeyValue[] {
  const out: KeyValue[] = [];
  for (let i = 0; i < names.length; i++) {
    out.push({ key: names[i], value: { stringValue: values[i] } });
  }
  return out;
}

function anyValue(value: AttributeValue): { [key: string]: Json } {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (Number.isSafeInteger(value) && value >= 0) return { intValue: String(value) };
  return { doubleValue: value };
}

function numberPoints(
  metric: OtlpNumberMetric,
  start: string,
  time: string,
): { [key: string]: Json }[] {
  return metric.points.map((point: MetricPoint<number>) => {
    const out: { [key: string]: Json } = { startTimeUnixNano: start, timeUnixNano: time };
    if (isIntPoint(metric, point.value)) out.asInt = String(point.value);
    else out.asDouble = point.value;
    if (metric.labelNames.length > 0) out.attributes = attributes(metric.labelNames, point.labelValues);
    return out;
  });
}

function buckets(run: BucketRun): { [key: string]: Json } {
  const out: { [key: string]: Json } = { offset: run.offset };
  if (run.counts.length > 0) out.bucketCounts = run.counts.map(String);
  return out;
}

function histogramPoint(
  names: readonly string[],
  values: readonly string[],
  data: ExponentialHistogramData,
  start: string,
  time: string,
): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  if (names.length > 0) out.attributes = attributes(names, values);
  out.startTimeUnixNano = start;
  out.timeUnixNano = time;
  out.count = String(data.count);
  if (!withoutSum(data)) out.sum = data.sum;
  out.scale = data.scale;
  out.zeroCount = String(data.zeroCount);
  out.positive = buckets(data.positive);
  if (data.negative.counts.length > 0) out.negative = buckets(data.negative);
  if (data.count > 0 && Number.isFinite(data.min)) out.min = data.min;
  if (data.count > 0 && Number.isFinite(data.max)) out.max = data.max;
  if (data.zeroThreshold !== 0) out.zeroThreshold = data.zeroThreshold;
  return out;
}

function summaryPoint(
  names: readonly string[],
  values: readonly string[],
  value: SummaryValue,
  start: string,
  time: string,
): { [key: string]: Json } {
  const out: { [key: string]: Json } = {
    startTimeUnixNano: start,
    timeUnixNano: time,
    count: String(value.count),
    sum: value.sum,
    quantileValues: value.quantiles.map((q) => ({ quantile: q.quantile, value: q.value })),
  };
  if (names.length > 0) out.attributes = attributes(names, values);
  return out;
}

function metricJson(metric: OtlpMetric, start: string, time: string): { [key: string]: Json } {
  const out: { [key: string]: Json } = { name: metric.name };
  if (metric.description !== "") out.description = metric.description;
  if (metric.unit !== "") out.unit = metric.unit;
  switch (metric.type) {
    case "sum":
      out.sum = {
        dataPoints: numberPoints(metric, start, time),
        aggregationTemporality: CUMULATIVE,
        isMonotonic: true,
      };
      break;
    case "gauge":
      out.gauge = { dataPoints: numberPoints(metric, start, time) };
      break;
    case "exponentialHistogram":
      out.exponentialHistogram = {
        dataPoints: metric.points.map((p) =>
          histogramPoint(metric.labelNames, p.labelValues, p.value, start, time)
        ),
        aggregationTemporality: CUMULATIVE,
      };
      break;
    case "summary":
      out.summary = {
        dataPoints: metric.points.map((p) =>
          summaryPoint(metric.labelNames, p.labelValues, p.value, start, time)
        ),
      };
      break;
    default: {
      const _: never = metric;
    }
  }
  return out;
}

/** The JSON encoding. */
export class JsonEncoding implements OtlpEncoding {
  /** The request's `Content-Type`. */
  readonly contentType = "application/json";
  readonly #resource: { [key: string]: Json };
  readonly #scope: { [key: string]: Json };

  constructor(resource: Readonly<Record<string, AttributeValue>>, scope: Scope) {
    const list: KeyValue[] = [];
    for (const key in resource) list.push({ key, value: anyValue(resource[key]) });
    this.#resource = { attributes: list };
    this.#scope = scope.version === ""
      ? { name: scope.name }
      : { name: scope.name, version: scope.version };
  }

  /** One `ResourceMetrics` object, as UTF-8 JSON. */
  encode(metrics: readonly OtlpMetric[], startNs: bigint, timeNs: bigint): Uint8Array {
    const start = String(startNs);
    const time = String(timeNs);
    const resourceMetrics = {
      resource: this.#resource,
      scopeMetrics: [{
        scope: this.#scope,
        metrics: metrics.map((m) => metricJson(m, start, time)),
      }],
    };
    return encoder.encode(JSON.stringify(resourceMetrics));
  }

  /** `{"resourceMetrics":[...]}` around the pushes `parts`. */
  join(parts: readonly Uint8Array[]): Uint8Array {
    let length = OPEN.length + CLOSE.length + Math.max(0, parts.length - 1);
    for (const part of parts) length += part.length;
    const body = new Uint8Array(length);
    body.set(OPEN, 0);
    let at = OPEN.length;
    parts.forEach((part, i) => {
      if (i > 0) body.set(COMMA, at++);
      body.set(part, at);
      at += part.length;
    });
    body.set(CLOSE, at);
    return body;
  }
}
