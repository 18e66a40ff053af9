/**
 * {@linkcode GraphitePeriodicPusher}: pushes the stat tree every period.
 *
 * @module
 */

import { PeriodicDriver } from "../push/periodic.ts";
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
  readonly #driver: PeriodicDriver;

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
    const closed = () => this.closed;
    const stopped = {
      name: "graphite",
      peer: `${host}:${port}`,
      get closed() {
        return closed();
      },
      close: (deadlineMs?: number) => this.close(deadlineMs),
    };
    this.#driver = new PeriodicDriver(stopped, () => void this.push(), options);
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
   * import { GraphitePeriodicPusher } from "@scales/core/graphite";
   * const pusher = new GraphitePeriodicPusher("127.0.0.1", 2003, "app", { periodMs: 10_000 });
   * pusher.start();
   * await pusher.stop();
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

  /** Same as {@linkcode GraphitePeriodicPusher.stop}, for `await using`. */
  override async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
