/**
 * OTLP metrics in JSON (`application/json`), following the OTLP JSON rules:
 * the proto3 JSON mapping with lowerCamelCase keys, 64-bit integers
 * (timestamps, counts, `asInt`, bucket counts) as decimal strings, enums
 * as integers. One `ResourceMetrics` object per push; a send wraps them in
 * `{"resourceMetrics":[...]}`. Carries exactly the fields of the protobuf
 * encoding, so both decode to the same message. Written as text directly
 * (strings through `JSON.stringify`, finite numbers as JavaScript prints
 * them, which is valid JSON), with no object per field.
 *
 * @module
 */

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

const encoder = new TextEncoder();
const OPEN = encoder.encode('{"resourceMetrics":[');
const COMMA = encoder.encode(",");
const CLOSE = encoder.encode("]}");

/** A JSON string literal. */
const quote = JSON.stringify as (value: string) => string;

function attributes(names: readonly string[], values: readonly string[]): string {
  let out = '"attributes":[';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ",";
    out += `{"key":${quote(names[i])},"value":{"stringValue":${quote(values[i])}}}`;
  }
  return out + "]";
}

function anyValue(value: AttributeValue): string {
  if (typeof value === "string") return `{"stringValue":${quote(value)}}`;
  if (typeof value === "boolean") return `{"boolValue":${value}}`;
  if (Number.isSafeInteger(value) && value >= 0) return `{"intValue":"${value}"}`;
  return `{"doubleValue":${value}}`;
}

function numberPoints(metric: OtlpNumberMetric, when: string): string {
  let out = "";
  for (const point of metric.points) {
    if (out !== "") out += ",";
    out += `{${when},`;
    out += isIntPoint(metric, point.value)
      ? `"asInt":"${point.value}"`
      : `"asDouble":${point.value}`;
    if (metric.labelNames.length > 0) {
      out += "," + attributes(metric.labelNames, point.labelValues);
    }
    out += "}";
  }
  return out;
}

function buckets(run: BucketRun): string {
  const counts = run.counts;
  if (counts.length === 0) return `{"offset":${run.offset}}`;
  let out = `{"offset":${run.offset},"bucketCounts":["${counts[0]}"`;
  for (let i = 1; i < counts.length; i++) out += `,"${counts[i]}"`;
  return out + "]}";
}

function histogramPoint(
  names: readonly string[],
  values: readonly string[],
  data: ExponentialHistogramData,
  when: string,
): string {
  let out = "{";
  if (names.length > 0) out += attributes(names, values) + ",";
  out += `${when},"count":"${data.count}"`;
  if (!withoutSum(data)) out += `,"sum":${data.sum}`;
  out += `,"scale":${data.scale},"zeroCount":"${data.zeroCount}"`;
  out += `,"positive":${buckets(data.positive)}`;
  if (data.negative.counts.length > 0) out += `,"negative":${buckets(data.negative)}`;
  if (data.count > 0 && Number.isFinite(data.min)) out += `,"min":${data.min}`;
  if (data.count > 0 && Number.isFinite(data.max)) out += `,"max":${data.max}`;
  if (data.zeroThreshold !== 0) out += `,"zeroThreshold":${data.zeroThreshold}`;
  return out + "}";
}

function summaryPoint(
  names: readonly string[],
  values: readonly string[],
  value: SummaryValue,
  when: string,
): string {
  let out = `{${when},"count":"${value.count}","sum":${value.sum},"quantileValues":[`;
  value.quantiles.forEach((q, i) => {
    out += `${i > 0 ? "," : ""}{"quantile":${q.quantile},"value":${q.value}}`;
  });
  out += "]";
  if (names.length > 0) out += "," + attributes(names, values);
  return out + "}";
}

function metricJson(metric: OtlpMetric, when: string): string {
  let out = `{"name":${quote(metric.name)}`;
  if (metric.unit !== "") out += `,"unit":${quote(metric.unit)}`;
  switch (metric.type) {
    case "sum":
      out += `,"sum":{"dataPoints":[${numberPoints(metric, when)}],` +
        `"aggregationTemporality":${CUMULATIVE},"isMonotonic":true}`;
      break;
    case "gauge":
      out += `,"gauge":{"dataPoints":[${numberPoints(metric, when)}]}`;
      break;
    case "exponentialHistogram": {
      let points = "";
      for (const p of metric.points) {
        if (points !== "") points += ",";
        points += histogramPoint(metric.labelNames, p.labelValues, p.value, when);
      }
      out += `,"exponentialHistogram":{"dataPoints":[${points}],` +
        `"aggregationTemporality":${CUMULATIVE}}`;
      break;
    }
    case "summary": {
      let points = "";
      for (const p of metric.points) {
        if (points !== "") points += ",";
        points += summaryPoint(metric.labelNames, p.labelValues, p.value, when);
      }
      out += `,"summary":{"dataPoints":[${points}]}`;
      break;
    }
    default: {
      const _: never = metric;
    }
  }
  return out + "}";
}

/**
 * The JSON encoding. Resource and scope are written once; a push writes
 * its metrics after them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JsonEncoding } from "./_encode_json.ts";
 * const encoding = new JsonEncoding({ "service.name": "a" }, { name: "s", version: "" });
 * const metric = { type: "sum", name: "n", unit: "", labelNames: [], points: [{ labelValues: [], value: 3 }] } as const;
 * const body = JSON.parse(new TextDecoder().decode(encoding.join([encoding.encode([metric], 1n, 2n)])));
 * assert.deepEqual(body.resourceMetrics[0].scopeMetrics[0].metrics[0].sum, {
 *   dataPoints: [{ startTimeUnixNano: "1", timeUnixNano: "2", asInt: "3" }],
 *   aggregationTemporality: 2,
 *   isMonotonic: true,
 * });
 * ```
 */
export class JsonEncoding implements OtlpEncoding {
  /** The request's `Content-Type`. */
  readonly contentType = "application/json";
  readonly #head: string;

  constructor(resource: Readonly<Record<string, AttributeValue>>, scope: Scope) {
    let attributes = "";
    for (const key in resource) {
      if (attributes !== "") attributes += ",";
      attributes += `{"key":${quote(key)},"value":${anyValue(resource[key])}}`;
    }
    const version = scope.version === "" ? "" : `,"version":${quote(scope.version)}`;
    this.#head = `{"resource":{"attributes":[${attributes}]},` +
      `"scopeMetrics":[{"scope":{"name":${quote(scope.name)}${version}},"metrics":[`;
  }

  /** One `ResourceMetrics` object, as UTF-8 JSON. */
  encode(metrics: readonly OtlpMetric[], startNs: bigint, timeNs: bigint): Uint8Array {
    const when = `"startTimeUnixNano":"${startNs}","timeUnixNano":"${timeNs}"`;
    let out = this.#head;
    for (let i = 0; i < metrics.length; i++) {
      if (i > 0) out += ",";
      out += metricJson(metrics[i], when);
    }
    return encoder.encode(out + "]}]}");
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
