/**
 * {@linkcode PeriodicDriver}: pushes through a pipeline every period, with
 * a timer that never keeps the process alive, and stops within a deadline.
 *
 * @module
 */

import { log } from "../src/log.ts";
import { runtime } from "../runtime/mod.ts";
import { checkDeadlineMs, checkPeriodMs } from "./options.ts";
import type { PushPipeline } from "./pipeline.ts";

/** Options of {@linkcode PeriodicDriver}. */
export interface PeriodicOptions {
  /** Time between pushes. Default 60,000 ms. */
  periodMs?: number;
  /** How long `stop()` may spend sending what is queued. Default 5,000 ms. */
  stopDeadlineMs?: number;
}

/** What the driver needs of a {@linkcode PushPipeline}, whatever its payload. */
export type DrivenPipeline = Pick<PushPipeline<unknown>, "name" | "peer" | "closed" | "close">;

/**
 * Calls `tick` every `periodMs` once started; `stop()` ends the timer and
 * closes the pipeline within `stopDeadlineMs`. A stopped driver does not
 * restart: it logs that, and a new exporter is the way. Throws a
 * `RangeError` naming a bad option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PeriodicDriver } from "./periodic.ts";
 * import { PushPipeline } from "./pipeline.ts";
 * const pipeline = new PushPipeline<string>("example", {
 *   peer: "memory",
 *   send: () => Promise.resolve({ outcome: "delivered" }),
 *   close() {},
 * });
 * let ticks = 0;
 * const driver = new PeriodicDriver(pipeline, () => ticks++, { periodMs: 5 });
 * driver.start();
 * await new Promise((resolve) => setTimeout(resolve, 50));
 * assert.equal(await driver.stop(), true);
 * assert.ok(ticks >= 1);
 * ```
 */
export class PeriodicDriver {
  /** Time between pushes, in milliseconds. */
  readonly periodMs: number;
  /** How long `stop()` may spend sending what is queued, in milliseconds. */
  readonly stopDeadlineMs: number;
  readonly #pipeline: DrivenPipeline;
  readonly #tick: () => unknown;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param pipeline Closed by `stop()`; its name and peer appear in the log.
   * @param tick One push; it must not throw (a throw is logged).
   * @param options `periodMs` and `stopDeadlineMs`.
   */
  constructor(pipeline: DrivenPipeline, tick: () => unknown, options: PeriodicOptions = {}) {
    this.periodMs = checkPeriodMs(options.periodMs);
    this.stopDeadlineMs = checkDeadlineMs(options.stopDeadlineMs ?? 5_000, "stopDeadlineMs");
    this.#pipeline = pipeline;
    this.#tick = tick;
  }

  /** Whether the timer runs. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts the timer (the first tick one period from now). Again: nothing. After `stop()`: logged, ignored. */
  start(): void {
    const pipeline = this.#pipeline;
    if (pipeline.closed) {
      log(
        `${pipeline.name}: start() on a stopped pusher to ${pipeline.peer} is ignored; make a new one`,
      );
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      try {
        this.#tick();
      } catch (error) {
        log(`${pipeline.name}: a periodic push failed`, error);
      }
    }, this.periodMs);
    runtime().unref(this.#timer);
  }

  /** Stops the timer and closes the pipeline within `stopDeadlineMs`. Never rejects. */
  stop(): Promise<boolean> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    return this.#pipeline.close(this.stopDeadlineMs);
  }
}
