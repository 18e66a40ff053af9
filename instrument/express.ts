/**
 * Request metrics for Express (4 and 5): {@linkcode expressStats}, a
 * middleware. Uses only Express's public request and response shape
 * (structural types: Express is not imported).
 *
 * @module
 */

import {
  HttpRecorder,
  type InstrumentOptions,
  methodLabel,
  type TimedNodeResponse,
  UNMATCHED_ROUTE,
} from "./_recorder.ts";

/** The parts of Express's request that {@linkcode expressStats} reads. */
export interface ExpressRequest {
  /** The method. */
  readonly method: string;
  /** The mount path of the router that matched (`/api` for a router mounted there). */
  readonly baseUrl?: string;
  /** The matched route, once routing ran; its `path` is the template. */
  readonly route?: { readonly path?: unknown };
  /** The request headers. */
  readonly headers: { readonly [name: string]: string | string[] | undefined };
}

/** The parts of Express's (Node's) response that {@linkcode expressStats} reads. */
export interface ExpressResponse extends TimedNodeResponse {
  /** A response header. */
  getHeader(name: string): string | number | string[] | undefined;
}

/** An Express middleware. */
export type ExpressMiddleware = (
  request: ExpressRequest,
  response: ExpressResponse,
  next: (error?: unknown) => void,
) => void;

/** An Express error middleware (four parameters). */
export type ExpressErrorMiddleware = (
  error: unknown,
  request: ExpressRequest,
  response: ExpressResponse,
  next: (error?: unknown) => void,
) => void;

/** What {@linkcode expressStats} returns: the middleware, and one to count handler errors. */
export interface ExpressStats extends ExpressMiddleware {
  /**
   * An error middleware that counts the error and passes it on unchanged
   * (`next(error)`): register it after the routes, `app.use(stats.errors)`.
   * Express gives a handler's error to the error middleware only, so the
   * first middleware cannot see it.
   */
  readonly errors: ExpressErrorMiddleware;
}

/** Express's route template: the router's mount path and the route's path. */
function routeOf(request: ExpressRequest): string {
  const path = request.route?.path;
  if (typeof path !== "string") return UNMATCHED_ROUTE;
  const base = request.baseUrl ?? "";
  return base === "" ? path : path === "/" ? base : base + path;
}

/**
 * An Express middleware recording every request under Express's route
 * template (`req.baseUrl` + `req.route.path`, so a router mounted at `/api`
 * gives `/api/users/:id`). Register it first: `app.use(expressStats())`.
 * The duration ends when Node closes the response: once the whole body has
 * been handed to the OS, or when the client went away first (counted as
 * aborted: `close` before `writableFinished`). Handler errors: see {@linkcode ExpressStats.errors}.
 *
 * @example
 * ```ts
 * import { StatTree } from "@scales/core";
 * import { expressStats } from "@scales/core/instrument";
 * import assert from "node:assert/strict";
 * const stats = expressStats({ tree: new StatTree() });
 * assert.deepEqual([typeof stats, stats.length, stats.errors.length], ["function", 3, 4]);
 * ```
 */
export function expressStats(options: InstrumentOptions = {}): ExpressStats {
  const recorder = new HttpRecorder(options);
  const middleware: ExpressMiddleware = (request, response, next) => {
    try {
      const method = methodLabel(request.method);
      const started = recorder.start(method);
      recorder.finishOnClose(
        method,
        started,
        response,
        () => routeOf(request),
        () => request.headers["content-length"],
        () => response.getHeader("content-length"),
      );
    } catch {
      // Never in the way of the request.
    }
    next();
  };
  const errors: ExpressErrorMiddleware = (error, request, _response, next) => {
    try {
      recorder.error(methodLabel(request.method), routeOf(request));
    } catch {
      // Never in the way of the error.
    }
    next(error);
  };
  return Object.assign(middleware, { errors });
}
