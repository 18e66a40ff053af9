/**
 * The OTLP mapping: metric families (see `metricFamilies`) to OpenTelemetry
 * metrics, before any encoding. Cumulative temporality throughout:
 *
 * | family kind (stats) | OTLP metric |
 * | --- | --- |
 * | `counter` (`IntStat`, `IntDictStat`) | monotonic `Sum` |
 * | `gauge` (`Stat`, `DoubleStat`, sums, booleans as 1 and 0) | `Gauge` |
 * | `distribution` with buckets (`PmfStat`, `NamedPmfDictStat`, `PmfAggregationStat`) | `ExponentialHistogram`, bucket for bucket |
 * | `distribution` without buckets | `Summary` (count, sum, the percentiles) |
 * | `rate` (`MeterStat`, `MeterDictStat`) | monotonic `Sum` of the count |
 * | `text`, `error` | not sent (counted as skipped) |
 *
 * A dict stat is one metric with its key as the attribute `key` (a
 * labelled family: one attribute per label). The name is the stat's path,
 * segments joined by `.`; the unit comes from the name's ending (`Seconds`
 * → `s`, `Bytes` → `By`, `Ratio` → `1`). No description is sent: the name
 * already is the path, and it would make a push about 40% bigger.
 *
 * @module
 */

import type { ExponentialHistogramData } from "../src/exponential_histogram.ts";
import type { MetricFamily, MetricPoint } from "../src/model.ts";
import { joinPath } from "../src/path.ts";
import { PERCENTILES } from "../src/pmf.ts";
import type { SnapshotValue } from "../src/stat.ts";
import { forbidden, pruned, type PruneRule, type PushRule } from "../push/rules.ts";

/** A quantile of a {@linkcode SummaryValue}. */
export interface Quantile {
  /** The quantile, from 0 to 1. */
  readonly quantile: number;
  /** Its value. */
  readonly value: number;
}

/** The value of a `Summary` data point: a distribution kept without buckets. */
export interface SummaryValue {
  /** Every sample, all-time. */
  readonly count: number;
  /** The sum of every sample, all-time. */
  readonly sum: number;
  /** The percentiles over the recent window. */
  readonly quantiles: readonly Quantile[];
}

/** What every mapped metric has. */
interface OtlpMetricBase {
  /** The metric name: the stat's path, segments joined by `.`. */
  readonly name: string;
  /** The UCUM unit (`s`, `By`, `1`), or `""`. */
  readonly unit: string;
  /** The attribute keys of every point: `[]`, or `["key"]` for a dict stat. */
  readonly labelNames: readonly string[];
}

/** A `Sum` (monotonic, cumulative) or a `Gauge`. */
export interface OtlpNumberMetric extends OtlpMetricBase {
  /** Which data field the metric fills. */
  readonly type: "sum" | "gauge";
  /** Finite values; a sum's safe integers go as `asInt`, everything else as `asDouble`. */
  readonly points: readonly MetricPoint<number>[];
}

/** An `ExponentialHistogram` (cumulative). */
export interface OtlpHistogramMetric extends OtlpMetricBase {
  /** Which data field the metric fills. */
  readonly type: "exponentialHistogram";
  /** The all-time buckets of each point. */
  readonly points: readonly MetricPoint<ExponentialHistogramData>[];
}

/** A `Summary`. */
export interface OtlpSummaryMetric extends OtlpMetricBase {
  /** Which data field the metric fills. */
  readonly type: "summary";
  /** Count, sum and percentiles of each point. */
  readonly points: readonly MetricPoint<SummaryValue>[];
}

/** One OTLP metric, ready to encode. */
export type OtlpMetric = OtlpNumberMetric | OtlpHistogramMetric | OtlpSummaryMetric;

/** What mapping one push produced. */
export interface MappedPush {
  /** The metrics, in tree order. */
  readonly metrics: OtlpMetric[];
  /** How many data points they hold. */
  readonly dataPoints: number;
  /** Values left out: text, read errors, numbers that are not finite. */
  readonly skipped: number;
}

const UNITS: Readonly<Record<string, string>> = { seconds: "s", bytes: "By", ratio: "1" };
const UNSAFE = /[^A-Za-z0-9_-]/gu;

/**
 * The OTLP name of a family: its path segments joined by `.`, each with
 * every character but letters, digits, `_` and `-` replaced by `_` (so a
 * segment cannot add a level), as OpenTelemetry instrument names allow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricFamilies } from "../src/model.ts";
 * import { otlpName } from "./_mapping.ts";
 * const [family] = metricFamilies({ "web server": { "v1.2": 3 } });
 * assert.equal(otlpName(family), "web_server.v1_2");
 * ```
 */
export function otlpName(family: MetricFamily): string {
  let name = "";
  for (const segment of family.container) name += segment.replace(UNSAFE, "_") + ".";
  return name + family.name.replace(UNSAFE, "_");
}

/**
 * Whether a `Sum` value goes as `asInt` (a safe integer) rather than
 * `asDouble`; a gauge's always goes as `asDouble`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isIntPoint, type OtlpNumberMetric } from "./_mapping.ts";
 * const sum: OtlpNumberMetric = { type: "sum", name: "n", unit: "", labelNames: [], points: [] };
 * assert.deepEqual([isIntPoint(sum, 3), isIntPoint(sum, 0.5), isIntPoint({ ...sum, type: "gauge" }, 3)], [
 *   true,
 *   false,
 *   false,
 * ]);
 * ```
 */
export function isIntPoint(metric: OtlpNumberMetric, value: number): boolean {
  return metric.type === "sum" && Number.isSafeInteger(value);
}

/** The rule checks of one push, with prunes cached per container. */
class Filter {
  readonly #rules: readonly PushRule[];
  readonly #prunes: readonly PruneRule[];
  readonly active: boolean;
  #container: readonly string[] | undefined;
  #containerPruned = false;

  constructor(rules: readonly PushRule[], prunes: readonly PruneRule[]) {
    this.#rules = rules;
    this.#prunes = prunes;
    this.active = rules.length > 0 || prunes.length > 0;
  }

  /** Whether the family's container, or the stat itself, is pruned. */
  prunedFamily(family: MetricFamily): boolean {
    if (family.container !== this.#container) {
      this.#container = family.container;
      let path = "/";
      let prunedAbove = false;
      for (const segment of family.container) {
        path = joinPath(path, segment);
        if (pruned(this.#prunes, path)) {
          prunedAbove = true;
          break;
        }
      }
      this.#containerPruned = prunedAbove;
    }
    return this.#containerPruned || pruned(this.#prunes, family.path);
  }

  /** Whether the point (path: the stat's, plus its label values) is left out. */
  leftOut(family: MetricFamily, labelValues: readonly string[], value: SnapshotValue): boolean {
    let path = family.path;
    for (const label of labelValues) {
      path = joinPath(path, label);
      if (pruned(this.#prunes, path)) return true;
    }
    return forbidden(this.#rules, path, value);
  }
}

function summaryOf(summary: Readonly<Record<string, number>>): SummaryValue {
  const quantiles: Quantile[] = [];
  for (const { field, quantile } of PERCENTILES) {
    const value = summary[field];
    if (Number.isFinite(value)) quantiles.push({ quantile, value });
  }
  const sum = summary.sum;
  return { count: summary.count ?? 0, sum: Number.isFinite(sum) ? sum : 0, quantiles };
}

/**
 * Maps `families` to OTLP metrics (see the module documentation), leaving
 * out what `rules` forbid and `prunes` skip. Rules see each point's path:
 * the stat's, plus the dict key (`/web/byStatus/200`), and its value (a
 * number, or a distribution's or a rate's summary object).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { collection, findNode, IntDictStat, metricFamilies, reset } from "@scales/core";
 * import { mapFamilies } from "./_mapping.ts";
 * reset();
 * const web = collection("/web", IntDictStat("byStatus"));
 * web.byStatus.inc("200", 5);
 * web.byStatus.inc("404", 1);
 * const { metrics, dataPoints } = mapFamilies(metricFamilies(findNode("/web")!), [
 *   { allow: false, matches: (path) => path.endsWith("/404") },
 * ]);
 * assert.deepEqual([metrics[0].type, metrics[0].name, metrics[0].points, dataPoints], [
 *   "sum",
 *   "web.byStatus",
 *   [{ labelValues: ["200"], value: 5 }],
 *   1,
 * ]);
 * ```
 */
export function mapFamilies(
  families: readonly MetricFamily[],
  rules: readonly PushRule[] = [],
  prunes: readonly PruneRule[] = [],
): MappedPush {
  const filter = new Filter(rules, prunes);
  const metrics: OtlpMetric[] = [];
  let dataPoints = 0;
  let skipped = 0;
  for (const family of families) {
    if (filter.active && filter.prunedFamily(family)) continue;
    const base = {
      name: otlpName(family),
      unit: UNITS[family.unit] ?? "",
      labelNames: family.labelNames,
    };
    const kind = family.kind;
    switch (kind) {
      case "counter":
      case "gauge": {
        const points: MetricPoint<number>[] = [];
        for (const point of family.points) {
          if (filter.active && filter.leftOut(family, point.labelValues, point.value)) continue;
          if (Number.isFinite(point.value)) points.push(point);
          else skipped++;
        }
        if (points.length === 0) continue;
        metrics.push({ ...base, type: kind === "counter" ? "sum" : "gauge", points });
        dataPoints += points.length;
        break;
      }
      case "rate": {
        const points: MetricPoint<number>[] = [];
        for (const point of family.points) {
          if (filter.active && filter.leftOut(family, point.labelValues, point.value)) continue;
          const count = point.value.count;
          if (count !== undefined && Number.isFinite(count)) {
            points.push({ labelValues: point.labelValues, value: count });
          } else skipped++;
        }
        if (points.length === 0) continue;
        metrics.push({ ...base, type: "sum", points });
        dataPoints += points.length;
        break;
      }
      case "distribution": {
        const histograms: MetricPoint<ExponentialHistogramData>[] = [];
        const summaries: MetricPoint<SummaryValue>[] = [];
        for (const point of family.points) {
          const { summary, histogram } = point.value;
          if (filter.active && filter.leftOut(family, point.labelValues, summary)) continue;
          if (histogram !== undefined) {
            histograms.push({ labelValues: point.labelValues, value: histogram });
          } else summaries.push({ labelValues: point.labelValues, value: summaryOf(summary) });
        }
        if (histograms.length > 0) {
          // A family with buckets stays an ExponentialHistogram: a point
          // whose buckets could not be read is left out, not sent as another type.
          metrics.push({ ...base, type: "exponentialHistogram", points: histograms });
          dataPoints += histograms.length;
          skipped += summaries.length;
        } else if (summaries.length > 0) {
          metrics.push({ ...base, type: "summary", points: summaries });
          dataPoints += summaries.length;
        }
        break;
      }
      case "text":
        for (const point of family.points) {
          if (!filter.active || !filter.leftOut(family, point.labelValues, point.value)) skipped++;
        }
        break;
      case "error":
        if (!filter.active || !filter.leftOut(family, [], family.message)) skipped++;
        break;
      default: {
        const _: never = kind;
      }
    }
  }
  return { metrics, dataPoints, skipped };
}
