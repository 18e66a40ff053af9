/**
 * The HTTP server stats every adapter records into, and the one place that
 * records them: {@linkcode HttpRecorder}. Adapters only find the method,
 * route, status and sizes in their framework's request and response.
 *
 * @module
 */

import { log } from "../src/log.ts";
import { LabelledCounterStat, LabelledGaugeStat, LabelledPmfStat } from "../src/labelled_stats.ts";
import { now } from "../src/clock.ts";
import { withMetricName, withUnit } from "../src/stat.ts";
import { defaultTree, type StatTree } from "../src/tree.ts";

/** The route of a request that matched no route: one fixed key, never the raw path. */
export const UNMATCHED_ROUTE = "(unmatched)";

/** Options every adapter takes. */
export interface InstrumentOptions {
  /** The tree the stats live in (default: the default tree). */
  readonly tree?: StatTree;
  /** The container of the stats (default `/http/server`). */
  readonly path?: string;
  /**
   * How many (method, route, status) combinations each stat keeps (default
   * 1,000); past it, new combinations share one `"(other)"` entry.
   */
  readonly maxKeys?: number;
  /**
   * Record request and response body sizes (default `true`). Each is a
   * distribution per (method, route), as many series again as the
   * durations: `false` halves what a scrape reads and sends.
   */
  readonly bodySizes?: boolean;
}

const METHOD_ROUTE_STATUS = [
  "http_request_method",
  "http_route",
  "http_response_status_code",
] as const;
const METHOD_ROUTE = ["http_request_method", "http_route"] as const;

function httpStats(tree: StatTree, path: string, maxKeys: number) {
  return tree.collection(
    path,
    withMetricName(
      withUnit(
        LabelledPmfStat("requestDuration", METHOD_ROUTE_STATUS, { maxKeys }),
        "seconds",
      ),
      "http_server_request_duration_seconds",
    ),
    withMetricName(
      LabelledGaugeStat("activeRequests", ["http_request_method"]),
      "http_server_active_requests",
    ),
    withMetricName(
      withUnit(LabelledPmfStat("requestBodySize", METHOD_ROUTE, { maxKeys }), "bytes"),
      "http_server_request_body_size_bytes",
    ),
    withMetricName(
      withUnit(LabelledPmfStat("responseBodySize", METHOD_ROUTE, { maxKeys }), "bytes"),
      "http_server_response_body_size_bytes",
    ),
    withMetricName(
      LabelledCounterStat("errors", METHOD_ROUTE, { maxKeys }),
      "http_server_handler_errors_total",
    ),
    withMetricName(
      LabelledCounterStat("aborted", METHOD_ROUTE, { maxKeys }),
      "http_server_aborted_requests_total",
    ),
  );
}

/** The live stats of one instrumented server. */
type HttpStats = ReturnType<typeof httpStats>;

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
]);

/**
 * The method as a label value: the standard methods as they are, any other
 * as `_OTHER` (as OpenTelemetry does), so a client cannot make keys.
 */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "_OTHER";
}

const STATUS_TEXT: string[] = [];
for (let status = 0; status < 600; status++) STATUS_TEXT.push(String(status));

/** The status code as a label value (a cached string). */
export function statusLabel(status: number): string {
  return STATUS_TEXT[status] ?? String(status);
}

/** A content length header's value as a number of bytes, or `undefined`. */
export function contentLength(
  value: string | number | readonly string[] | null | undefined,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const first = typeof value === "object" ? value[0] : value;
  const n = typeof first === "number" ? first : Number(first);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The parts of Node's `ServerResponse` that Express and Fastify requests are timed by. */
export interface TimedNodeResponse {
  /** The status code sent. */
  readonly statusCode: number;
  /** Whether the whole response has been handed to the OS. */
  readonly writableFinished?: boolean;
  /** Node's `once` for the `close` event (after the response was sent, or the client went away). */
  once(event: "close", listener: () => void): unknown;
}

/**
 * Records requests into the stats at one path of one tree. Every method
 * swallows (and logs once) its own failures: nothing here throws into a
 * request.
 */
export class HttpRecorder {
  readonly #tree: StatTree;
  readonly #path: string;
  readonly #maxKeys: number;
  readonly #bodySizes: boolean;
  #stats: HttpStats;
  #failed = false;

  /** Declares the stats (throws a `TypeError` for bad options: at setup, not per request). */
  constructor(options: InstrumentOptions = {}) {
    this.#tree = options.tree ?? defaultTree;
    this.#path = options.path ?? "/http/server";
    this.#maxKeys = options.maxKeys ?? 1000;
    this.#bodySizes = options.bodySizes ?? true;
    if (typeof this.#bodySizes !== "boolean") {
      throw new TypeError(`bodySizes must be a boolean, got ${typeof this.#bodySizes}`);
    }
    this.#stats = httpStats(this.#tree, this.#path, this.#maxKeys);
    // After a reset (tests), the stats come back in the tree on next use.
    this.#tree.onReset(() => {
      this.#stats = httpStats(this.#tree, this.#path, this.#maxKeys);
    });
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    log(`instrument: recording a request at ${this.#path} failed`, error);
  }

  /** A request began: counts it in flight and returns its start time. */
  start(method: string): number {
    try {
      this.#stats.activeRequests.labels(method).value++;
    } catch (error) {
      this.#fail(error);
    }
    return now();
  }

  /**
   * A request ended (its response sent, or handed over): records its
   * duration since `started` under (method, route, status), its body sizes
   * when known, and takes it out of the in-flight count.
   */
  finish(
    method: string,
    route: string,
    status: number,
    started: number,
    requestBytes: number | undefined,
    responseBytes: number | undefined,
  ): void {
    const duration = now() - started;
    try {
      const stats = this.#stats;
      stats.activeRequests.labels(method).value--;
      // Seconds, as OpenTelemetry's http.server.request.duration: the buckets
      // then go out as they are (a native histogram, an OTLP exponential
      // histogram); milliseconds could not be rescaled bucket for bucket.
      stats.requestDuration.labels(method, route, statusLabel(status)).add(
        duration > 0 ? duration / 1000 : 0,
      );
      if (this.#bodySizes) {
        if (requestBytes !== undefined) {
          stats.requestBodySize.labels(method, route).add(requestBytes);
        }
        if (responseBytes !== undefined) {
          stats.responseBodySize.labels(method, route).add(responseBytes);
        }
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Finishes the request when the server says its response was sent
   * (`completed` settles): aborted when `completed` rejects, or when the
   * streamed body did not reach its end (`ended()` is false). Without
   * `completed` (nothing to wait for), finishes it now.
   */
  finishWhenSent(
    completed: Promise<void> | undefined,
    ended: (() => boolean) | undefined,
    method: string,
    route: string,
    status: number,
    started: number,
    requestBytes: number | undefined,
    responseBytes: number | undefined,
  ): void {
    if (completed === undefined) {
      this.finish(method, route, status, started, requestBytes, responseBytes);
      return;
    }
    completed.then(
      () => {
        if (ended !== undefined && !ended()) this.aborted(method, route);
        this.finish(method, route, status, started, requestBytes, responseBytes);
      },
      () => {
        this.aborted(method, route);
        this.finish(method, route, status, started, requestBytes, responseBytes);
      },
    );
  }

  /**
   * Records the request when Node closes `response` (after the whole
   * response was handed to the OS, or when the client went away first:
   * aborted). The route and sizes are read then, once routing has run.
   */
  finishOnClose(
    method: string,
    started: number,
    response: TimedNodeResponse,
    routeOf: () => string,
    requestLength: () => string | number | string[] | undefined,
    responseLength: () => string | number | string[] | undefined,
  ): void {
    response.once("close", () => {
      let route = UNMATCHED_ROUTE;
      let requestBytes: number | undefined;
      let responseBytes: number | undefined;
      try {
        route = routeOf();
        if (method !== "GET" && method !== "HEAD") requestBytes = contentLength(requestLength());
        responseBytes = contentLength(responseLength());
      } catch {
        // An unexpected request shape: record what is known.
      }
      if (response.writableFinished === false) this.aborted(method, route);
      this.finish(method, route, response.statusCode, started, requestBytes, responseBytes);
    });
  }

  /** The handler threw or rejected (the error goes on to the framework). */
  error(method: string, route: string): void {
    try {
      this.#stats.errors.labels(method, route).inc();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** The client went away before the response was sent. */
  aborted(method: string, route: string): void {
    try {
      this.#stats.aborted.labels(method, route).inc();
    } catch (error) {
      this.#fail(error);
    }
  }
}
