/**
 * Request metrics for Fastify (4 and 5): {@linkcode fastifyStats}, a
 * plugin. Uses only Fastify's public hook API (structural types: Fastify is
 * not imported).
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

/** The parts of a Fastify request that {@linkcode fastifyStats} reads. */
export interface FastifyRequestLike {
  /** The method. */
  readonly method: string;
  /** The matched route's options: `url` is its template, absent when no route matched. */
  readonly routeOptions?: { readonly url?: string };
  /** The request headers. */
  readonly headers: { readonly [name: string]: string | string[] | undefined };
}

/** The parts of a Fastify reply that {@linkcode fastifyStats} reads. */
export interface FastifyReplyLike {
  /** A header Fastify set (Fastify writes its headers past Node's `getHeader`). */
  getHeader?(name: string): string | number | string[] | undefined;
  /** Node's response. */
  readonly raw: TimedNodeResponse & {
    getHeader(name: string): string | number | string[] | undefined;
  };
}

/** The part of a Fastify instance the plugin uses: `addHook`. */
export interface FastifyLike {
  /** Adds a hook. */
  addHook(
    name: "onRequest",
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void,
  ): unknown;
  /** Adds a hook. */
  addHook(
    name: "onError",
    hook: (
      request: FastifyRequestLike,
      reply: FastifyReplyLike,
      error: unknown,
      done: () => void,
    ) => void,
  ): unknown;
}

/** A Fastify plugin: `fastify.register(fastifyStats, options)`. */
export type FastifyStatsPlugin = (
  fastify: FastifyLike,
  options: InstrumentOptions,
  done: (error?: Error) => void,
) => void;

function routeOf(request: FastifyRequestLike): string {
  const url = request.routeOptions?.url;
  return typeof url === "string" ? url : UNMATCHED_ROUTE;
}

/**
 * A Fastify plugin recording every request under Fastify's route URL
 * (`request.routeOptions.url`, prefixes included): `await
 * fastify.register(fastifyStats, { tree })`. It applies to the whole
 * instance (not encapsulated, like `fastify-plugin`). The duration ends when
 * Node closes the response: once the whole body has been handed to the OS,
 * or when the client went away first (counted as aborted). A handler's
 * error is counted (`onError`) and answered by Fastify as usual.
 *
 * @example
 * ```ts
 * import { fastifyStats } from "@scales/core/instrument";
 * import assert from "node:assert/strict";
 * assert.deepEqual(typeof fastifyStats, "function");
 * ```
 */
export const fastifyStats: FastifyStatsPlugin = Object.assign(
  (fastify: FastifyLike, options: InstrumentOptions, done: (error?: Error) => void): void => {
    let recorder: HttpRecorder;
    try {
      recorder = new HttpRecorder(options);
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    fastify.addHook("onRequest", (request, reply, next) => {
      try {
        const method = methodLabel(request.method);
        const started = recorder.start(method);
        const raw = reply.raw;
        recorder.finishOnClose(
          method,
          started,
          raw,
          () => routeOf(request),
          () => request.headers["content-length"],
          () => reply.getHeader?.("content-length") ?? raw.getHeader("content-length"),
        );
      } catch {
        // Never in the way of the request.
      }
      next();
    });
    fastify.addHook("onError", (request, _reply, _error, next) => {
      try {
        recorder.error(methodLabel(request.method), routeOf(request));
      } catch {
        // Never in the way of the error.
      }
      next();
    });
    done();
  },
  {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "scales-fastify-stats",
  },
);
