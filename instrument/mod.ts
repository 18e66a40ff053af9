/**
 * Request metrics in one line: {@linkcode instrument} for fetch-style
 * handlers (`Deno.serve`, `deno serve`, `Bun.serve`), {@linkcode honoStats},
 * {@linkcode oakStats}, {@linkcode expressStats} and {@linkcode fastifyStats}.
 * The frameworks are not imported: the adapters use their public request
 * and response shapes.
 *
 * Each records, in the container `/http/server` (option `path`) of the
 * default tree (option `tree`), labelled stats keyed by the route template,
 * never the raw path (a request that matched no route counts under
 * `"(unmatched)"`), at most `maxKeys` (default 1,000) combinations each:
 *
 * | stat | labels | Prometheus family |
 * | --- | --- | --- |
 * | `requestDuration` (seconds) | method, route, status | `http_server_request_duration_seconds` (summary, or native histogram over protobuf) |
 * | `activeRequests` | method | `http_server_active_requests` (gauge) |
 * | `requestBodySize` (bytes, from `Content-Length`) | method, route | `http_server_request_body_size_bytes` |
 * | `responseBodySize` (bytes, from `Content-Length`; on `Deno.serve` only for streamed bodies) | method, route | `http_server_response_body_size_bytes` |
 * | `errors` (thrown or rejected) | method, route | `http_server_handler_errors_total` |
 * | `aborted` (client gone before the response was sent) | method, route | `http_server_aborted_requests_total` |
 *
 * Label names are OpenTelemetry's as Prometheus spells them:
 * `http_request_method` (the standard methods, any other as `_OTHER`),
 * `http_route`, `http_response_status_code`. The request count is the
 * duration's `count` (`_count` in Prometheus).
 *
 * @example
 * ```ts
 * import { StatTree } from "@scales/core";
 * import { instrument } from "@scales/core/instrument";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * const handler = instrument(() => new Response("hi"), { tree });
 * await handler(new Request("http://localhost/anything"), {});
 * assert.deepEqual(Object.keys(tree.getStats("/http/server")!.requestDuration as object), ["GET"]);
 * ```
 *
 * @module
 */

export { type InstrumentOptions, type TimedNodeResponse, UNMATCHED_ROUTE } from "./_recorder.ts";
export {
  type FetchHandler,
  type FetchInstrumentOptions,
  instrument,
  type RoutePattern,
  type ServeInfo,
} from "./fetch.ts";
export { type HonoContext, type HonoMiddleware, type HonoRoute, honoStats } from "./hono.ts";
export { type OakContext, type OakLayer, type OakMiddleware, oakStats } from "./oak.ts";
export {
  type ExpressErrorMiddleware,
  type ExpressMiddleware,
  type ExpressRequest,
  type ExpressResponse,
  type ExpressStats,
  expressStats,
} from "./express.ts";
export {
  type FastifyLike,
  type FastifyReplyLike,
  type FastifyRequestLike,
  fastifyStats,
  type FastifyStatsPlugin,
} from "./fastify.ts";
