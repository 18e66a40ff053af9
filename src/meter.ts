/**
 * {@linkcode MeterStat}: the rate of an event, as 1, 5 and 15-minute
 * exponentially weighted moving averages and an all-time mean.
 *
 * @module
 */

import { Ewma, TICK_INTERVAL_SECONDS } from "./_ewma.ts";
import { coarse, now, startCoarseClock } from "./clock.ts";
import { describeValue } from "./log.ts";
import { joinPath } from "./path.ts";
import {
  type Aggregator,
  type CellContext,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatSpec,
  statSpec,
} from "./stat.ts";

const TICK_MS = TICK_INTERVAL_SECONDS * 1000;

/** A meter's snapshot: event count, and rates in events per second. */
export interface MeterSnapshot {
  /** Events marked since the meter was made. */
  readonly count: number;
  /** The one-minute moving average rate. */
  readonly m1: number;
  /** The five-minute moving average rate. */
  readonly m5: number;
  /** The fifteen-minute moving average rate. */
  readonly m15: number;
  /** `count` divided by the seconds since the meter was made. */
  readonly mean: number;
  /** Always `"per second"`. */
  readonly unit: "per second";
}

/** The {@linkcode MeterSnapshot} fields that hold rates. */
export type RateField = "m1" | "m5" | "m15" | "mean";

/**
 * The rates a meter's snapshot shows, in order: the
 * {@linkcode MeterSnapshot} field and the averaging window it covers
 * (`"mean"` is all-time). Every exporter takes the field names from here.
 *
 * @example
 * ```ts
 * import { RATES } from "@scales/core";
 * import assert from "node:assert/strict";
 * assert.deepEqual(RATES.map((r) => r.window), ["1m", "5m", "15m", "mean"]);
 * ```
 */
export const RATES: ReadonlyArray<{ readonly field: RateField; readonly window: string }> = [
  { field: "m1", window: "1m" },
  { field: "m5", window: "5m" },
  { field: "m15", window: "15m" },
  { field: "mean", window: "mean" },
];

/**
 * A rate meter. Mark events with `mark()`; the moving averages tick every
 * 5 seconds like the classic (Dropwizard) algorithm, but lazily: a meter has
 * no timer, and the ticks it missed are applied in O(1) on its next mark or
 * read, so idle meters cost nothing.
 */
export class Meter {
  #count = 0;
  /** `#count` at the last tick: the events since then are not in the averages yet. */
  #counted = 0;
  #generation = -1;
  #ticks = 0;
  readonly #start: number;
  readonly #m1 = Ewma.oneMinute();
  readonly #m5 = Ewma.fiveMinute();
  readonly #m15 = Ewma.fifteenMinute();
  readonly #where: string;

  /** Makes a meter; `where` names it in error messages. */
  constructor(where = "Meter") {
    this.#where = where;
    this.#start = startCoarseClock();
  }

  /**
   * Marks `n` events (default 1). Costs a few nanoseconds: no clock read.
   *
   * @example
   * ```ts
   * import { Meter } from "@scales/core";
   * import assert from "node:assert/strict";
   * const meter = new Meter();
   * meter.mark();
   * meter.mark(4);
   * assert.deepEqual(meter.count, 5);
   * ```
   */
  mark(n = 1): void {
    if (this.#generation !== coarse.generation) this.#catchUp(coarse.ms);
    if (!Number.isFinite(n)) this.#reject(n);
    this.#count += n;
  }

  /** Events marked so far. */
  get count(): number {
    return this.#count;
  }

  /** The current rates; see {@linkcode MeterSnapshot}. */
  snapshot(): MeterSnapshot {
    const time = now();
    this.#catchUp(time);
    const seconds = (time - this.#start) / 1000;
    return {
      count: this.#count,
      m1: this.#m1.rate,
      m5: this.#m5.rate,
      m15: this.#m15.rate,
      mean: seconds > 0 ? this.#count / seconds : 0,
      unit: "per second",
    };
  }

  #catchUp(time: number): void {
    this.#generation = coarse.generation;
    const ticks = Math.floor((time - this.#start) / TICK_MS);
    if (ticks <= this.#ticks) return;
    const missed = ticks - this.#ticks;
    this.#ticks = ticks;
    const pending = this.#count - this.#counted;
    this.#counted = this.#count;
    for (const ewma of [this.#m1, this.#m5, this.#m15]) {
      ewma.update(pending);
      ewma.tickMany(missed);
    }
  }

  #reject(n: unknown): never {
    throw new TypeError(`${this.#where} marks a finite number of events, got ${describeValue(n)}`);
  }
}

class MeterCell implements StatCell<Meter> {
  readonly type = "MeterStat";
  readonly kind: StatKind = "meter";
  aggregators: Aggregator[] | null = null;
  readonly meter: Meter;

  constructor(readonly name: string, context: CellContext) {
    this.meter = new Meter(`MeterStat ${joinPath(context.path, name)}`);
  }

  get(): Meter {
    return this.meter;
  }

  set(value: unknown): void {
    this.meter.mark(value as number);
  }

  snapshot(): SnapshotValue {
    return { ...this.meter.snapshot() };
  }
}

/**
 * A rate meter: `STATS.hits.mark()`, `.mark(n)`, or `STATS.hits = n` (which
 * marks `n`). Its snapshot has `count`, the moving averages `m1`, `m5`,
 * `m15` and the all-time `mean`, in events per second.
 *
 * In TypeScript, `STATS.hits` is typed as a {@linkcode Meter}, so the
 * assignment form needs a cast; `mark(n)` is the typed way.
 *
 * @example
 * ```ts
 * import { collection, getStats, MeterStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", MeterStat("hits"));
 * STATS.hits.mark();
 * STATS.hits.mark(2);
 * assert.deepEqual((getStats("/web")?.hits as { count: number }).count, 3);
 * ```
 */
export function MeterStat<N extends string>(name: N): StatSpec<N, Meter> {
  return statSpec("MeterStat", "meter", name, (context) => new MeterCell(name, context));
}
