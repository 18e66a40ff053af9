/**
 * The stat tree in the OpenMetrics 1.0 text format: the families, names and
 * samples of the Prometheus text format (see `toPrometheusText`), with
 * OpenMetrics' metadata: `# TYPE`, `# UNIT` (when the name ends with a unit
 * such as `_seconds` or `_bytes`) and `# HELP` lines, counter families
 * named without `_total` (their samples keep it), and `# EOF` at the end.
 * OpenMetrics allows no other comments, so a stat that fails to read is
 * left out (it is logged and counted at `/scales/readErrors`). Counters
 * carry no `_created` sample: a stat does not know when its count started
 * (an `IntStat` can be set to any value).
 *
 * @module
 */

import { metricFamilies, type MetricFamily } from "../src/model.ts";
import type { Snapshot } from "../src/stat.ts";
import type { StatNode } from "../src/tree.ts";
import { escapeLabel } from "./_prometheus_names.ts";
import { formatText, type TextDialect } from "./_text_exposition.ts";

/** The `Content-Type` of the OpenMetrics 1.0 text format. */
export const OPENMETRICS_CONTENT_TYPE =
  "application/openmetrics-text; version=1.0.0; charset=utf-8";

const OPENMETRICS: TextDialect = {
  header(stem, type, unit, help) {
    const unitLine = unit !== "" && stem.endsWith(`_${unit}`) ? `# UNIT ${stem} ${unit}\n` : "";
    // OpenMetrics escapes HELP like label values: \, " and newline.
    return `# TYPE ${stem} ${type}\n${unitLine}# HELP ${stem} ${escapeLabel(help)}\n`;
  },
  error() {
    return "";
  },
  end: "# EOF\n",
};

/**
 * The stats under `node` in the OpenMetrics 1.0 text format. Pass
 * `snapshot` (the node's snapshot, possibly filtered) to export exactly
 * those values. Never throws for a failing stat.
 *
 * @example
 * ```ts
 * import { collection, findNode, IntStat, reset } from "@scales/core";
 * import { toOpenMetricsText } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", IntStat("errors")).errors = 2;
 * assert.deepEqual(
 *   toOpenMetricsText(findNode("/web")!),
 *   "# TYPE web_errors counter\n# HELP web_errors /web/errors (IntStat)\nweb_errors_total 2\n# EOF\n",
 * );
 * ```
 */
export function toOpenMetricsText(node: StatNode, snapshot?: Snapshot): string {
  return formatOpenMetricsText(metricFamilies(node, snapshot));
}

/**
 * Metric families (see `metricFamilies`) in the OpenMetrics 1.0 text format.
 *
 * @example
 * ```ts
 * import { metricFamilies } from "@scales/core";
 * import { formatOpenMetricsText } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * assert.deepEqual(
 *   formatOpenMetricsText(metricFamilies({ heap_bytes: 5 })),
 *   "# TYPE heap_bytes gauge\n# UNIT heap_bytes bytes\n# HELP heap_bytes /heap_bytes\nheap_bytes 5\n# EOF\n",
 * );
 * ```
 */
export function formatOpenMetricsText(families: readonly MetricFamily[]): string {
  return formatText(OPENMETRICS, families);
}
