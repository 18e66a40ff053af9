/**
 * The OTLP/HTTP side of the push pipeline's {@linkcode HttpPostTransport}:
 * how a batch of encoded pushes becomes one request body (joined by the
 * encoding, gzip-compressed with the web-standard `CompressionStream` when
 * asked) and how a 2xx answer's partial success is read. Statuses, retries
 * and `Retry-After` are the shared transport's.
 *
 * @module
 */

import { type HttpBody, HttpPostTransport } from "../push/http.ts";
import type { QueuedPush } from "../push/queue.ts";
import type { OtlpCompression } from "./_config.ts";
import type { OtlpEncoding } from "./_encoding.ts";
import { readPartialSuccess } from "./_response.ts";

/** What {@linkcode otlpTransport} needs besides the encoding. */
export interface OtlpTransportOptions {
  /** The metrics URL. */
  readonly endpoint: string;
  /** Extra request headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** `"gzip"` or `"none"`. */
  readonly compression: OtlpCompression;
  /** How long one request may take. */
  readonly timeoutMs: number;
  /** The clock, for a `Retry-After` given as a date. */
  readonly clock: () => number;
}

/**
 * `bytes` compressed with gzip by the web-standard `CompressionStream`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gunzipSync } from "node:zlib";
 * import { gzip } from "./_http.ts";
 * const packed = await gzip(new TextEncoder().encode("hello"));
 * assert.equal(new TextDecoder().decode(gunzipSync(packed)), "hello");
 * ```
 */
export async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The transport that POSTs batches of encoded pushes to an OTLP/HTTP
 * metrics endpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JsonEncoding } from "./_encode_json.ts";
 * import { otlpTransport } from "./_http.ts";
 * const transport = otlpTransport(new JsonEncoding({}, { name: "s", version: "" }), {
 *   endpoint: "http://127.0.0.1:4318/v1/metrics",
 *   headers: {},
 *   compression: "gzip",
 *   timeoutMs: 1_000,
 *   clock: Date.now,
 * });
 * assert.equal(transport.peer, "http://127.0.0.1:4318/v1/metrics");
 * ```
 */
export function otlpTransport(
  encoding: OtlpEncoding,
  options: OtlpTransportOptions,
): HttpPostTransport<Uint8Array> {
  const gzipped = options.compression === "gzip";
  return new HttpPostTransport<Uint8Array>({
    url: options.endpoint,
    headers: options.headers,
    timeoutMs: options.timeoutMs,
    clock: options.clock,
    async encode(batch: readonly QueuedPush<Uint8Array>[]): Promise<HttpBody> {
      const body = encoding.join(batch.map((push) => push.payload)) as Uint8Array<ArrayBuffer>;
      if (!gzipped) return { body, contentType: encoding.contentType };
      return {
        body: await gzip(body),
        contentType: encoding.contentType,
        headers: { "Content-Encoding": "gzip" },
      };
    },
    partialSuccess(body, contentType) {
      const partial = readPartialSuccess(body, contentType);
      return partial === undefined ? undefined : {
        rejectedValues: partial.rejectedDataPoints,
        message: partial.errorMessage,
      };
    },
  });
}
