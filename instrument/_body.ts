/**
 * Whether a response's body may still be streaming once the handler has
 * returned it, and a way to tell whether a streamed body reached its end.
 * Waiting for `Deno.serve`'s `info.completed` costs about a third of a
 * hello-world server's throughput, so the fetch adapters wait only for
 * bodies that can stream.
 *
 * @module
 */

/** Deno's own key for a `Response`'s inner state: looked up once; `null` when there is none. */
let innerKey: symbol | null | undefined;

interface InnerResponse {
  readonly body?: { readonly streamOrStatic?: unknown } | null;
}

/**
 * Whether `response`'s body may still be sending after the handler
 * returned: `false` only for a body known to be sent at once (a string,
 * bytes, JSON or no body, recognised from Deno's inner response without
 * touching `response.body`, which would turn it into a stream). Whenever
 * that inner state is not recognised (another runtime, another Deno
 * version), `true`: the caller then waits, which is correct, only slower.
 */
export function mayStream(response: Response): boolean {
  if (innerKey === undefined) {
    innerKey = Object.getOwnPropertySymbols(response).find((s) => s.description === "response") ??
      null;
  }
  if (innerKey === null) return true;
  const inner = (response as unknown as Record<symbol, InnerResponse | undefined>)[innerKey];
  if (typeof inner !== "object" || inner === null || !("body" in inner)) return true;
  const body = inner.body;
  if (body === null) return false;
  const source = body?.streamOrStatic;
  return source === undefined || source === null || typeof source !== "object" ||
    source instanceof ReadableStream;
}

/** A response whose streamed body says whether it was read to its end. */
export interface TrackedBody {
  /** The response to send: the same status and headers, the body passed through. */
  readonly response: Response;
  /** Whether the body was read to its end (not cancelled by a client that went away). */
  ended(): boolean;
}

/**
 * `response` with its stream body passed through a stream that notes its
 * end, or `undefined` when it has no stream body. The chunks are the same
 * objects, in the same order.
 */
export function trackBody(response: Response): TrackedBody | undefined {
  const body = response.body;
  if (body === null) return undefined;
  let ended = false;
  const tracked = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      flush() {
        ended = true;
      },
    }),
  );
  return {
    response: new Response(tracked, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    }),
    ended: () => ended,
  };
}
