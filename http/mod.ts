/**
 * The scales stats viewer over HTTP: the stat tree as an HTML page, JSON
 * and the Prometheus formats (text, OpenMetrics, protobuf).
 *
 * - {@linkcode statsHandler} is a plain `(request: Request) => Response` to
 *   mount in your own server (`Deno.serve`, Hono, oak).
 * - {@linkcode serveInBackground} serves it on its own port (loopback by
 *   default; pass `authorize` such as {@linkcode bearerToken} before binding
 *   beyond it).
 * - `/metrics` answers Prometheus in the format its `Accept` header asks for
 *   ({@linkcode negotiateExposition}): {@linkcode toPrometheusProtobuf} with
 *   distributions as native histograms, {@linkcode toOpenMetricsText}, or
 *   {@linkcode toPrometheusText} (the text format 0.0.4, the default). Each
 *   renders any subtree, from the exposition model (`metricFamilies`).
 *
 * @example Serve the viewer beside your application
 * ```ts
 * import { collection, IntStat, reset } from "@scales/core";
 * import { serveInBackground } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", IntStat("requests"));
 * STATS.requests += 1;
 * await using server = await serveInBackground(0, { serverName: "demo" });
 * const response = await fetch(`${server.url}web?format=json`);
 * assert.deepEqual(await response.json(), { requests: 1 });
 * ```
 *
 * @module
 */

export {
  type Authorize,
  bearerToken,
  type StatsHandler,
  statsHandler,
  type StatsHandlerOptions,
  type ViewerFormat,
  type WorkerView,
} from "./handler.ts";
export { VIEWER_FORMATS } from "./_viewer_formats.ts";
export { groupStatsHandler } from "./group_handler.ts";
export type { GroupViews } from "../src/_group_registry.ts";
export {
  type ListenAddr,
  serveInBackground,
  type ServeOptions,
  type StatsServer,
} from "./serve.ts";
export {
  formatPrometheusText,
  PROMETHEUS_CONTENT_TYPE,
  sanitizeMetricName,
  toPrometheusText,
} from "./prometheus.ts";
export {
  filterSnapshot,
  parseQuery,
  type QueryOperator,
  QuerySyntaxError,
  type StatQuery,
} from "./query.ts";
// The core types the viewer's functions take, so this entry point documents them too.
export type { Aggregator, Snapshot, SnapshotValue, StatCell, StatKind } from "../src/stat.ts";
export type { StatNode } from "../src/tree.ts";
export { type NodeRequestLike, type NodeResponseLike, toNodeListener } from "./node_listener.ts";
export {
  formatOpenMetricsText,
  OPENMETRICS_CONTENT_TYPE,
  toOpenMetricsText,
} from "./openmetrics.ts";
export {
  formatPrometheusProtobuf,
  PROMETHEUS_PROTOBUF_CONTENT_TYPE,
  toPrometheusProtobuf,
} from "./prometheus_protobuf.ts";
export {
  type Exposition,
  type ExpositionFormat,
  negotiateExposition,
  renderExposition,
} from "./exposition.ts";
