/**
 * {@linkcode OtlpPeriodicPusher}: pushes a stat tree over OTLP every period.
 *
 * @module
 */

import { PeriodicDriver } from "../push/periodic.ts";
import { OtlpPusher, type OtlpPusherOptions } from "./pusher.ts";

/** Options of {@linkcode OtlpPeriodicPusher}: the pusher's, plus the period and the stop deadline. */
export interface OtlpPeriodicPusherOptions extends OtlpPusherOptions {
  /** Time between pushes. Default: `OTEL_METRIC_EXPORT_INTERVAL`, or 60,000 ms. */
  periodMs?: number;
  /** How long `stop()` may spend sending what is queued. Default 5,000 ms. */
  stopDeadlineMs?: number;
}

/**
 * Pushes a stat tree to an OpenTelemetry receiver every `periodMs`, with
 * everything {@linkcode OtlpPusher} does: the mapping, rules, a bounded
 * queue across outages, retries honouring `Retry-After`, self-reporting
 * under `/scales/otlp`. Its timer never keeps the process alive.
 *
 * @example
 * ```ts
 * import { OtlpPeriodicPusher } from "@scales/core/otlp";
 * import assert from "node:assert/strict";
 * await using pusher = new OtlpPeriodicPusher({
 *   endpoint: "http://127.0.0.1:4318/v1/metrics",
 *   periodMs: 10_000,
 * }).doNotLog("/web/byPath").start();
 * assert.equal(pusher.running, true);
 * ```
 */
export class OtlpPeriodicPusher extends OtlpPusher {
  /** Time between pushes, in milliseconds. */
  readonly periodMs: number;
  readonly #driver: PeriodicDriver;

  /**
   * Makes a periodic pusher; call {@linkcode OtlpPeriodicPusher.start} to
   * begin. Throws a `TypeError` or `RangeError` naming a bad option.
   *
   * @param options `periodMs`, `stopDeadlineMs` and the pusher's options.
   */
  constructor(options: OtlpPeriodicPusherOptions = {}) {
    super(options);
    const closed = () => this.closed;
    const stopped = {
      name: "otlp",
      peer: this.endpoint,
      get closed() {
        return closed();
      },
      close: (deadlineMs?: number) => this.close(deadlineMs),
    };
    this.#driver = new PeriodicDriver(stopped, () => void this.push(), {
      periodMs: this.config.periodMs,
      stopDeadlineMs: options.stopDeadlineMs,
    });
    this.periodMs = this.#driver.periodMs;
  }

  /** Whether the pusher is running. */
  get running(): boolean {
    return this.#driver.running;
  }

  /**
   * Starts pushing every period (the first push one period from now).
   * Calling it again does nothing; a stopped pusher does not restart (it
   * logs that, and a new pusher is the way).
   *
   * @example
   * ```ts
   * import { OtlpPeriodicPusher } from "@scales/core/otlp";
   * import assert from "node:assert/strict";
   * const pusher = new OtlpPeriodicPusher({ endpoint: "http://127.0.0.1:4318/v1/metrics" });
   * pusher.start();
   * assert.equal(await pusher.stop(), true); // nothing was queued yet
   * ```
   */
  start(): this {
    this.#driver.start();
    return this;
  }

  /**
   * Stops the timer and sends what is queued, within `stopDeadlineMs`.
   * Resolves to whether everything queued was sent. Never rejects.
   */
  stop(): Promise<boolean> {
    return this.#driver.stop();
  }

  /** Same as {@linkcode OtlpPeriodicPusher.stop}, for `await using`. */
  override async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
