/**
 * The OTLP/HTTP transport of the push pipeline: one `POST` per send with
 * `fetch` (a web standard in Deno, Node and Bun), gzip with
 * `CompressionStream`, and the OTLP/HTTP answers turned into pipeline
 * outcomes:
 *
 * - 2xx: delivered; a partial success in the response (`rejected_data_points`)
 *   is counted and logged by the pipeline;
 * - 429, 502, 503, 504: retry, after `Retry-After` when the receiver sends one;
 * - any other status: rejected, dropped, not sent again;
 * - no answer (refused, reset, timed out): retry.
 *
 * @module
 */

import type { QueuedPush } from "../push/queue.ts";
import { timeout } from "../push/timeout.ts";
import type { PushTransport, SendOutcome } from "../push/transport.ts";
import type { OtlpEncoding } from "./_encoding.ts";
import { readErrorMessage, readPartialSuccess } from "./_response.ts";

/** The statuses OTLP/HTTP says to retry. */
const RETRYABLE = new Set([429, 502, 503, 504]);

/** The most of an error answer's body quoted in the log. */
const MAX_QUOTED = 200;

/** Options of {@linkcode HttpTransport}. */
export interface HttpTransportOptions {
  /** Extra request headers (authentication). */
  readonly headers: Readonly<Record<string, string>>;
  /** `"gzip"` or `"none"`. */
  readonly compression: "gzip" | "none";
  /** How long one request, answer included, may take. */
  readonly timeoutMs: number;
  /** The clock, for an HTTP-date `Retry-After`. */
  readonly clock: () => number;
}

/**
 * A `Retry-After` value in milliseconds: whole seconds, or an HTTP date
 * (from `now`); `undefined` when absent or unreadable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryAfterMs } from "./_http.ts";
 * assert.equal(retryAfterMs("2", 0), 2_000);
 * assert.equal(retryAfterMs("Thu, 01 Jan 1970 00:00:05 GMT", 1_000), 4_000);
 * assert.equal(retryAfterMs("soon", 0), undefined);
 * ```
 */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** `bytes` compressed with gzip, by the web-standard `CompressionStream`. */
export async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Sends batches of encoded pushes to an OTLP/HTTP metrics endpoint. */
export class HttpTransport implements PushTransport<Uint8Array> {
  /** The endpoint URL, for the log. */
  readonly peer: string;
  readonly #encoding: OtlpEncoding;
  readonly #headers: Record<string, string>;
  readonly #compression: "gzip" | "none";
  readonly #timeoutMs: number;
  readonly #clock: () => number;

  constructor(endpoint: string, encoding: OtlpEncoding, options: HttpTransportOptions) {
    this.peer = endpoint;
    this.#encoding = encoding;
    this.#compression = options.compression;
    this.#timeoutMs = options.timeoutMs;
    this.#clock = options.clock;
    this.#headers = { ...options.headers, "content-type": encoding.contentType };
    if (options.compression === "gzip") this.#headers["content-encoding"] = "gzip";
  }

  /** Posts the pushes of `batch` as one request and says what became of it. */
  async send(batch: readonly QueuedPush<Uint8Array>[], abandon: AbortSignal): Promise<SendOutcome> {
    const body = this.#encoding.join(batch.map((push) => push.payload)) as Uint8Array<ArrayBuffer>;
    const sent = this.#compression === "gzip" ? await gzip(body) : body;
    const controller = new AbortController();
    try {
      const exchange = (async () => {
        const response = await fetch(this.peer, {
          method: "POST",
          headers: this.#headers,
          body: sent,
          signal: controller.signal,
        });
        // The whole answer is read, so the connection can be reused.
        return { response, answer: new Uint8Array(await response.arrayBuffer()) };
      })();
      const { response, answer } = await timeout(exchange, this.#timeoutMs, "request", abandon);
      return this.#outcome(response, answer);
    } catch (error) {
      controller.abort();
      return { outcome: "retry", reason: `sending to ${this.peer} failed`, error };
    }
  }

  #outcome(response: Response, answer: Uint8Array): SendOutcome {
    const status = response.status;
    if (status >= 200 && status < 300) {
      const partial = readPartialSuccess(answer, response.headers.get("content-type") ?? "");
      if (partial === undefined) return { outcome: "delivered" };
      return {
        outcome: "delivered",
        rejectedValues: partial.rejectedDataPoints,
        message: partial.errorMessage,
      };
    }
    const said = quote(readErrorMessage(answer, response.headers.get("content-type") ?? ""));
    const reason = `HTTP ${status} from ${this.peer}${said === "" ? "" : `: ${said}`}`;
    if (RETRYABLE.has(status)) {
      return {
        outcome: "retry",
        reason,
        retryAfterMs: retryAfterMs(response.headers.get("retry-after"), this.#clock()),
      };
    }
    return { outcome: "rejected", reason };
  }

  /** Nothing to close: `fetch` keeps its own connections. */
  close(): void {}
}

/** The start of an error answer's message, on one line, for the log. */
function quote(message: string): string {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > MAX_QUOTED ? `${line.slice(0, MAX_QUOTED)}…` : line;
}
