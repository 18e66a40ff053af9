/**
 * The bounded queue of pushes waiting for delivery. A push keeps the
 * timestamp it was taken at, however long it waits. Past either bound (a
 * count of pushes, a count of values) the oldest waiting pushes are
 * dropped; the pushes being sent are never dropped.
 *
 * @module
 */

/** One push as it waits: the encoded payload and what it holds. */
export interface QueuedPush<P> {
  /** What the transport sends: Graphite lines, a metrics model, ... */
  readonly payload: P;
  /** How many values (lines, data points) it holds: the unit of the `sent` and `dropped` counts. */
  readonly values: number;
  /** About how many bytes it encodes to: the pipeline joins pushes into sends of a bounded size. */
  readonly bytes: number;
  /** When it was taken, in milliseconds since the epoch. */
  readonly timestamp: number;
}

/** How many pushes and values an operation removed. */
export interface Removed {
  /** Pushes removed. */
  readonly pushes: number;
  /** Values those pushes held. */
  readonly values: number;
}

/** Counts shared by every queue of one exporter kind, for its `queued` gauges. */
export interface QueueGauge {
  /** Pushes queued or being sent, over every queue. */
  pushes: number;
  /** Values queued or being sent, over every queue. */
  values: number;
}

/** Sums the pushes and values of `pushes`. */
export function countPushes<P>(pushes: readonly QueuedPush<P>[]): Removed {
  let values = 0;
  for (const push of pushes) values += push.values;
  return { pushes: pushes.length, values };
}

/**
 * Pushes waiting (oldest first) and pushes being sent, bounded by
 * `maxPushes` and `maxValues` over both.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PushQueue } from "./queue.ts";
 * const queue = new PushQueue<string>(2, 100);
 * queue.add({ payload: "a", values: 1, bytes: 1, timestamp: 1 });
 * queue.add({ payload: "b", values: 1, bytes: 1, timestamp: 2 });
 * const dropped = queue.add({ payload: "c", values: 1, bytes: 1, timestamp: 3 });
 * assert.deepEqual(dropped, { pushes: 1, values: 1 });
 * assert.deepEqual(queue.take(Infinity).map((push) => push.payload), ["b", "c"]);
 * ```
 */
export class PushQueue<P> {
  readonly #maxPushes: number;
  readonly #maxValues: number;
  readonly #gauge: QueueGauge;
  #waiting: QueuedPush<P>[] = [];
  #sending: QueuedPush<P>[] = [];
  #values = 0;

  /**
   * @param maxPushes Most pushes kept, waiting and being sent.
   * @param maxValues Most values kept, waiting and being sent.
   * @param gauge Kept in step with this queue's counts (shared by an exporter kind).
   */
  constructor(maxPushes: number, maxValues: number, gauge: QueueGauge = { pushes: 0, values: 0 }) {
    this.#maxPushes = maxPushes;
    this.#maxValues = maxValues;
    this.#gauge = gauge;
  }

  /** Pushes waiting and being sent. */
  get pushes(): number {
    return this.#waiting.length + this.#sending.length;
  }

  /** Values waiting and being sent. */
  get values(): number {
    return this.#values;
  }

  /** Whether no push waits (pushes being sent do not count). */
  get idle(): boolean {
    return this.#waiting.length === 0;
  }

  /** Adds `push` at the end, then drops the oldest waiting pushes past the bounds. */
  add(push: QueuedPush<P>): Removed {
    this.#waiting.push(push);
    this.#count(1, push.values);
    return this.#trim();
  }

  /**
   * Marks the oldest waiting pushes as being sent and returns them: at least
   * one, then more while their bytes stay under `maxBytes`.
   */
  take(maxBytes: number): QueuedPush<P>[] {
    let count = 0;
    let bytes = 0;
    while (count < this.#waiting.length && (count === 0 || bytes < maxBytes)) {
      bytes += this.#waiting[count].bytes;
      count++;
    }
    const batch = this.#waiting.splice(0, count);
    this.#sending.push(...batch);
    return batch;
  }

  /** The pushes being sent are done with (delivered or refused): they leave the queue. */
  settle(): Removed {
    const done = countPushes(this.#sending.splice(0));
    this.#count(-done.pushes, -done.values);
    return done;
  }

  /** The pushes being sent failed: they wait again, first in line; then the bounds apply. */
  restore(): Removed {
    this.#waiting.unshift(...this.#sending.splice(0));
    return this.#trim();
  }

  /** Removes every waiting push (not those being sent). */
  clear(): Removed {
    const left = countPushes(this.#waiting.splice(0));
    this.#count(-left.pushes, -left.values);
    return left;
  }

  #count(pushes: number, values: number): void {
    this.#values += values;
    this.#gauge.pushes += pushes;
    this.#gauge.values += values;
  }

  #trim(): Removed {
    let pushes = 0;
    let values = 0;
    while (
      this.#waiting.length > 0 &&
      (this.pushes > this.#maxPushes || this.#values > this.#maxValues)
    ) {
      const oldest = this.#waiting.shift()!;
      pushes += 1;
      values += oldest.values;
      this.#count(-1, -oldest.values);
    }
    return { pushes, values };
  }
}
