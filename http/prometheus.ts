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
import type { Snapshot } from "../src/stat.ts";
import type { StatNode } from "../src/tree.ts";
import { escapeHelp } from "./_prometheus_names.ts";
import { formatText, type TextDialect } from "./_text_exposition.ts";

export { sanitizeMetricName } from "./_prometheus_names.ts";

/** The `Content-Type` of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const PROMETHEUS_TEXT: TextDialect = {
  header(stem, type, _unit, help) {
    const name = type === "counter" ? `${stem}_total` : stem;
    return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
  },
  error(family) {
    return `# scales: ${escapeHelp(family.path)} failed to read: ${escapeHelp(family.message)}\n`;
  },
  end: "",
};

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
  return formatText(PROMETHEUS_TEXT, families);
}
