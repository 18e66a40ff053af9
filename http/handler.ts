/**
 * {@linkcode statsHandler}: the stats viewer as a plain web
 * `(request: Request) => Response` function, to mount in any server
 * (`Deno.serve`, Hono, oak, or Node through `serveInBackground`).
 *
 * @module
 */

import type { Snapshot } from "../src/stat.ts";
import { log } from "../src/log.ts";
import { defaultTree, snapshotNode, type StatNode, type StatTree } from "../src/tree.ts";
import type { StatHistory } from "../src/history.ts";
import {
  DEFAULT_ROW_BUDGET,
  findInSnapshot,
  renderErrorPage,
  renderPage,
  type WorkerView,
} from "./html.ts";
import { negotiateExposition, renderExposition } from "./exposition.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";
import { filterSnapshot, parseQuery, QuerySyntaxError, type StatQuery } from "./query.ts";
import { isViewerFormat, type ViewerFormat, viewerFormatList } from "./_viewer_formats.ts";

export type { ViewerFormat } from "./_viewer_formats.ts";
export type { WorkerView } from "./html.ts";

/**
 * Decides whether a request may see the stats, before anything else is
 * done: `true` lets it through, `false` answers 403, and a `Response` (a
 * 401 with `WWW-Authenticate`, say) is sent as it is. See
 * {@linkcode bearerToken} for the common case. It must not throw; if it
 * does, the request is refused with 403 and the error logged.
 */
export type Authorize = (request: Request) => boolean | Response;

/** Options of {@linkcode statsHandler}. */
export interface StatsHandlerOptions {
  /** Shown in the page title and heading (default `"scales"`). */
  readonly serverName?: string;
  /** The URL prefix of the viewer pages, starting and ending with `/` (default `"/status/"`). */
  readonly prefix?: string;
  /**
   * Where the whole tree is served for Prometheus, negotiated by `Accept` (default
   * `"/metrics"`); `null` serves it only through `?format=prometheus`.
   */
  readonly metricsPath?: string | null;
  /** Consulted before answering any request; see {@linkcode Authorize}. */
  readonly authorize?: Authorize;
  /** The tree to show (default: {@linkcode defaultTree}). */
  readonly tree?: StatTree;
  /**
   * A started {@linkcode StatHistory} of the same tree: the page's charts
   * then begin with the recent past, served as JSON at `?history`. Without
   * one, charts begin when a page first refreshes and nothing is sampled.
   */
  readonly history?: StatHistory;
  /**
   * The most value rows on one page (default 2,000): containers that do not
   * fit are links that load in place. `?all` on a page lifts it.
   */
  readonly rowBudget?: number;
  /**
   * For a server whose stats merge several workers: the workers to list on
   * the page (with a link to each alone, `?worker=`) and those missing from
   * this answer. Called for each page; `undefined` shows no workers line.
   */
  readonly workers?: (request: Request) => WorkerView | undefined;
}

/** A web request handler: what {@linkcode statsHandler} returns. */
export type StatsHandler = (request: Request) => Response;

const CONTENT_TYPES: Record<ViewerFormat, string> = {
  html: "text/html; charset=utf-8",
  json: "application/json; charset=utf-8",
  prettyjson: "application/json; charset=utf-8",
  prometheus: PROMETHEUS_CONTENT_TYPE,
};

const PLAIN_CSP = "default-src 'none'; frame-ancestors 'none'";

function htmlCsp(nonce: string): string {
  return `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; ` +
    `connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
}

function makeNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

function normalizePrefix(prefix: unknown): string {
  if (typeof prefix !== "string" || !prefix.startsWith("/")) {
    throw new TypeError(
      `statsHandler prefix must be a string starting with "/", such as "/status/", got ${
        typeof prefix === "string" ? JSON.stringify(prefix) : typeof prefix
      }`,
    );
  }
  return prefix.endsWith("/") ? prefix : `${prefix}/`;
}

/**
 * A configured path as `URL.pathname` spells it (percent-encoded where URLs
 * encode: spaces, quotes, non-ASCII), so it compares with request paths.
 */
function asPathname(path: string): string {
  return new URL(path.replace(/[?#]/g, encodeURIComponent), "http://localhost").pathname;
}

/** What a request asks for, once routed. */
interface Route {
  readonly segments: string[] | undefined;
  readonly defaultFormat: ViewerFormat;
}

function headers(
  format: ViewerFormat | "text",
  nonce: string | undefined,
  contentType?: string,
): Headers {
  return new Headers({
    "content-type": contentType ??
      (format === "text" ? "text/plain; charset=utf-8" : CONTENT_TYPES[format]),
    "cache-control": "no-store",
    "content-security-policy": nonce === undefined ? PLAIN_CSP : htmlCsp(nonce),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
}

function respond(
  request: Request,
  status: number,
  body: string | Uint8Array<ArrayBuffer>,
  responseHeaders: Headers,
): Response {
  return new Response(request.method === "HEAD" ? null : body, {
    status,
    headers: responseHeaders,
  });
}

function errorResponse(
  request: Request,
  format: ViewerFormat | "text",
  status: number,
  message: string,
  serverName: string,
  prefix: string,
): Response {
  switch (format) {
    case "html": {
      const nonce = makeNonce();
      return respond(
        request,
        status,
        renderErrorPage(serverName, prefix, status, message, nonce),
        headers("html", nonce),
      );
    }
    case "json":
      return respond(
        request,
        status,
        JSON.stringify({ error: message }),
        headers("json", undefined),
      );
    case "prettyjson":
      return respond(
        request,
        status,
        JSON.stringify({ error: message }, null, 2) + "\n",
        headers("json", undefined),
      );
    default:
      return respond(request, status, `${message}\n`, headers("text", undefined));
  }
}

/** The Prometheus exposition of `node`, in the format the request's `Accept` asks for. */
function exposition(request: Request, node: StatNode, snapshot: Snapshot | undefined): Response {
  const format = negotiateExposition(request.headers.get("accept"));
  const { body, contentType } = renderExposition(node, format, snapshot);
  const responseHeaders = headers("prometheus", undefined, contentType);
  responseHeaders.set("vary", "Accept");
  return respond(request, 200, body, responseHeaders);
}

function withSecurityHeaders(response: Response): Response {
  const copy = new Response(response.body, response);
  copy.headers.set("cache-control", "no-store");
  if (!copy.headers.has("content-security-policy")) {
    copy.headers.set("content-security-policy", PLAIN_CSP);
  }
  return copy;
}

function decodeSegments(rest: string): string[] | undefined {
  const trimmed = rest.endsWith("/") ? rest.slice(0, -1) : rest;
  if (trimmed === "") return [];
  const segments: string[] = [];
  for (const raw of trimmed.split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    segments.push(segment);
  }
  return segments;
}

function findChild(tree: StatTree, segments: readonly string[]): StatNode | undefined {
  let node: StatNode | undefined = tree.root;
  for (const segment of segments) {
    node = node.children.get(segment);
    if (node === undefined) return undefined;
  }
  return node;
}

function displayPath(segments: readonly string[]): string {
  return "/" + segments.join("/");
}

/**
 * The stats viewer as a web request handler. It answers:
 *
 * - `GET <prefix>` and `<prefix><path…>`: the container at that path, as
 *   `?format=html` (default), `json`, `prettyjson` or `prometheus`;
 * - `GET <metricsPath>` (default `/metrics`): the whole tree for Prometheus,
 *   in the format its `Accept` header asks for (see `negotiateExposition`):
 *   protobuf with native histograms, OpenMetrics 1.0 text, or (by default)
 *   Prometheus text 0.0.4; `?format=prometheus` negotiates the same way;
 * - `?query=key` or `?query=key OP value` (OP among `>=`, `>`, `<=`, `<`,
 *   `=`, `==`, `!=`) in every format: only matching leaves and their ancestors;
 * - on HTML pages, `?all` (no row budget), `?open=<path>` (show that
 *   container), `?find=text` (names containing it), and `?history`: the
 *   container's {@linkcode StatHistory} as JSON (404 without one);
 * - 400 for a bad query or format, 404 for an unknown path (in the requested
 *   format), 405 with `Allow` for methods other than GET and HEAD, 401/403
 *   from `authorize`.
 *
 * Responses carry `Cache-Control: no-store` and a restrictive
 * `Content-Security-Policy` (the page's inline style and script run under a
 * per-response nonce). The handler never throws: a failure answers 500 and
 * is logged through `setLogger`'s logger.
 *
 * @example Mount the viewer in your own server
 * ```ts
 * import { collection, IntStat, reset } from "@scales/core";
 * import { statsHandler } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", IntStat("errors"));
 * STATS.errors += 1;
 * const viewer = statsHandler({ serverName: "my server" });
 * const response = viewer(new Request("http://localhost/status/web?format=json"));
 * assert.deepEqual(await response.text(), '{"errors":1}');
 * // Deno.serve((request) => new URL(request.url).pathname.startsWith("/status/") ? viewer(request) : app(request));
 * ```
 */
export function statsHandler(options: StatsHandlerOptions = {}): StatsHandler {
  const serverName = options.serverName ?? "scales";
  const prefix = normalizePrefix(options.prefix ?? "/status/");
  const metricsPath = options.metricsPath === undefined ? "/metrics" : options.metricsPath;
  const authorize = options.authorize;
  const tree = options.tree ?? defaultTree;
  const history = options.history;
  const rowBudget = options.rowBudget ?? DEFAULT_ROW_BUDGET;
  if (!(rowBudget >= 1)) {
    throw new RangeError(`statsHandler rowBudget must be at least 1, got ${rowBudget}`);
  }
  // Request paths arrive percent-encoded: match against the encoded forms.
  const encodedPrefix = asPathname(prefix);
  const bare = encodedPrefix.slice(0, -1);
  const encodedMetricsPath = metricsPath === null ? null : asPathname(metricsPath);

  function route(pathname: string): Route | undefined {
    if (encodedMetricsPath !== null && pathname === encodedMetricsPath) {
      return { segments: [], defaultFormat: "prometheus" };
    }
    if (pathname === bare || pathname === encodedPrefix) {
      return { segments: [], defaultFormat: "html" };
    }
    if (pathname.startsWith(encodedPrefix)) {
      return {
        segments: decodeSegments(pathname.slice(encodedPrefix.length)),
        defaultFormat: "html",
      };
    }
    return undefined;
  }

  function answer(request: Request): Response {
    if (authorize !== undefined) {
      let verdict: boolean | Response;
      try {
        verdict = authorize(request);
      } catch (error) {
        log("stats viewer: authorize() threw; refusing the request", error);
        verdict = false;
      }
      if (verdict instanceof Response) return withSecurityHeaders(verdict);
      if (verdict !== true) return respond(request, 403, "forbidden\n", headers("text", undefined));
    }
    const url = new URL(request.url);
    const target = route(url.pathname);
    const requested = url.searchParams.get("format");
    if (requested !== null && !isViewerFormat(requested)) {
      return errorResponse(
        request,
        "text",
        400,
        `unknown format ${JSON.stringify(requested)}: expected ${viewerFormatList()}`,
        serverName,
        prefix,
      );
    }
    const format: ViewerFormat = requested ?? target?.defaultFormat ?? "html";
    if (request.method !== "GET" && request.method !== "HEAD") {
      const response = errorResponse(
        request,
        format,
        405,
        `method ${request.method} is not allowed: use GET or HEAD`,
        serverName,
        prefix,
      );
      response.headers.set("allow", "GET, HEAD");
      return response;
    }
    if (target === undefined) {
      return errorResponse(
        request,
        format,
        404,
        `not found: ${url.pathname} (the stats are under ${prefix})`,
        serverName,
        prefix,
      );
    }
    const node = target.segments === undefined ? undefined : findChild(tree, target.segments);
    if (node === undefined) {
      return errorResponse(
        request,
        format,
        404,
        `no stats at ${
          target.segments === undefined ? url.pathname : displayPath(target.segments)
        }`,
        serverName,
        prefix,
      );
    }
    if (url.searchParams.has("history") && (requested === null || requested === "json")) {
      if (history === undefined) {
        return errorResponse(
          request,
          "json",
          404,
          "no history: pass a started StatHistory as the viewer's history option",
          serverName,
          prefix,
        );
      }
      return respond(
        request,
        200,
        JSON.stringify(history.read(node.path)),
        headers("json", undefined),
      );
    }
    const queryText = (url.searchParams.get("query") ?? "").trim();
    let query: StatQuery | undefined;
    if (queryText !== "") {
      try {
        query = parseQuery(queryText);
      } catch (error) {
        if (!(error instanceof QuerySyntaxError)) throw error;
        return errorResponse(request, format, 400, error.message, serverName, prefix);
      }
    }
    if (format === "prometheus" && query === undefined) {
      return exposition(request, node, undefined);
    }
    const full = snapshotNode(node);
    let snapshot: Snapshot | undefined = query === undefined ? full : filterSnapshot(full, query);
    const find = format === "html" ? (url.searchParams.get("find") ?? "").trim() : "";
    if (find !== "" && snapshot !== undefined) snapshot = findInSnapshot(snapshot, find);
    switch (format) {
      case "json":
        return respond(request, 200, JSON.stringify(snapshot ?? {}), headers("json", undefined));
      case "prettyjson":
        return respond(
          request,
          200,
          JSON.stringify(snapshot ?? {}, null, 2) + "\n",
          headers("json", undefined),
        );
      case "prometheus":
        return exposition(request, node, snapshot ?? {});
      case "html": {
        const nonce = makeNonce();
        const refreshText = url.searchParams.get("refresh");
        const refreshNumber = refreshText === null ? NaN : Number(refreshText);
        const refresh =
          Number.isInteger(refreshNumber) && refreshNumber >= 1 && refreshNumber <= 3600
            ? refreshNumber
            : undefined;
        const body = renderPage({
          serverName,
          prefix,
          node,
          snapshot,
          query: queryText,
          refresh,
          nonce,
          rowBudget: url.searchParams.has("all") ? Infinity : rowBudget,
          open: new Set(url.searchParams.getAll("open")),
          history: history !== undefined,
          workers: options.workers?.(request),
          find,
        });
        return respond(request, 200, body, headers("html", nonce));
      }
    }
  }

  return (request: Request): Response => {
    try {
      return answer(request);
    } catch (error) {
      log(`stats viewer failed to answer ${request.method} ${request.url}`, error);
      return new Response("internal error in the stats viewer\n", {
        status: 500,
        headers: headers("text", undefined),
      });
    }
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ (y[i % Math.max(1, y.length)] ?? 0);
  return diff === 0;
}

/**
 * An {@linkcode Authorize} hook that admits requests with
 * `Authorization: Bearer <token>`: a missing header answers 401 with
 * `WWW-Authenticate: Bearer`, a wrong token 403. The comparison takes the
 * same time wherever the tokens differ. Throws a `TypeError` for an empty token.
 *
 * @example Serve the viewer beyond loopback, behind a token
 * ```ts
 * import { bearerToken, statsHandler } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * const viewer = statsHandler({ authorize: bearerToken("s3cret") });
 * assert.deepEqual(viewer(new Request("http://localhost/status/")).status, 401);
 * assert.deepEqual(viewer(new Request("http://localhost/status/", { headers: { authorization: "Bearer s3cret" } })).status, 200);
 * ```
 */
export function bearerToken(token: string): Authorize {
  if (typeof token !== "string" || token === "") {
    throw new TypeError(`bearerToken needs a non-empty token string, got ${JSON.stringify(token)}`);
  }
  return (request) => {
    const header = request.headers.get("authorization");
    if (header === null || !/^Bearer\s+/i.test(header)) {
      return new Response("a bearer token is required\n", {
        status: 401,
        headers: {
          "www-authenticate": 'Bearer realm="stats"',
          "content-type": "text/plain; charset=utf-8",
        },
      });
    }
    return constantTimeEqual(header.replace(/^Bearer\s+/i, ""), token);
  };
}
