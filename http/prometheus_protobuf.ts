/**
 * The stat tree in the Prometheus protobuf exposition format
 * (`io.prometheus.client.MetricFamily` messages, each prefixed by its
 * varint length), with each distribution as a **native histogram**.
 *
 * Families and names are those of the text formats (see
 * `toPrometheusText`), except distributions: a distribution whose stat keeps
 * all-time exponential buckets becomes a `HISTOGRAM` with the native fields
 * (schema = the sketch's scale, zero threshold and count, positive and
 * negative spans with delta-encoded counts, count and sum), bucket for
 * bucket, never re-binned. Prometheus computes windows from it with
 * `rate()`, and `histogram_quantile` over `sum()` of several instances gives
 * the quantile of all their samples together. The window percentiles of
 * the text formats have no place in a histogram message and are left out
 * here; a distribution without buckets stays a `SUMMARY` with them.
 *
 * Encoded by hand with a small varint writer (no protobuf library; see
 * bench/README.md for the measurement against protobufjs).
 *
 * @module
 */

import type { ExponentialHistogramData } from "../src/exponential_histogram.ts";
import { RATES } from "../src/meter.ts";
import { type Distribution, metricFamilies, type MetricFamily } from "../src/model.ts";
import { PERCENTILES } from "../src/pmf.ts";
import type { Snapshot } from "../src/stat.ts";
import type { StatNode } from "../src/tree.ts";
import { PrometheusNames } from "./_prometheus_names.ts";
import { ProtobufWriter } from "../src/_protobuf.ts";

/** The `Content-Type` of the delimited Prometheus protobuf format. */
export const PROMETHEUS_PROTOBUF_CONTENT_TYPE =
  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

// Field numbers of io.prometheus.client (client_model metrics.proto).
const FAMILY_NAME = 1, FAMILY_HELP = 2, FAMILY_TYPE = 3, FAMILY_METRIC = 4, FAMILY_UNIT = 5;
const METRIC_LABEL = 1, METRIC_GAUGE = 2, METRIC_COUNTER = 3, METRIC_SUMMARY = 4;
const METRIC_HISTOGRAM = 7;
const LABEL_NAME = 1, LABEL_VALUE = 2;
const VALUE = 1; // Gauge.value, Counter.value
const SUMMARY_COUNT = 1, SUMMARY_SUM = 2, SUMMARY_QUANTILE = 3;
const QUANTILE_QUANTILE = 1, QUANTILE_VALUE = 2;
const HISTOGRAM_COUNT = 1, HISTOGRAM_SUM = 2, HISTOGRAM_SCHEMA = 5;
const HISTOGRAM_ZERO_THRESHOLD = 6, HISTOGRAM_ZERO_COUNT = 7;
const HISTOGRAM_NEGATIVE_SPAN = 9, HISTOGRAM_NEGATIVE_DELTA = 10;
const HISTOGRAM_POSITIVE_SPAN = 12, HISTOGRAM_POSITIVE_DELTA = 13;
const SPAN_OFFSET = 1, SPAN_LENGTH = 2;

/** MetricType values. */
const COUNTER = 0, GAUGE = 1, SUMMARY = 2, HISTOGRAM = 4;

/** The schemas Prometheus accepts. */
const MIN_SCHEMA = -4, MAX_SCHEMA = 8;

/**
 * The zero threshold sent when the sketch's is 0: the smallest that is
 * positive in client_golang's sense (2^-128). Prometheus 2.42 takes a
 * histogram with no buckets, no zero count and a zero threshold of 0 for a
 * classic one, so an empty distribution would come out as classic series.
 */
const MIN_ZERO_THRESHOLD = 2 ** -128;

/** Zero buckets between two non-empty ones that still share a span (a new span costs more). */
const MAX_GAP_IN_SPAN = 2;

function uint(value: number | undefined): number {
  return value === undefined || !(value > 0) ? 0 : Math.min(Math.round(value), 2 ** 53);
}

/** The family's unit, when its name (its stem, for a counter) still ends with it. */
function unitField(w: ProtobufWriter, stem: string, unit: string): void {
  if (unit !== "" && stem.endsWith(`_${unit}`)) w.stringField(FAMILY_UNIT, unit);
}

function labels(w: ProtobufWriter, names: readonly string[], values: readonly string[]): void {
  for (let i = 0; i < names.length; i++) {
    const mark = w.begin(METRIC_LABEL);
    w.stringField(LABEL_NAME, names[i]);
    w.stringField(LABEL_VALUE, values[i]);
    w.end(mark);
  }
}

/** One bucket span: where it starts and how many buckets it holds. */
interface Span {
  start: number;
  end: number; // exclusive
}

/**
 * The buckets of one sign at `schema` (at most the data's scale), as
 * Prometheus numbers them: delta-encoded counts (written first, one packed
 * field) and the spans they fill (written after; field order is free).
 * Runs of up to {@linkcode MAX_GAP_IN_SPAN} empty buckets stay inside a span.
 */
function writeBuckets(
  w: ProtobufWriter,
  spanField: number,
  deltaField: number,
  run: ExponentialHistogramData["positive"],
  scale: number,
  schema: number,
): void {
  const counts = run.counts;
  const shift = scale - schema;
  const factor = 2 ** shift;
  const spans: Span[] = [];
  let span: Span | undefined;
  let mark = -1;
  let previousCount = 0;
  // A bucket being merged from finer ones (when shift > 0): its index and count so far.
  let pendingIndex = 0;
  let pendingCount = 0;
  const flush = () => {
    if (span === undefined) {
      mark = w.begin(deltaField);
      span = { start: pendingIndex, end: pendingIndex };
      spans.push(span);
    } else if (pendingIndex - span.end > MAX_GAP_IN_SPAN) {
      span = { start: pendingIndex, end: pendingIndex };
      spans.push(span);
    }
    for (; span.end < pendingIndex; span.end++) {
      w.zigzag(-previousCount);
      previousCount = 0;
    }
    w.zigzag(pendingCount - previousCount);
    previousCount = pendingCount;
    span.end = pendingIndex + 1;
  };
  for (let j = 0; j < counts.length; j++) {
    const count = counts[j];
    if (!(count > 0)) continue;
    // OpenTelemetry's bucket i is Prometheus' bucket i + 1.
    const index = (shift === 0 ? run.offset + j : Math.floor((run.offset + j) / factor)) + 1;
    if (pendingCount > 0 && index === pendingIndex) pendingCount += count;
    else {
      if (pendingCount > 0) flush();
      pendingIndex = index;
      pendingCount = count;
    }
  }
  if (pendingCount > 0) flush();
  if (mark < 0) return;
  w.end(mark);
  let previousEnd = 0;
  for (const { start, end } of spans) {
    const spanMark = w.begin(spanField);
    w.sintField(SPAN_OFFSET, start - previousEnd);
    w.uintField(SPAN_LENGTH, end - start);
    w.end(spanMark);
    previousEnd = end;
  }
}

function writeHistogram(w: ProtobufWriter, data: ExponentialHistogramData): void {
  const schema = Math.min(data.scale, MAX_SCHEMA);
  const mark = w.begin(METRIC_HISTOGRAM);
  w.uintField(HISTOGRAM_COUNT, uint(data.count));
  w.doubleField(HISTOGRAM_SUM, data.sum);
  w.sintField(HISTOGRAM_SCHEMA, schema);
  w.doubleField(HISTOGRAM_ZERO_THRESHOLD, Math.max(data.zeroThreshold, MIN_ZERO_THRESHOLD));
  w.uintField(HISTOGRAM_ZERO_COUNT, uint(data.zeroCount));
  writeBuckets(
    w,
    HISTOGRAM_NEGATIVE_SPAN,
    HISTOGRAM_NEGATIVE_DELTA,
    data.negative,
    data.scale,
    schema,
  );
  writeBuckets(
    w,
    HISTOGRAM_POSITIVE_SPAN,
    HISTOGRAM_POSITIVE_DELTA,
    data.positive,
    data.scale,
    schema,
  );
  w.end(mark);
}

function writeSummary(w: ProtobufWriter, value: Distribution): void {
  const summary = value.summary;
  const mark = w.begin(METRIC_SUMMARY);
  w.uintField(SUMMARY_COUNT, uint(summary.count));
  w.doubleField(SUMMARY_SUM, summary.sum ?? 0);
  for (const { field, quantile } of PERCENTILES) {
    const v = summary[field];
    if (v === undefined) continue;
    const q = w.begin(SUMMARY_QUANTILE);
    w.doubleField(QUANTILE_QUANTILE, quantile);
    w.doubleField(QUANTILE_VALUE, v);
    w.end(q);
  }
  w.end(mark);
}

/** Whether every point has buckets Prometheus can take (a schema of at least -4). */
function hasNativeHistograms(points: readonly { value: Distribution }[]): boolean {
  if (points.length === 0) return false;
  for (const point of points) {
    const histogram = point.value.histogram;
    if (histogram === undefined || histogram.scale < MIN_SCHEMA) return false;
  }
  return true;
}

/** One number per point: a counter's or a gauge's. */
function writeNumbers(
  w: ProtobufWriter,
  family: MetricFamily,
  name: string,
  type: number,
  help: string,
  unit: string,
  points: readonly { labelValues: readonly string[]; value: number | undefined }[],
): void {
  const record = w.begin(0);
  w.stringField(FAMILY_NAME, name);
  w.stringField(FAMILY_HELP, help);
  w.uintField(FAMILY_TYPE, type);
  const valueField = type === COUNTER ? METRIC_COUNTER : METRIC_GAUGE;
  for (const point of points) {
    if (point.value === undefined) continue;
    const metric = w.begin(FAMILY_METRIC);
    labels(w, family.labelNames, point.labelValues);
    const value = w.begin(valueField);
    w.doubleField(VALUE, point.value);
    w.end(value);
    w.end(metric);
  }
  if (unit !== "") unitField(w, type === COUNTER ? name.slice(0, -6) : name, unit);
  w.end(record);
}

function writeFamily(w: ProtobufWriter, family: MetricFamily, stem: string | undefined): void {
  const kind = family.kind;
  switch (kind) {
    case "counter":
      writeNumbers(w, family, `${stem}_total`, COUNTER, family.help, family.unit, family.points);
      return;
    case "gauge":
      writeNumbers(w, family, stem!, GAUGE, family.help, family.unit, family.points);
      return;
    case "distribution": {
      const native = hasNativeHistograms(family.points);
      const record = w.begin(0);
      w.stringField(FAMILY_NAME, stem!);
      w.stringField(FAMILY_HELP, family.help);
      w.uintField(FAMILY_TYPE, native ? HISTOGRAM : SUMMARY);
      for (const point of family.points) {
        const metric = w.begin(FAMILY_METRIC);
        labels(w, family.labelNames, point.labelValues);
        if (native) writeHistogram(w, point.value.histogram!);
        else writeSummary(w, point.value);
        w.end(metric);
      }
      unitField(w, stem!, family.unit);
      w.end(record);
      return;
    }
    case "rate": {
      writeNumbers(
        w,
        family,
        `${stem}_total`,
        COUNTER,
        `${family.help}, events`,
        "",
        family.points.map((p) => ({ labelValues: p.labelValues, value: p.value.count })),
      );
      const record = w.begin(0);
      w.stringField(FAMILY_NAME, `${stem}_rate`);
      w.stringField(FAMILY_HELP, `${family.help}, events per second`);
      w.uintField(FAMILY_TYPE, GAUGE);
      for (const point of family.points) {
        for (const { field, window } of RATES) {
          const v = point.value[field];
          if (v === undefined) continue;
          const metric = w.begin(FAMILY_METRIC);
          labels(w, family.labelNames, point.labelValues);
          labels(w, WINDOW, [window]);
          const value = w.begin(METRIC_GAUGE);
          w.doubleField(VALUE, v);
          w.end(value);
          w.end(metric);
        }
      }
      w.end(record);
      return;
    }
    case "text":
    case "error":
      return; // no number, and the format has no comments
    default: {
      const _: never = kind;
      return;
    }
  }
}

const WINDOW: readonly string[] = ["window"];

/** The buffer size to start the next exposition with (bounded: 64 KiB to 64 MiB). */
let sizeHint = 64 * 1024;

/**
 * Metric families (see `metricFamilies`) in the delimited Prometheus
 * protobuf format.
 *
 * @example
 * ```ts
 * import { metricFamilies } from "@scales/core";
 * import { formatPrometheusProtobuf } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * const bytes = formatPrometheusProtobuf(metricFamilies({ up: 1 }));
 * // One length-prefixed MetricFamily: name "up", help "/up", type GAUGE, gauge value 1.
 * assert.deepEqual(bytes[0], bytes.length - 1);
 * ```
 */
export function formatPrometheusProtobuf(
  families: readonly MetricFamily[],
): Uint8Array<ArrayBuffer> {
  const names = new PrometheusNames();
  const w = new ProtobufWriter(sizeHint);
  for (const family of families) writeFamily(w, family, names.stem(family));
  const bytes = w.bytes();
  // The next exposition is likely as big: start there, and skip the regrowing.
  sizeHint = Math.min(Math.max(64 * 1024, Math.ceil(bytes.length * 1.25)), 64 * 1024 * 1024);
  return bytes;
}

/**
 * The stats under `node` in the delimited Prometheus protobuf format, with
 * native histograms (see the module documentation). Pass `snapshot` (the
 * node's snapshot, possibly filtered) to export exactly those values.
 * Never throws for a failing stat.
 *
 * @example
 * ```ts
 * import { collection, findNode, IntStat, reset } from "@scales/core";
 * import { toPrometheusProtobuf } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", IntStat("errors")).errors = 2;
 * const bytes = toPrometheusProtobuf(findNode("/web")!);
 * assert.match(new TextDecoder().decode(bytes), /web_errors_total/);
 * ```
 */
export function toPrometheusProtobuf(
  node: StatNode,
  snapshot?: Snapshot,
): Uint8Array<ArrayBuffer> {
  return formatPrometheusProtobuf(metricFamilies(node, snapshot));
}
