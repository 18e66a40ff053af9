/**
 * Request metrics for oak: {@linkcode oakStats}, an application
 * middleware. Uses only oak's public context shape (structural types: oak
 * is not imported).
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

/** One of the router layers oak matched (`ctx.matched`). */
export interface OakLayer {
  /** The route template, router prefixes included, such as `/api/users/:id`. */
  readonly path: string;
  /** The methods it answers; empty for a router middleware. */
  readonly methods: readonly string[];
}

/** The parts of oak's `Context` that {@linkcode oakStats} reads. */
export interface OakContext {
  /** The request. */
  readonly request: {
    readonly method: string;
    readonly headers: { get(name: string): string | null };
  };
  /** The response being built. */
  readonly response: {
    readonly status: number;
    readonly headers: { get(name: string): string | null };
  };
  /** The router layers whose path matched, set by oak's router. */
  readonly matched?: readonly OakLayer[];
}

/** An oak middleware. */
export type OakMiddleware = (ctx: OakContext, next: () => Promise<unknown>) => Promise<void>;

/** The template of the last matched layer that answers the method, or `"(unmatched)"`. */
function routeOf(ctx: OakContext, method: string): string {
  try {
    const matched = ctx.matched;
    if (matched === undefined) return UNMATCHED_ROUTE;
    for (let i = matched.length - 1; i >= 0; i--) {
      const layer = matched[i];
      if (layer.methods.includes(method)) return layer.path;
    }
  } catch {
    // An unexpected context shape.
  }
  return UNMATCHED_ROUTE;
}

/**
 * An oak middleware recording every request under the route template oak's
 * router matched (`ctx.matched`). Register it first:
 * `app.use(oakStats())`. The duration ends when the middleware chain has
 * returned (oak writes the body after that; a streamed body is not
 * included). A thrown error is counted, recorded with its `status` (an
 * `HttpError`) or 500, and re-thrown to oak.
 *
 * @example
 * ```ts
 * import { StatTree } from "@scales/core";
 * import { oakStats } from "@scales/core/instrument";
 * import assert from "node:assert/strict";
 * assert.deepEqual(typeof oakStats({ tree: new StatTree() }), "function");
 * ```
 */
export function oakStats(options: InstrumentOptions = {}): OakMiddleware {
  const recorder = new HttpRecorder(options);
  return async (ctx, next) => {
    const method = methodLabel(ctx.request.method);
    const started = recorder.start(method);
    let status = 500;
    try {
      await next();
      status = ctx.response.status;
    } catch (error) {
      const code = (error as { status?: unknown } | null)?.status;
      if (typeof code === "number" && code >= 100 && code < 600) status = code;
      recorder.error(method, routeOf(ctx, ctx.request.method));
      throw error;
    } finally {
      const route = routeOf(ctx, ctx.request.method);
      let requestBytes: number | undefined;
      let responseBytes: number | undefined;
      try {
        if (method !== "GET" && method !== "HEAD") {
          requestBytes = contentLength(ctx.request.headers.get("content-length"));
        }
        responseBytes = contentLength(ctx.response.headers.get("content-length"));
      } catch {
        // An unexpected context shape: record what is known.
      }
      recorder.finish(method, route, status, started, requestBytes, responseBytes);
    }
  };
}
