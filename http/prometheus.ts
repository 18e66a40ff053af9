/**
 * The stat tree in the Prometheus text exposition format, version 0.0.4.
 *
 * Each stat is one metric family named after its path: segments in
 * snake_case (`byPath` → `by_path`), characters outside `[a-zA-Z0-9_:]`
 * replaced by `_`, joined by `_`, with a `_` in front of a leading digit:
 *
 * | stat kind | family |
 * | --- | --- |
 * | `counter` (`IntStat`) | `counter` named `<name>_total` |
 * | `gauge`, `sum` (numbers and booleans) | `gauge` (`true` is 1, `false` is 0) |
 * | `counterDict` | `counter` `<name>_total{key="…"}` |
 * | `gaugeDict` | `gauge` `<name>{key="…"}` |
 * | `pmf` | `summary` with quantiles 0.5, 0.75, 0.95, 0.98, 0.99, 0.999, `_sum` and `_count` |
 * | `meter` | `counter` `<name>_total` and `gauge` `<name>_rate{window="1m"/"5m"/"15m"/"mean"}` (per second) |
 * | `pmfDict`, `meterDict` | as `pmf` and `meter`, with a `key` label |
 *
 * String gauges, string dicts and `null` have no number and are left out.
 * A stat that fails to read becomes a `#` comment naming it. When two stats
 * sanitize to the same name, the one met first in tree order keeps it and
 * the next gets `_2`, `_3`, …, so every family is declared exactly once.
 *
 * @module
 */

import { metricFamilies, type MetricFamily } from "../src/model.ts";
import { PERCENTILES } from "../src/pmf.ts";
import { RATES } from "../src/meter.ts";
import type { Snapshot } from "../src/stat.ts";
import type { StatNode } from "../src/tree.ts";
import {
  escapeHelp,
  formatSampleValue,
  joinLabels,
  labelText,
  PrometheusNames,
} from "./_prometheus_names.ts";

export { sanitizeMetricName } from "./_prometheus_names.ts";

/** The `Content-Type` of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The quantile label of each percentile, as the text formats write it. */
const QUANTILE_LABELS = PERCENTILES.map((p) => `quantile="${p.quantile}"`);
/** The window label of each rate. */
const WINDOW_LABELS = RATES.map((r) => `window="${r.window}"`);

function sample(name: string, labels: string, value: number): string {
  return labels === ""
    ? `${name} ${formatSampleValue(value)}\n`
    : `${name}{${labels}} ${formatSampleValue(value)}\n`;
}

function header(name: string, type: string, help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** One family in the text format 0.0.4, named `stem` (see `PrometheusNames`). */
function writeFamily(family: MetricFamily, stem: string | undefined): string {
  const help = escapeHelp(family.help);
  const names = family.labelNames;
  const kind = family.kind;
  switch (kind) {
    case "counter":
    case "gauge": {
      const name = kind === "counter" ? `${stem}_total` : stem!;
      let out = header(name, kind, help);
      for (const point of family.points) {
        out += sample(name, labelText(names, point.labelValues), point.value);
      }
      return out;
    }
    case "distribution": {
      const name = stem!;
      let out = header(name, "summary", help);
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
      let out = header(`${stem}_total`, "counter", `${help}, events`);
      for (const point of family.points) {
        const count = point.value.count;
        if (count !== undefined) {
          out += sample(`${stem}_total`, labelText(names, point.labelValues), count);
        }
      }
      out += header(`${stem}_rate`, "gauge", `${help}, events per second`);
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
      return `# scales: ${escapeHelp(family.path)} failed to read: ${escapeHelp(family.message)}\n`;
    default: {
      const _: never = kind;
      return "";
    }
  }
}

/**
 * The stats under `node` in the Prometheus text format 0.0.4 (see the
 * module documentation for the mapping). Metric names use full paths, so a
 * subtree exports the same names as the whole tree. Pass `snapshot` (the
 * node's snapshot, possibly filtered) to export exactly those values;
 * without it every stat is read. Never throws for a failing stat.
 *
 * @example
 * ```ts
 * import { collection, findNode, IntStat, reset } from "@scales/core";
 * import { toPrometheusText } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", IntStat("errors"));
 * STATS.errors += 2;
 * assert.deepEqual(
 *   toPrometheusText(findNode("/web")!),
 *   "# HELP web_errors_total /web/errors (IntStat)\n# TYPE web_errors_total counter\nweb_errors_total 2\n",
 * );
 * ```
 */
export function toPrometheusText(node: StatNode, snapshot?: Snapshot): string {
  return formatPrometheusText(metricFamilies(node, snapshot));
}

/**
 * Metric families (see `metricFamilies`) in the Prometheus text format 0.0.4.
 *
 * @example
 * ```ts
 * import { collection, findNode, IntStat, metricFamilies, reset } from "@scales/core";
 * import { formatPrometheusText } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", IntStat("errors"));
 * assert.match(formatPrometheusText(metricFamilies(findNode("/web")!)), /^web_errors_total 0$/m);
 * ```
 */
export function formatPrometheusText(families: readonly MetricFamily[]): string {
  const names = new PrometheusNames();
  let out = "";
  for (const family of families) out += writeFamily(family, names.stem(family));
  return out;
}
