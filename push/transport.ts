/**
 * What a push target provides to the pipeline: a way to deliver a batch of
 * queued pushes, and what became of them. A connection-based protocol
 * (Graphite's plaintext TCP) also connects, and says when it had to open a
 * new connection; a request-based one (an HTTP POST) only sends.
 *
 * @module
 */

import type { QueuedPush } from "./queue.ts";

/** The batch arrived (all of it, or all but what the peer says it refused). */
export interface Delivered {
  /** Says the batch was delivered. */
  readonly outcome: "delivered";
  /**
   * Values the peer accepted the request but refused (OTLP's partial
   * success): counted as `rejected` and logged once, never sent again.
   */
  readonly rejectedValues?: number;
  /** What the peer said about the refused values, for the log. */
  readonly message?: string;
}

/**
 * The batch did not arrive and may later (a refused connection, a hung
 * write, HTTP 429, 502, 503, 504): the pipeline keeps it first in line and
 * tries again after a backoff, or after `retryAfterMs` when the peer said.
 */
export interface RetryLater {
  /** Says the batch should be sent again later. */
  readonly outcome: "retry";
  /** For the log, such as `writing to host:2003 failed; will reconnect`. */
  readonly reason: string;
  /** The error behind it, for the log. */
  readonly error?: unknown;
  /** The peer's own delay (HTTP `Retry-After`), in milliseconds: used instead of the backoff. */
  readonly retryAfterMs?: number;
}

/**
 * The peer refused the batch and would refuse it again (HTTP 400, 401, 413,
 * ...): the pipeline drops it, counts it as `rejected` and logs once; it is
 * never sent again.
 */
export interface Rejected {
  /** Says the batch is refused for good. */
  readonly outcome: "rejected";
  /** For the log, such as `HTTP 400 from https://collector/v1/metrics: bad data`. */
  readonly reason: string;
  /** The error behind it, for the log. */
  readonly error?: unknown;
}

/** What became of one batch. */
export type SendOutcome = Delivered | RetryLater | Rejected;

/**
 * Delivers batches of pushes to one peer for a {@linkcode PushPipeline}.
 * The pipeline calls one method at a time, and never `send` after a failed
 * `connect`. Methods may reject or throw: the pipeline counts that as a
 * failed attempt (a `connect` failure, or a `send` to retry later).
 *
 * @example A transport that hands each batch to a function
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PushTransport, SendOutcome } from "./transport.ts";
 * const sent: string[] = [];
 * const transport: PushTransport<string> = {
 *   peer: "memory",
 *   send(batch): Promise<SendOutcome> {
 *     sent.push(batch.map((push) => push.payload).join(""));
 *     return Promise.resolve({ outcome: "delivered" });
 *   },
 *   close() {},
 * };
 * await transport.send([{ payload: "x 1 0\n", values: 1, bytes: 6, timestamp: 0 }], new AbortController().signal);
 * assert.deepEqual(sent, ["x 1 0\n"]);
 * ```
 */
export interface PushTransport<P> {
  /** Names the peer in logs: `host:port`, a URL. */
  readonly peer: string;
  /**
   * Makes sure a connection is open before a send, when the protocol has
   * connections. Resolves to `true` when it opened a new one: after a lost
   * connection, the pipeline then sends the last pushes of the old one
   * again (see `resendOnReconnect`), since a protocol without
   * acknowledgements may have lost them. Rejects when it cannot connect.
   * `abandon` aborts when `close()` passes its deadline: stop at once.
   */
  connect?(abandon: AbortSignal): Promise<boolean>;
  /**
   * Sends `batch` (oldest first; the pushes to send again first of all) and
   * resolves to what became of it. `abandon` aborts when `close()` passes
   * its deadline: stop at once.
   */
  send(batch: readonly QueuedPush<P>[], abandon: AbortSignal): Promise<SendOutcome>;
  /** Closes any connection. Never throws. */
  close(): void;
}
