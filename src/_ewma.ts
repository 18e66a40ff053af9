/**
 * The exponentially weighted moving average of an event rate, as in the
 * classic Dropwizard (Coda Hale) Metrics meter and UNIX load average, with
 * lazy ticking: no timers, missed ticks are applied in O(1).
 *
 * This module is private to the package; it holds only pure arithmetic and
 * has no runtime dependencies.
 *
 * @module
 */

/** Interval between two ticks of an {@linkcode Ewma}, in seconds: 5. */
export const TICK_INTERVAL_SECONDS = 5;

/**
 * Returns the smoothing factor of an EWMA ticked every `intervalSeconds` that
 * averages over `minutes`: `1 - exp(-intervalSeconds / 60 / minutes)`.
 *
 * @example Usage
 * ```ts
 * import { ewmaAlpha } from "./_ewma.ts";
 *
 * ewmaAlpha(1); // 1 - exp(-1/12) ≈ 0.07996
 * ```
 *
 * @param minutes The averaging window, in minutes (1, 5 and 15 are classic).
 * @param intervalSeconds The tick interval, in seconds.
 * @returns The weight given to each new tick's instant rate, in `(0, 1)`.
 */
export function ewmaAlpha(
  minutes: number,
  intervalSeconds: number = TICK_INTERVAL_SECONDS,
): number {
  return 1 - Math.exp(-intervalSeconds / 60 / minutes);
}

/**
 * An exponentially weighted moving average of an event rate, in events per
 * second.
 *
 * Events are counted with {@linkcode Ewma.update}. Every tick (every
 * {@linkcode TICK_INTERVAL_SECONDS} seconds of wall time, driven by the
 * caller) turns the events counted since the previous tick into an instant
 * rate `events / interval` and folds it in:
 *
 * - the first tick ever sets `rate = instantRate`;
 * - each later tick sets `rate += alpha * (instantRate - rate)`.
 *
 * There are no timers. A caller that notices `n` ticks have elapsed calls
 * {@linkcode Ewma.tickMany}`(n)`, which is exactly equivalent to `n` single
 * ticks when all pending events belong to the first of them: the first tick
 * folds in the pending events, and the remaining `n - 1` ticks, which saw no
 * events, decay the rate by `(1 - alpha)^(n - 1)`.
 *
 * @example Usage
 * ```ts
 * import { Ewma } from "./_ewma.ts";
 *
 * const m1 = Ewma.oneMinute();
 * m1.update(50);
 * m1.tickMany(1);
 * m1.rate; // 10 events per second
 * ```
 */
export class Ewma {
  /** The smoothing factor applied on each tick. */
  readonly alpha: number;
  /** The tick interval, in seconds. */
  readonly intervalSeconds: number;

  #rate = 0;
  #uncounted = 0;
  #initialized = false;

  /**
   * Creates an EWMA with no events and a rate of 0.
   *
   * @param alpha The smoothing factor, in `(0, 1]`; see {@linkcode ewmaAlpha}.
   * @param intervalSeconds The tick interval, in seconds.
   * @throws {RangeError} If `alpha` is not in `(0, 1]` or `intervalSeconds` is not positive.
   */
  constructor(alpha: number, intervalSeconds: number = TICK_INTERVAL_SECONDS) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
    if (!(intervalSeconds > 0)) {
      throw new RangeError(`intervalSeconds must be positive, got ${intervalSeconds}`);
    }
    this.alpha = alpha;
    this.intervalSeconds = intervalSeconds;
  }

  /** Creates the one-minute EWMA, ticked every 5 seconds. */
  static oneMinute(): Ewma {
    return new Ewma(ewmaAlpha(1));
  }

  /** Creates the five-minute EWMA, ticked every 5 seconds. */
  static fiveMinute(): Ewma {
    return new Ewma(ewmaAlpha(5));
  }

  /** Creates the fifteen-minute EWMA, ticked every 5 seconds. */
  static fifteenMinute(): Ewma {
    return new Ewma(ewmaAlpha(15));
  }

  /** The average rate as of the last tick, in events per second; 0 before the first tick. */
  get rate(): number {
    return this.#rate;
  }

  /** Events counted since the last tick, not yet in {@linkcode Ewma.rate}. */
  get uncounted(): number {
    return this.#uncounted;
  }

  /**
   * Counts `n` events; they enter the rate at the next tick.
   *
   * @param n The number of events.
   */
  update(n: number = 1): void {
    this.#uncounted += n;
  }

  /** Applies one tick; the same as `tickMany(1)`. */
  tick(): void {
    this.tickMany(1);
  }

  /**
   * Applies `n` ticks in O(1). The first folds in the events counted since the
   * last tick; the other `n - 1` carry no events and only decay the rate by
   * `(1 - alpha)` each. Does nothing when `n <= 0`.
   *
   * @param n The number of elapsed tick intervals.
   */
  tickMany(n: number): void {
    if (!(n >= 1)) return;
    const instantRate = this.#uncounted / this.intervalSeconds;
    this.#uncounted = 0;
    if (this.#initialized) {
      this.#rate += this.alpha * (instantRate - this.#rate);
    } else {
      this.#rate = instantRate;
      this.#initialized = true;
    }
    if (n > 1) this.#rate *= Math.pow(1 - this.alpha, n - 1);
  }

  /** Resets to the initial state: no events, rate 0, not yet initialized. */
  clear(): void {
    this.#rate = 0;
    this.#uncounted = 0;
    this.#initialized = false;
  }
}
