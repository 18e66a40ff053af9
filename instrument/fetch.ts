/**
 * Request metrics for fetch-style handlers (`Deno.serve`, `deno serve`,
 * `Bun.serve`): {@linkcode instrument}.
 *
 * @module
 */

import {
  contentLength,
  HttpRecorder,
  type InstrumentOptions,
  methodLabel,
  UNMATCHED_ROUTE,
} from "./_recorder.ts";
import { mayStream, trackBody } from "./_body.ts";

/**
 * The part of a `URLPattern` that {@linkcode instrument} uses: `test` and
 * the `pathname` template, which becomes the route.
 */
export interface RoutePattern {
  /** The pathname template, such as `/users/:id`: the route's label value. */
  readonly pathname: string;
  /** Whether the request URL matches. */
  test(input: string): boolean;
}

/** What {@linkcode instrument} takes beside the handler. */
export interface FetchInstrumentOptions extends InstrumentOptions {
  /**
   * The routes, tried in order: the first `URLPattern` that matches the
   * request URL gives its `pathname` template as the route. A request that
   * matches none counts under `"(unmatched)"`.
   */
  readonly routes?: readonly RoutePattern[];
  /**
   * The route of a request, or `undefined` for none (`"(unmatched)"`); used
   * instead of `routes`. Returning the raw path (`new URL(r.url).pathname`)
   * is allowed, and still bounded by `maxKeys`.
   */
  readonly route?: (request: Request) => string | undefined;
}

/**
 * What `Deno.serve` passes beside the request; only `completed` is used: it
 * settles once the response body has been sent (or failed to be).
 */
export interface ServeInfo {
  /** Resolves when the response has been sent; rejects when the client went away. */
  readonly completed?: Promise<void>;
}

/** A fetch-style handler, as `Deno.serve`, `deno serve` and `Bun.serve` call it. */
export type FetchHandler<I = unknown> = (
  request: Request,
  info: I,
) => Response | Promise<Response>;

/** Whether the response is a server-sent event stream, which stays open: not timed to its end. */
export function isEventStream(response: Response): boolean {
  const type = response.headers.get("content-type");
  return type !== null && type.startsWith("text/event-stream");
}

/**
 * Wraps a fetch-style handler so that every request is recorded (see the
 * module documentation of `@scales/core/instrument` for the stats and their
 * Prometheus names). The handler's response and errors pass through
 * unchanged; a thrown or rejected error is counted, recorded with status
 * 500 (what `Deno.serve` answers) and re-thrown.
 *
 * What the duration measures: from the call until the response body has
 * been sent, where the server says so (`Deno.serve` and `deno serve` pass
 * `info.completed`), else until the `Response` is returned (Bun). A body
 * that is sent at once (a string, bytes, JSON, none) ends with the
 * handler's return; a streamed body (a `ReadableStream`, a `Blob`) is
 * passed through a stream that notes its end (the same chunks; the
 * `Response` object is a new one with the same status and headers), and
 * its duration ends when `completed` settles: a client that went away
 * before the end counts as aborted, with the duration until then.
 * WebSocket upgrades (status 101) and server-sent events
 * (`text/event-stream`) are counted until the `Response` is returned, not
 * timed for as long as they stay open.
 *
 * @example
 * ```ts
 * import { StatTree } from "@scales/core";
 * import { instrument } from "@scales/core/instrument";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * const handler = instrument(() => new Response("hi"), {
 *   tree,
 *   route: (request) => new URL(request.url).pathname === "/" ? "/" : undefined,
 * });
 * await handler(new Request("http://localhost/"), {});
 * const stats = tree.getStats("/http/server")!;
 * const byStatus = (stats.requestDuration as Record<string, Record<string, Record<string, { count: number }>>>).GET["/"];
 * assert.deepEqual(byStatus["200"].count, 1);
 * ```
 */
export function instrument<I>(
  handler: FetchHandler<I>,
  options: FetchInstrumentOptions = {},
): FetchHandler<I> {
  if (typeof handler !== "function") {
    throw new TypeError(`instrument takes a handler function, got ${typeof handler}`);
  }
  const recorder = new HttpRecorder(options);
  const routes = options.routes;
  const routeOf = options.route ??
    (routes === undefined ? () => undefined : (request: Request) => {
      const url = request.url;
      for (const pattern of routes) if (pattern.test(url)) return pattern.pathname;
      return undefined;
    });

  const done = (
    response: Response,
    method: string,
    route: string,
    started: number,
    requestBytes: number | undefined,
    info: I,
  ): Response => {
    let sent = response;
    try {
      const status = response.status;
      if (status === 101 || !mayStream(response)) {
        // An upgrade, or a body Deno sends at once: done now. Its headers are
        // not read: that would cost Deno its fast path for such responses.
        recorder.finish(method, route, status, started, requestBytes, undefined);
        return response;
      }
      // Read only here: Deno makes `completed` on first access, at a cost.
      const completed = (info as ServeInfo | undefined)?.completed;
      const responseBytes = contentLength(response.headers.get("content-length"));
      if (!(completed instanceof Promise) || isEventStream(response)) {
        recorder.finish(method, route, status, started, requestBytes, responseBytes);
      } else {
        const tracked = trackBody(response);
        if (tracked !== undefined) sent = tracked.response;
        recorder.finishWhenSent(
          completed,
          tracked?.ended,
          method,
          route,
          status,
          started,
          requestBytes,
          responseBytes,
        );
      }
    } catch {
      // Not a Response: the server reports it; nothing to record.
    }
    return sent;
  };

  const failed = (method: string, route: string, started: number, requestBytes?: number) => {
    recorder.error(method, route);
    recorder.finish(method, route, 500, started, requestBytes, undefined);
  };

  return (request: Request, info: I): Response | Promise<Response> => {
    const method = methodLabel(request.method);
    const started = recorder.start(method);
    let route = UNMATCHED_ROUTE;
    let requestBytes: number | undefined;
    try {
      route = routeOf(request) ?? UNMATCHED_ROUTE;
      if (method !== "GET" && method !== "HEAD") {
        requestBytes = contentLength(request.headers.get("content-length"));
      }
    } catch {
      // A failing route function: the request still counts, unmatched.
    }
    let result: Response | Promise<Response>;
    try {
      result = handler(request, info);
    } catch (error) {
      failed(method, route, started, requestBytes);
      throw error;
    }
    if (result instanceof Response) return done(result, method, route, started, requestBytes, info);
    return Promise.resolve(result).then(
      (response) => done(response, method, route, started, requestBytes, info),
      (error) => {
        failed(method, route, started, requestBytes);
        throw error;
      },
    );
  };
}
