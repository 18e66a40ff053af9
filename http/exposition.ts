/**
 * Content negotiation for `/metrics`: which exposition format a scraper
 * gets, from its `Accept` header.
 *
 * | `Accept` asks for | format | `Content-Type` |
 * | --- | --- | --- |
 * | `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited` | Prometheus protobuf, distributions as native histograms | the same |
 * | `application/openmetrics-text` (version 1.0.0 or none) | OpenMetrics 1.0 text | `application/openmetrics-text; version=1.0.0; charset=utf-8` |
 * | anything else, or nothing | Prometheus text 0.0.4 | `text/plain; version=0.0.4; charset=utf-8` |
 *
 * The highest `q` wins; on a tie, the type listed first.
 *
 * @module
 */

import { metricFamilies } from "../src/model.ts";
import type { Snapshot } from "../src/stat.ts";
import type { StatNode } from "../src/tree.ts";
import { formatOpenMetricsText, OPENMETRICS_CONTENT_TYPE } from "./openmetrics.ts";
import { formatPrometheusText, PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";
import {
  formatPrometheusProtobuf,
  PROMETHEUS_PROTOBUF_CONTENT_TYPE,
} from "./prometheus_protobuf.ts";

/** The exposition formats `/metrics` can answer in. */
export type ExpositionFormat = "prometheus" | "openmetrics" | "protobuf";

/** What one media range of an `Accept` header asks for, if it is one of ours. */
function formatOf(range: string): ExpositionFormat | undefined {
  const [type, ...parameters] = range.split(";").map((part) => part.trim());
  const params = new Map<string, string>();
  for (const parameter of parameters) {
    const eq = parameter.indexOf("=");
    if (eq > 0) {
      params.set(
        parameter.slice(0, eq).trim().toLowerCase(),
        parameter.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1"),
      );
    }
  }
  switch (type.toLowerCase()) {
    case "application/vnd.google.protobuf":
      return params.get("proto") === "io.prometheus.client.MetricFamily" &&
          params.get("encoding") === "delimited"
        ? "protobuf"
        : undefined;
    case "application/openmetrics-text": {
      const version = params.get("version");
      return version === undefined || version === "1.0.0" ? "openmetrics" : undefined;
    }
    case "text/plain": {
      const version = params.get("version");
      return version === undefined || version === "0.0.4" ? "prometheus" : undefined;
    }
    case "text/*":
    case "*/*":
      return "prometheus";
    default:
      return undefined;
  }
}

function qualityOf(range: string): number {
  const match = /;\s*q\s*=\s*([0-9.]+)/i.exec(range);
  if (match === null) return 1;
  const q = Number(match[1]);
  return Number.isFinite(q) ? q : 0;
}

/**
 * The exposition format an `Accept` header asks for (see the module
 * documentation); `"prometheus"` when it names none of ours or is missing.
 *
 * @example
 * ```ts
 * import { negotiateExposition } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * assert.deepEqual(
 *   negotiateExposition(
 *     "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7," +
 *       "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3",
 *   ),
 *   "protobuf",
 * );
 * assert.deepEqual(negotiateExposition("application/openmetrics-text;version=1.0.0,text/plain;q=0.1"), "openmetrics");
 * assert.deepEqual(negotiateExposition(null), "prometheus");
 * ```
 */
export function negotiateExposition(accept: string | null): ExpositionFormat {
  if (accept === null) return "prometheus";
  let best: ExpositionFormat = "prometheus";
  let bestQuality = 0;
  for (const range of accept.split(",").slice(0, 64)) {
    const format = formatOf(range);
    if (format === undefined) continue;
    const quality = qualityOf(range);
    if (quality > bestQuality) {
      best = format;
      bestQuality = quality;
    }
  }
  return best;
}

/** An exposition ready to send: the body and its `Content-Type`. */
export interface Exposition {
  /** Text for the text formats, bytes for protobuf. */
  readonly body: string | Uint8Array<ArrayBuffer>;
  /** The `Content-Type` header. */
  readonly contentType: string;
}

/**
 * The stats under `node` in `format`. Pass `snapshot` (the node's snapshot,
 * possibly filtered) to export exactly those values. Never throws for a
 * failing stat.
 *
 * @example
 * ```ts
 * import { collection, findNode, IntStat, reset } from "@scales/core";
 * import { renderExposition } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", IntStat("errors"));
 * const { body, contentType } = renderExposition(findNode("/web")!, "openmetrics");
 * assert.deepEqual(contentType, "application/openmetrics-text; version=1.0.0; charset=utf-8");
 * assert.match(body as string, /# EOF\n$/);
 * ```
 */
export function renderExposition(
  node: StatNode,
  format: ExpositionFormat,
  snapshot?: Snapshot,
): Exposition {
  const families = metricFamilies(node, snapshot);
  switch (format) {
    case "prometheus":
      return { body: formatPrometheusText(families), contentType: PROMETHEUS_CONTENT_TYPE };
    case "openmetrics":
      return { body: formatOpenMetricsText(families), contentType: OPENMETRICS_CONTENT_TYPE };
    case "protobuf":
      return {
        body: formatPrometheusProtobuf(families),
        contentType: PROMETHEUS_PROTOBUF_CONTENT_TYPE,
      };
    default: {
      const _: never = format;
      throw new TypeError(`unknown exposition format ${JSON.stringify(format)}`);
    }
  }
}
