/**
 * The writer shared by the two text expositions, Prometheus 0.0.4 and
 * OpenMetrics 1.0: they name families and samples alike (see
 * `PrometheusNames`) and differ only in their metadata lines, which a
 * {@linkcode TextDialect} supplies.
 *
 * @module
 */

import { RATES } from "../src/meter.ts";
import type { ErrorFamily, MetricFamily } from "../src/model.ts";
import { PERCENTILES } from "../src/pmf.ts";
import { formatSampleValue, joinLabels, labelText, PrometheusNames } from "./_prometheus_names.ts";

/** What differs between the text formats. */
export interface TextDialect {
  /**
   * The metadata lines of a family: `stem` is its name stem, `type` its
   * Prometheus type, `unit` its unit (or `""`), `help` its unescaped help.
   */
  header(stem: string, type: "counter" | "gauge" | "summary", unit: string, help: string): string;
  /** What stands in place of a stat that failed to read (a comment, or nothing). */
  error(family: ErrorFamily): string;
  /** What ends the exposition. */
  readonly end: string;
}

/** The quantile label of each percentile. */
const QUANTILE_LABELS = PERCENTILES.map((p) => `quantile="${p.quantile}"`);
/** The window label of each rate. */
const WINDOW_LABELS = RATES.map((r) => `window="${r.window}"`);

function sample(name: string, labels: string, value: number): string {
  return labels === ""
    ? `${name} ${formatSampleValue(value)}\n`
    : `${name}{${labels}} ${formatSampleValue(value)}\n`;
}

function writeFamily(dialect: TextDialect, family: MetricFamily, stem: string | undefined): string {
  const names = family.labelNames;
  const kind = family.kind;
  switch (kind) {
    case "counter":
    case "gauge": {
      const name = kind === "counter" ? `${stem}_total` : stem!;
      let out = dialect.header(stem!, kind, family.unit, family.help);
      for (const point of family.points) {
        out += sample(name, labelText(names, point.labelValues), point.value);
      }
      return out;
    }
    case "distribution": {
      const name = stem!;
      let out = dialect.header(name, "summary", family.unit, family.help);
      for (const point of family.points) {
        const labels = labelText(names, point.labelValues);
        const summary = point.value.summary;
        for (let i = 0; i < PERCENTILES.length; i++) {
          const v = summary[PERCENTILES[i].field];
          if (v !== undefined) out += sample(name, joinLabels(labels, QUANTILE_LABELS[i]), v);
        }
        if (summary.sum !== undefined) out += sample(`${name}_sum`, labels, summary.sum);
        if (summary.count !== undefined) out += sample(`${name}_count`, labels, summary.count);
      }
      return out;
    }
    case "rate": {
      let out = dialect.header(stem!, "counter", "", `${family.help}, events`);
      for (const point of family.points) {
        const count = point.value.count;
        if (count !== undefined) {
          out += sample(`${stem}_total`, labelText(names, point.labelValues), count);
        }
      }
      out += dialect.header(`${stem}_rate`, "gauge", "", `${family.help}, events per second`);
      for (const point of family.points) {
        const labels = labelText(names, point.labelValues);
        for (let i = 0; i < RATES.length; i++) {
          const v = point.value[RATES[i].field];
          if (v !== undefined) {
            out += sample(`${stem}_rate`, joinLabels(labels, WINDOW_LABELS[i]), v);
          }
        }
      }
      return out;
    }
    case "text":
      return "";
    case "error":
      return dialect.error(family);
    default: {
      const _: never = kind;
      return "";
    }
  }
}

/** Metric families in a text format. */
export function formatText(dialect: TextDialect, families: readonly MetricFamily[]): string {
  const names = new PrometheusNames();
  let out = "";
  for (const family of families) out += writeFamily(dialect, family, names.stem(family));
  return out + dialect.end;
}
