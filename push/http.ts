/**
 * {@linkcode HttpPostTransport}: each batch as one HTTP POST (OTLP/HTTP and
 * the like), and what the answer means for the pipeline: 2xx delivered
 * (with the refused values of a partial success), 429/502/503/504 retry
 * later (after `Retry-After` when given), a network error or a timeout
 * retry later, anything else refused for good.
 *
 * @module
 */

import { describeValue } from "../src/log.ts";
import { timeout } from "./timeout.ts";
import type { QueuedPush } from "./queue.ts";
import type { PushTransport, SendOutcome } from "./transport.ts";

/** The HTTP statuses worth retrying (OTLP/HTTP's list): the peer is busy or a proxy failed. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** One request body, as the format encodes a batch. */
export interface HttpBody {
  /** The bytes or text to POST. */
  readonly body: Uint8Array<ArrayBuffer> | string;
  /** Its `Content-Type`, such as `application/x-protobuf`. */
  readonly contentType: string;
  /** More headers for this request, such as `Content-Encoding: gzip`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a 2xx answer's body says about values the peer refused (a partial success). */
export interface PartialSuccess {
  /** Values refused. */
  readonly rejectedValues: number;
  /** The peer's explanation. */
  readonly message?: string;
}

/** Options of {@linkcode HttpPostTransport}. */
export interface HttpPostOptions<P> {
  /** Where to POST. */
  readonly url: string;
  /** Headers on every request (authentication, ...). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Encodes a batch (oldest push first) as one request body. */
  encode(batch: readonly QueuedPush<P>[]): HttpBody | Promise<HttpBody>;
  /** Reads a 2xx answer's body for refused values; `undefined`: none refused. */
  partialSuccess?(body: Uint8Array, contentType: string): PartialSuccess | undefined;
  /** How long one request may take, answer included. Default 10,000 ms. */
  readonly timeoutMs?: number;
  /** The `fetch` to use. Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /** The clock, for a `Retry-After` given as a date. Default `Date.now`. */
  readonly clock?: () => number;
}

/** The longest answer body read for a log message or a partial success: 64 KiB. */
const MAX_BODY_BYTES = 65_536;

/**
 * The delay a `Retry-After` header asks for, in milliseconds: delta-seconds
 * (`120`) or an HTTP date, relative to `now`. `undefined` when absent or
 * unreadable; never negative.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryAfterMs } from "./http.ts";
 * assert.equal(retryAfterMs("120", 0), 120_000);
 * assert.equal(retryAfterMs("Thu, 01 Jan 1970 00:00:30 GMT", 10_000), 20_000);
 * assert.equal(retryAfterMs("soon", 0), undefined);
 * ```
 */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Reads at most {@linkcode MAX_BODY_BYTES} of `response`'s body; never rejects. */
async function readBody(response: Response): Promise<Uint8Array> {
  try {
    const bytes = new Uint8Array(await response.arrayBuffer());
    return bytes.subarray(0, MAX_BODY_BYTES);
  } catch {
    return new Uint8Array(0);
  }
}

/**
 * Sends each batch as one POST to `url`. Request-based: it has no
 * `connect`, so the pipeline never sends a push twice because of it.
 *
 * @example Against a peer that answers 503 with Retry-After, then 200
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpPostTransport } from "./http.ts";
 * const answers = [new Response("busy", { status: 503, headers: { "Retry-After": "7" } })];
 * const transport = new HttpPostTransport<string>({
 *   url: "http://127.0.0.1:4318/v1/metrics",
 *   encode: (batch) => ({ body: batch.map((p) => p.payload).join("\n"), contentType: "text/plain" }),
 *   fetch: () => Promise.resolve(answers.shift() ?? new Response(null, { status: 200 })),
 * });
 * const push = { payload: "x", values: 1, bytes: 1, timestamp: 0 };
 * const signal = new AbortController().signal;
 * const first = await transport.send([push], signal);
 * assert.deepEqual([first.outcome, first.outcome === "retry" && first.retryAfterMs], ["retry", 7_000]);
 * assert.deepEqual(await transport.send([push], signal), { outcome: "delivered" });
 * ```
 */
export class HttpPostTransport<P> implements PushTransport<P> {
  /** The URL. */
  readonly peer: string;
  readonly #options: HttpPostOptions<P>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #clock: () => number;

  /** @param options The URL, the encoding and the seams. */
  constructor(options: HttpPostOptions<P>) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`url must be an absolute URL, got ${describeValue(options.url)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`url must be http: or https:, got ${describeValue(options.url)}`);
    }
    this.peer = url.href;
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#clock = options.clock ?? Date.now;
  }

  /** POSTs the batch and says what became of it. */
  async send(batch: readonly QueuedPush<P>[], abandon: AbortSignal): Promise<SendOutcome> {
    let encoded: HttpBody;
    try {
      encoded = await this.#options.encode(batch);
    } catch (error) {
      // The same batch would fail the same way: sending it again cannot help.
      return { outcome: "rejected", reason: `encoding a batch for ${this.peer} failed`, error };
    }
    const cancel = new AbortController();
    const stop = () => cancel.abort();
    abandon.addEventListener("abort", stop, { once: true });
    let response: Response;
    try {
      const request = this.#fetch(this.peer, {
        method: "POST",
        headers: {
          ...this.#options.headers,
          ...encoded.headers,
          "Content-Type": encoded.contentType,
        },
        body: encoded.body,
        signal: cancel.signal,
      });
      response = await timeout(request, this.#timeoutMs, "request", abandon);
    } catch (error) {
      cancel.abort();
      return { outcome: "retry", reason: `cannot reach ${this.peer}`, error };
    } finally {
      abandon.removeEventListener("abort", stop);
    }
    const body = await timeout(readBody(response), this.#timeoutMs, "reading the answer", abandon)
      .catch(() => new Uint8Array(0));
    const status = response.status;
    if (status >= 200 && status < 300) {
      const contentType = response.headers.get("content-type") ?? "";
      const partial = body.length > 0
        ? this.#options.partialSuccess?.(body, contentType)
        : undefined;
      if (partial === undefined || !(partial.rejectedValues > 0)) return { outcome: "delivered" };
      return { outcome: "delivered", ...partial };
    }
    const reason = `HTTP ${status} from ${this.peer}${describeBody(body)}`;
    if (RETRYABLE_STATUSES.has(status)) {
      const retryAfter = retryAfterMs(response.headers.get("retry-after"), this.#clock());
      return retryAfter === undefined
        ? { outcome: "retry", reason }
        : { outcome: "retry", reason, retryAfterMs: retryAfter };
    }
    return { outcome: "rejected", reason };
  }

  /** Nothing to close: every request stands alone. */
  close(): void {}
}

/** `: ` and the first 200 characters of a text answer, for the log; `""` when empty. */
function describeBody(body: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(body.subarray(0, 800)).trim();
  if (text === "") return "";
  const line = text.replace(/\s+/g, " ");
  return `: ${line.length > 200 ? line.slice(0, 200) + "…" : line}`;
}
