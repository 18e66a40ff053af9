/**
 * Request metrics for Hono: {@linkcode honoStats}, a middleware. Uses only
 * Hono's public context shape (structural types: Hono is not imported).
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
import { isEventStream, type ServeInfo } from "./fetch.ts";
import { mayStream, trackBody, type TrackedBody } from "./_body.ts";

/** One of Hono's matched routes (`c.req.matchedRoutes`). */
export interface HonoRoute {
  /** The route's template, sub-app prefixes included, such as `/api/users/:id`. */
  readonly path: string;
  /** The registered handler or middleware. */
  readonly handler: { readonly length: number };
}

/** The parts of Hono's `Context` that {@linkcode honoStats} reads. */
export interface HonoContext {
  /** The request. */
  readonly req: {
    readonly method: string;
    readonly raw: Request;
    readonly matchedRoutes: readonly HonoRoute[];
    readonly routeIndex: number;
  };
  /** The response, once the handlers ran (replaced by one that tracks a streamed body). */
  res: Response;
  /** The error a handler threw, which Hono turned into a response. */
  readonly error?: unknown;
  /** What the server passed beside the request: `Deno.serve`'s info on Deno. */
  readonly env?: unknown;
}

/** A Hono middleware, as `honoStats` returns it. */
export type HonoMiddleware = (c: HonoContext, next: () => Promise<void>) => Promise<void>;

/** The template of the route that answered, or `"(unmatched)"` when Hono's not-found handler did. */
function routeOf(c: HonoContext): string {
  try {
    return answeredRoute(c);
  } catch {
    return UNMATCHED_ROUTE; // an unexpected context shape
  }
}

function answeredRoute(c: HonoContext): string {
  const routes = c.req.matchedRoutes;
  const answered = routes[c.req.routeIndex];
  if (answered === undefined) return UNMATCHED_ROUTE;
  // Hono's not-found handler answers after the last middleware called next():
  // then no matched route is a handler (handlers take one parameter, middleware two).
  if (c.res.status === 404 && !routes.some((r) => r.handler.length < 2)) return UNMATCHED_ROUTE;
  return answered.path;
}

/**
 * A Hono middleware recording every request under Hono's route template
 * (`c.req.matchedRoutes` at the answering handler, so sub-apps mounted
 * with `app.route("/api", sub)` give `/api/...`). Register it first:
 * `app.use(honoStats())`. See `instrument` for what the duration measures:
 * on Deno (`Deno.serve(app.fetch)`) until the body has been sent; elsewhere
 * until the handlers returned. An error a handler throws is counted; Hono
 * turns it into its error response as usual (status 500 recorded).
 *
 * @example
 * ```ts
 * import { StatTree } from "@scales/core";
 * import { honoStats } from "@scales/core/instrument";
 * import assert from "node:assert/strict";
 * assert.deepEqual(typeof honoStats({ tree: new StatTree() }), "function");
 * ```
 */
export function honoStats(options: InstrumentOptions = {}): HonoMiddleware {
  const recorder = new HttpRecorder(options);
  return async (c, next) => {
    const method = methodLabel(c.req.method);
    const started = recorder.start(method);
    let threw = true;
    try {
      await next();
      threw = false;
    } finally {
      const route = routeOf(c);
      let status = 500;
      let requestBytes: number | undefined;
      let responseBytes: number | undefined;
      let completed: Promise<void> | undefined;
      let tracked: TrackedBody | undefined;
      try {
        if (method !== "GET" && method !== "HEAD") {
          requestBytes = contentLength(c.req.raw.headers.get("content-length"));
        }
        if (!threw) {
          const response = c.res;
          status = response.status;
          responseBytes = contentLength(response.headers.get("content-length"));
          // `completed` is read only for a body that can stream: Deno makes it
          // on first access, at a cost.
          const env = status !== 101 && mayStream(response)
            ? c.env as ServeInfo | undefined
            : undefined;
          const pending = typeof env === "object" && env !== null ? env.completed : undefined;
          if (pending instanceof Promise && !isEventStream(response)) {
            completed = pending;
            tracked = trackBody(response);
            if (tracked !== undefined) c.res = tracked.response;
          }
        }
      } catch {
        // An unexpected context shape: record what is known.
      }
      if (threw || c.error !== undefined) recorder.error(method, route);
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
  };
}
