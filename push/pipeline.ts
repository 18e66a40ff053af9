/**
 * {@linkcode PushPipeline}: delivery of pushes to one peer through a
 * {@linkcode PushTransport}, whatever the format. A bounded queue across
 * outages (pushes keep their timestamps), exponential backoff with jitter,
 * the peer's own `Retry-After`, refused batches dropped and counted, the
 * last pushes sent again after a reconnect when the protocol has no
 * acknowledgements, a deadline on closing, and self-stats under
 * `/scales/<name>`. Nothing here throws into the application: trouble is
 * logged (see `setLogger`) and counted.
 *
 * @module
 */

import { log } from "../src/log.ts";
import { defaultTree, type StatTree } from "../src/tree.ts";
import { runtime } from "../runtime/mod.ts";
import { checkCount, checkPositive } from "./options.ts";
import { countPushes, PushQueue, type QueuedPush, type Removed } from "./queue.ts";
import { pushStats, queueGauge } from "./stats.ts";
import { timeout } from "./timeout.ts";
import type { PushTransport, SendOutcome } from "./transport.ts";

export type { PushTransport, SendOutcome } from "./transport.ts";
export type { QueuedPush } from "./queue.ts";

/** The longest `Retry-After` honoured: one hour. A longer one waits this long. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** Options of {@linkcode PushPipeline} (all optional). */
export interface PushPipelineOptions {
  /** Most pushes kept while the peer is unreachable; past it the oldest are dropped. Default 60. */
  maxQueuedPushes?: number;
  /** Most values kept while the peer is unreachable; past it the oldest pushes are dropped. Default 1,000,000. */
  maxQueuedValues?: number;
  /** Queued pushes are joined into sends of about this many bytes. Default 262,144. */
  maxBatchBytes?: number;
  /** The first retry delay; it doubles per failure, with jitter. Default 500 ms. */
  minBackoffMs?: number;
  /** The longest retry delay. Default 30,000 ms. */
  maxBackoffMs?: number;
  /**
   * How many of the last pushes sent on a connection are sent again when the
   * transport reports a new connection after losing one (a protocol without
   * acknowledgements). Default 0.
   */
  resendOnReconnect?: number;
  /** What a value is called in the log: `"lines"`, `"data points"`. Default `"values"`. */
  unit?: string;
  /** The tree whose `/scales/<name>` holds the self-stats. Default: the default tree. */
  tree?: StatTree;
  /** The clock, in milliseconds since the epoch, for timestamps and backoff. Default `Date.now`. */
  clock?: () => number;
  /** Randomness for the backoff jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** One push as its format made it, before it is queued. */
export interface PreparedPush<P> {
  /** What the transport will send. */
  readonly payload: P;
  /** How many values it holds; a push of 0 values is counted but not queued. */
  readonly values: number;
  /** About how many bytes it encodes to. */
  readonly bytes: number;
  /** How many values of the tree the format could not push (strings, NaN, ...). */
  readonly skipped?: number;
}

/**
 * Delivers pushes to the peer of `transport`, one queue per pipeline. A
 * format calls {@linkcode PushPipeline.push} with a function that makes the
 * payload; the pipeline stamps it, queues it and sends what is queued.
 *
 * @example Deliver through a transport that keeps what it receives
 * ```ts
 * import assert from "node:assert/strict";
 * import { PushPipeline } from "./pipeline.ts";
 * import type { PushTransport } from "./transport.ts";
 * const received: string[] = [];
 * const transport: PushTransport<string> = {
 *   peer: "memory",
 *   send(batch) {
 *     for (const push of batch) received.push(push.payload);
 *     return Promise.resolve({ outcome: "delivered" });
 *   },
 *   close() {},
 * };
 * const pipeline = new PushPipeline("example", transport, { clock: () => 1_000 });
 * assert.equal(await pipeline.push((now) => ({ payload: `x 1 ${now}`, values: 1, bytes: 9 })), true);
 * assert.deepEqual(received, ["x 1 1000"]);
 * assert.equal(await pipeline.close(), true);
 * ```
 */
export class PushPipeline<P> {
  /** The exporter's name: the log prefix and the self-stats at `/scales/<name>`. */
  readonly name: string;
  readonly #transport: PushTransport<P>;
  readonly #queue: PushQueue<P>;
  readonly #maxPushes: number;
  readonly #maxValues: number;
  readonly #maxBatchBytes: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #resendCount: number;
  readonly #unit: string;
  readonly #tree: StatTree;
  readonly #clock: () => number;
  readonly #random: () => number;

  /** The last pushes sent on the current connection. */
  #recent: QueuedPush<P>[] = [];
  /** Pushes to send again after a reconnect (already counted as sent). */
  #resend: QueuedPush<P>[] = [];
  #everConnected = false;
  #failures = 0;
  #retryAt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #draining: Promise<boolean> | undefined;
  /** Pushes whose payload is being made: close() waits for them to be queued. */
  readonly #preparing = new Set<Promise<unknown>>();
  #closed = false;
  /** Set once close() has finished: a later close() with nothing queued is a no-op. */
  #finished = false;
  /** Set when close() passed its deadline: the drain loop stops trying. */
  #abandoned = false;
  /** Aborted when close() passes its deadline: a pending connect or send gives up at once. */
  readonly #abandonment = new AbortController();
  /** Quiet flags: each kind of trouble is logged once until a delivery succeeds. */
  #dropping = false;
  #rejecting = false;
  #partial = false;

  /**
   * Makes a pipeline; nothing is sent until the first push. Throws a
   * `RangeError` naming a bad option.
   *
   * @param name The exporter's name, such as `"graphite"`.
   * @param transport Delivers batches to the peer.
   * @param options Queue bounds, backoff, resending and seams.
   */
  constructor(name: string, transport: PushTransport<P>, options: PushPipelineOptions = {}) {
    this.name = name;
    this.#transport = transport;
    this.#maxPushes = checkPositive(options.maxQueuedPushes ?? 60, "maxQueuedPushes");
    this.#maxValues = checkPositive(options.maxQueuedValues ?? 1_000_000, "maxQueuedValues");
    this.#minBackoffMs = checkPositive(options.minBackoffMs ?? 500, "minBackoffMs", false);
    this.#maxBackoffMs = checkPositive(options.maxBackoffMs ?? 30_000, "maxBackoffMs", false);
    this.#resendCount = checkCount(options.resendOnReconnect ?? 0, "resendOnReconnect");
    this.#maxBatchBytes = checkPositive(options.maxBatchBytes ?? 262_144, "maxBatchBytes");
    this.#unit = options.unit ?? "values";
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#tree = options.tree ?? defaultTree;
    this.#queue = new PushQueue(this.#maxPushes, this.#maxValues, queueGauge(name, this.#tree));
    this.#stats(); // the exporter shows under /scales/<name> from the start
  }

  /** Names the peer in logs. */
  get peer(): string {
    return this.#transport.peer;
  }

  /** Pushes waiting to be sent (queued and being sent). */
  get queuedPushes(): number {
    return this.#queue.pushes;
  }

  /** Values waiting to be sent (queued and being sent). */
  get queuedValues(): number {
    return this.#queue.values;
  }

  /** Whether {@linkcode PushPipeline.close} has been called: later pushes are ignored. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Calls `prepare` with the clock's time (milliseconds since the epoch),
   * queues what it returns with that timestamp, and sends everything
   * queued. Resolves to `true` when the queue is empty afterwards, `false`
   * when the peer could not be reached (the push stays queued) or after
   * `close()`. Never rejects, even when `prepare` throws.
   */
  async push(
    prepare: (now: number) => PreparedPush<P> | Promise<PreparedPush<P>>,
  ): Promise<boolean> {
    try {
      const timestamp = this.#clock();
      if (this.#ignoredAfterClose(this.#closed)) return false;
      const preparing = Promise.resolve(prepare(timestamp));
      this.#preparing.add(preparing);
      let prepared: PreparedPush<P>;
      try {
        prepared = await preparing;
      } finally {
        this.#preparing.delete(preparing);
      }
      // A push begun before close() is close()'s to send or drop, unless close() is over.
      if (this.#ignoredAfterClose(this.#finished)) return false;
      const stats = this.#stats();
      stats.pushes += 1;
      stats.skipped += prepared.skipped ?? 0;
      if (prepared.values > 0) {
        const { payload, values, bytes } = prepared;
        this.#dropped(this.#queue.add({ payload, values, bytes, timestamp }));
      }
      return await this.flush();
    } catch (error) {
      this.#error("push failed", error);
      return false;
    }
  }

  /**
   * Sends what is queued now, unless a retry is backing off (a timer
   * retries then). Resolves to whether the queue is empty. Never rejects.
   */
  flush(): Promise<boolean> {
    if (this.#draining === undefined) {
      this.#draining = this.#drain().catch((error) => {
        this.#error("sending failed", error);
        return false;
      }).finally(() => {
        this.#draining = undefined;
      });
    }
    return this.#draining;
  }

  /**
   * Stops taking pushes, sends what is queued (trying at once, even during
   * a backoff) within `deadlineMs`, then closes the transport. What could
   * not be sent is dropped and counted. Resolves to whether everything was
   * sent. Never rejects.
   */
  async close(deadlineMs = 5_000): Promise<boolean> {
    if (this.#finished && this.#queue.pushes === 0) return true;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delivered = false;
    try {
      // A bounded wait that is allowed to keep the process alive: a final flush at exit.
      const expired = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      });
      const attempt = (async () => {
        await Promise.allSettled(this.#preparing); // pushes begun before close() are queued first
        await this.#draining;
        this.#retryAt = 0;
        return await this.flush();
      })();
      delivered = await Promise.race([attempt, expired]);
    } catch (error) {
      this.#error("final flush failed", error);
    } finally {
      clearTimeout(timer);
      this.#abandoned = true;
      this.#abandonment.abort();
      this.#closeTransport();
      this.#recent = [];
      this.#resend = [];
      await this.#draining?.catch(() => false);
      const left = this.#queue.clear();
      if (left.pushes > 0) {
        const stats = this.#stats();
        stats.droppedPushes += left.pushes;
        stats.dropped += left.values;
        log(
          `${this.name}: dropped ${left.pushes} unsent pushes (${left.values} ${this.#unit}) to ${this.peer} on close`,
        );
      }
      this.#finished = true;
    }
    return delivered && this.#queue.pushes === 0;
  }

  #stats() {
    return pushStats(this.name, this.#tree);
  }

  #ignoredAfterClose(ignored: boolean): boolean {
    if (ignored) log(`${this.name}: push() after close() to ${this.peer} is ignored`);
    return ignored;
  }

  /** Counts the pushes the queue bound dropped, and says so once per outage. */
  #dropped(removed: Removed): void {
    if (removed.pushes === 0) return;
    const stats = this.#stats();
    stats.droppedPushes += removed.pushes;
    stats.dropped += removed.values;
    if (!this.#dropping) {
      this.#dropping = true;
      log(
        `${this.name}: queue for ${this.peer} is full (${this.#maxPushes} pushes or ${this.#maxValues} ${this.#unit}); dropping the oldest pushes`,
      );
    }
  }

  async #drain(): Promise<boolean> {
    while (!this.#queue.idle || this.#resend.length > 0) {
      if (this.#abandoned) return false;
      const now = this.#clock();
      if (now < this.#retryAt) {
        this.#scheduleRetry(this.#retryAt - now);
        return false;
      }
      if (!(await this.#connect())) {
        this.#scheduleRetry(this.#retryAt - this.#clock());
        return false;
      }
      // The pushes to send again and the queued pushes go out in one send.
      const resend = this.#resend.splice(0);
      let resendBytes = 0;
      for (const push of resend) resendBytes += push.bytes;
      const batch = this.#queue.take(this.#maxBatchBytes - resendBytes);
      this.#settle(resend, batch, await this.#send([...resend, ...batch]));
    }
    return true;
  }

  async #send(batch: QueuedPush<P>[]): Promise<SendOutcome> {
    try {
      const signal = this.#abandonment.signal;
      // A transport that ignores the signal still cannot hold close() past its deadline.
      return await timeout(this.#transport.send(batch, signal), Infinity, "send", signal);
    } catch (error) {
      return { outcome: "retry", reason: `sending to ${this.peer} failed`, error };
    }
  }

  /** Books what became of a send: `resend` went again before `batch`, the pushes being sent. */
  #settle(resend: QueuedPush<P>[], batch: QueuedPush<P>[], result: SendOutcome): void {
    const stats = this.#stats();
    switch (result?.outcome) {
      case "delivered": {
        const sent = this.#queue.settle();
        if (this.#resendCount > 0) {
          this.#recent.push(...resend, ...batch);
          this.#recent.splice(0, Math.max(0, this.#recent.length - this.#resendCount));
        }
        stats.sent += sent.values;
        stats.resent += countPushes(resend).values;
        stats.sentPushes += sent.pushes;
        stats.lastSuccess = Math.floor(this.#clock() / 1000);
        this.#failures = 0;
        this.#dropping = false;
        this.#rejecting = false;
        const refused = result.rejectedValues ?? 0;
        if (refused > 0) {
          stats.rejected += refused;
          if (!this.#partial) {
            log(
              `${this.name}: ${this.peer} refused ${refused} of the ${this.#unit} it received${
                result.message ? `: ${result.message}` : ""
              }`,
            );
          }
          this.#partial = true;
        } else this.#partial = false;
        return;
      }
      case "rejected": {
        // Refused for good: the batch is dropped, never sent again. The
        // pushes sent again were counted when they first went.
        const refused = this.#queue.settle();
        stats.rejectedPushes += refused.pushes;
        stats.rejected += refused.values;
        if (!this.#rejecting) {
          log(
            `${this.name}: ${result.reason}; dropped ${refused.pushes} pushes (${refused.values} ${this.#unit}), not to be sent again`,
            result.error,
          );
        }
        this.#rejecting = true;
        return;
      }
      case "retry": {
        this.#dropped(this.#queue.restore());
        this.#resend = resend;
        this.#fail(result.reason, result.error, result.retryAfterMs);
        return;
      }
      default: {
        this.#dropped(this.#queue.restore());
        this.#resend = resend;
        this.#fail(`${this.peer}: the transport answered ${String(result)}`, undefined);
      }
    }
  }

  /** Whether a connection is open; after a reconnect, the last pushes are to be sent again. */
  async #connect(): Promise<boolean> {
    const transport = this.#transport;
    if (transport.connect === undefined) return true;
    let fresh: boolean;
    try {
      const signal = this.#abandonment.signal;
      fresh = await timeout(transport.connect(signal), Infinity, "connect", signal);
    } catch (error) {
      this.#fail(`cannot connect to ${this.peer}`, error);
      return false;
    }
    if (this.#abandoned || (this.#closed && this.#queue.idle && this.#resend.length === 0)) {
      this.#closeTransport();
      return false;
    }
    if (!fresh) return true;
    if (this.#everConnected) {
      this.#stats().reconnects += 1;
      log(`${this.name}: reconnected to ${this.peer}`);
      // The old connection is gone: what went out last on it may be lost.
      const again = [...this.#resend, ...this.#recent];
      this.#recent = [];
      this.#resend = again.slice(Math.max(0, again.length - this.#resendCount));
    }
    this.#everConnected = true;
    return true;
  }

  #closeTransport(): void {
    try {
      this.#transport.close();
    } catch (error) {
      log(`${this.name}: closing the transport to ${this.peer} failed`, error);
    }
  }

  /** Counts a failure and sets the next attempt: the peer's delay, or exponential backoff with jitter. */
  #fail(message: string, error: unknown, retryAfterMs?: number): void {
    if (this.#abandoned) return; // close() gave up on purpose: not an error of the peer
    this.#stats().errors += 1;
    if (this.#failures === 0) log(`${this.name}: ${message}`, error);
    this.#failures += 1;
    let delay: number;
    if (typeof retryAfterMs === "number" && retryAfterMs >= 0) {
      delay = Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
    } else {
      const base = Math.min(
        this.#maxBackoffMs,
        this.#minBackoffMs * 2 ** Math.min(this.#failures - 1, 30),
      );
      delay = base / 2 + this.#random() * base / 2;
    }
    this.#retryAt = this.#clock() + delay;
  }

  #error(message: string, error: unknown): void {
    this.#stats().errors += 1;
    log(`${this.name}: ${message}`, error);
  }

  #scheduleRetry(delayMs: number): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.flush();
    }, Math.max(0, delayMs));
    runtime().unref(this.#retryTimer);
  }
}
