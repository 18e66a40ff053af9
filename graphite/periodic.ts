/**
 * {@linkcode GraphitePeriodicPusher}: pushes the stat tree every period.
 *
 * @module
 */

import { describeValue, log } from "../src/log.ts";
import { unrefInterval } from "./_timers.ts";
import { GraphitePusher, type GraphitePusherOptions } from "./pusher.ts";

/** Options of {@linkcode GraphitePeriodicPusher}: the pusher's, plus the period. */
export interface GraphitePeriodicPusherOptions extends GraphitePusherOptions {
  /** Time between pushes. Default 60,000 ms. */
  periodMs?: number;
  /** How long `stop()` may spend sending what is queued. Default 5,000 ms. */
  stopDeadlineMs?: number;
}

/**
 * Pushes the whole stat tree to Graphite every `periodMs` (default one
 * minute), with everything {@linkcode GraphitePusher} does: rules, a bounded
 * queue across outages, reconnects with backoff, self-reporting under
 * `/scales/graphite`. Its timer never keeps the process alive.
 *
 * @example
 * ```ts
 * import { GraphitePeriodicPusher } from "@scales/core/graphite";
 * await using pusher = new GraphitePeriodicPusher("127.0.0.1", 2003, "my.server.prefix.")
 *   .doNotLog("/web/byPath")
 *   .start();
 * ```
 */
export class GraphitePeriodicPusher extends GraphitePusher {
  /** Time between pushes, in milliseconds. */
  readonly periodMs: number;
  readonly #stopDeadlineMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * Makes a periodic pusher; call {@linkcode GraphitePeriodicPusher.start} to begin.
   *
   * @param host The Graphite host name or address.
   * @param port The plaintext port (usually 2003).
   * @param prefix Prepended to every name; default: the host name.
   * @param options `periodMs`, `stopDeadlineMs` and the pusher's options.
   */
  constructor(
    host: string,
    port: number,
    prefix?: string,
    options: GraphitePeriodicPusherOptions = {},
  ) {
    super(host, port, prefix, options);
    const periodMs = options.periodMs ?? 60_000;
    if (typeof periodMs !== "number" || !Number.isFinite(periodMs) || periodMs < 1) {
      throw new RangeError(
        `periodMs must be a number of at least 1, got ${describeValue(periodMs)}`,
      );
    }
    const stopDeadlineMs = options.stopDeadlineMs ?? 5_000;
    if (typeof stopDeadlineMs !== "number" || !(stopDeadlineMs >= 0)) {
      throw new RangeError(
        `stopDeadlineMs must be a non-negative number, got ${describeValue(stopDeadlineMs)}`,
      );
    }
    this.periodMs = periodMs;
    this.#stopDeadlineMs = stopDeadlineMs;
  }

  /** Whether the pusher is running. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Starts pushing every period (the first push one period from now).
   * Calling it again does nothing; a stopped pusher does not restart (it
   * logs that, and a new pusher is the way).
   *
   * @example
   * ```ts
   * import { GraphitePeriodicPusher } from "@scales/core/graphite";
   * const pusher = new GraphitePeriodicPusher("127.0.0.1", 2003, "app", { periodMs: 10_000 });
   * pusher.start();
   * await pusher.stop();
   * ```
   */
  start(): this {
    if (this.closed) {
      log(
        `graphite: start() on a stopped pusher to ${this.host}:${this.port} is ignored; make a new one`,
      );
      return this;
    }
    if (this.#timer === undefined) {
      this.#timer = unrefInterval(() => void this.push(), this.periodMs);
    }
    return this;
  }

  /**
   * Stops the timer and sends what is queued, within `stopDeadlineMs`.
   * Resolves to whether everything queued was sent. Never rejects.
   */
  stop(): Promise<boolean> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    return this.close(this.#stopDeadlineMs);
  }

  /** Same as {@linkcode GraphitePeriodicPusher.stop}, for `await using`. */
  override async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
