/**
 * Aggregation stats: declared on an ancestor container, they roll up the
 * same-named stats of every container below it, incrementally (each change
 * below updates them; nothing is rescanned on read).
 *
 * @module
 */

import {
  type AutoDeleteOptions,
  checkAutoDelete,
  checkMaxKeys,
  OVERFLOW_KEY,
  warnKeyCap,
} from "./dict_stats.ts";
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

/**
 * The base of aggregation stats: computed from the stats below, so they
 * refuse assignment.
 */
export abstract class AggregationCell<V> implements StatCell<V> {
  abstract readonly type: string;
  abstract readonly kind: StatKind;
  abstract readonly aggregator: Aggregator;
  aggregators: Aggregator[] | null = null;
  readonly #path: string;

  constructor(readonly name: string, context: CellContext) {
    this.#path = context.path;
  }

  abstract get(): V;
  abstract snapshot(): SnapshotValue;

  set(value: unknown): void {
    throw new TypeError(
      `${this.type} ${
        joinPath(this.#path, this.name)
      } is computed from the stats below it and cannot be assigned, got ${describeValue(value)}`,
    );
  }
}

const isNumber = (value: unknown): value is number => typeof value === "number";
const feeds = (cell: StatCell, ...types: string[]) => types.includes(cell.type);

class SumCell extends AggregationCell<number> {
  readonly type = "SumAggregationStat";
  readonly kind: StatKind = "sum";
  /** The sum of the finite values below. */
  total = 0;
  /** How many stats below hold a finite number: at 0, `total` is exactly 0 again. */
  finite = 0;
  /** How many stats below hold `NaN`, `Infinity` and `-Infinity`, kept apart so the sum recovers. */
  nan = 0;
  positiveInfinite = 0;
  negativeInfinite = 0;
  readonly aggregator: Aggregator = {
    accepts: (cell) => feeds(cell, "IntStat", "DoubleStat", "Stat"),
    attach: (cell) => this.add(cell.stored, 1),
    detach: (cell) => this.add(cell.stored, -1),
    changed: (_key, oldValue, newValue) => {
      if (
        isNumber(oldValue) && isNumber(newValue) && oldValue - oldValue === 0 &&
        newValue - newValue === 0
      ) {
        this.total += newValue - oldValue;
      } else {
        this.add(oldValue, -1);
        this.add(newValue, 1);
      }
    },
  };

  /** Adds (`sign` 1) or takes out (`sign` -1) one stat's value. */
  add(value: unknown, sign: 1 | -1): void {
    if (!isNumber(value)) return;
    if (value - value === 0) {
      this.finite += sign;
      this.total = this.finite === 0 ? 0 : this.total + sign * value;
    } else if (value !== value) this.nan += sign;
    else if (value > 0) this.positiveInfinite += sign;
    else this.negativeInfinite += sign;
  }

  get(): number {
    if (this.nan > 0 || this.positiveInfinite > 0 && this.negativeInfinite > 0) return NaN;
    if (this.positiveInfinite > 0) return Infinity;
    if (this.negativeInfinite > 0) return -Infinity;
    return this.total;
  }

  snapshot(): SnapshotValue {
    return this.get();
  }
}

/**
 * Counts by key. With `keepZeros`, a key whose count returns to 0 stays at 0
 * (a state nobody is in is still reported, so a graph falls to 0) until the
 * key cap needs its room; without it, the key is dropped at once.
 */
class Tally {
  readonly counts: Map<string, number> = new Map();
  #warned = false;

  constructor(
    readonly keepZeros = false,
    readonly maxKeys = Infinity,
    readonly path = "",
  ) {}

  add(key: string, n: number): void {
    const current = this.counts.get(key);
    if (current === undefined && this.counts.size >= this.maxKeys && key !== OVERFLOW_KEY) {
      if (!this.#evictZero()) {
        if (!this.#warned) {
          this.#warned = true;
          warnKeyCap(this.path, this.maxKeys);
        }
        key = OVERFLOW_KEY;
      }
    }
    const count = (this.counts.get(key) ?? 0) + n;
    if (count === 0 && !this.keepZeros) this.counts.delete(key);
    else this.counts.set(key, count);
  }

  /** Makes room by dropping a key held at 0; whether there was one. */
  #evictZero(): boolean {
    for (const [key, count] of this.counts) {
      if (count === 0) {
        this.counts.delete(key);
        return true;
      }
    }
    return false;
  }

  toObject(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

const isGaugeValue = (value: unknown): value is string | number | boolean =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean";

class HistogramCell extends AggregationCell<Readonly<Record<string, number>>> {
  readonly type = "HistogramAggregationStat";
  readonly kind: StatKind = "gaugeDict";
  readonly tally: Tally;

  constructor(name: string, context: CellContext, autoDelete: boolean, maxKeys: number) {
    super(name, context);
    this.tally = new Tally(!autoDelete, maxKeys, joinPath(context.path, name));
  }

  readonly aggregator: Aggregator = {
    accepts: (cell) => feeds(cell, "Stat", "IntStat", "DoubleStat", "StateTimeStat"),
    attach: (cell) => {
      if (isGaugeValue(cell.stored)) this.tally.add(String(cell.stored), 1);
    },
    detach: (cell) => {
      if (isGaugeValue(cell.stored)) this.tally.add(String(cell.stored), -1);
    },
    changed: (_key, oldValue, newValue) => {
      if (isGaugeValue(oldValue)) this.tally.add(String(oldValue), -1);
      if (isGaugeValue(newValue)) this.tally.add(String(newValue), 1);
    },
  };

  get(): Readonly<Record<string, number>> {
    return this.tally.toObject();
  }

  snapshot(): SnapshotValue {
    return this.tally.toObject();
  }
}

class IntDictSumCell extends AggregationCell<Readonly<Record<string, number>>> {
  readonly type = "IntDictSumAggregationStat";
  readonly kind: StatKind = "counterDict";
  readonly tally: Tally = new Tally();
  readonly aggregator: Aggregator = {
    accepts: (cell) => feeds(cell, "IntDictStat"),
    attach: (cell) => {
      for (const [key, n] of cell.stored as ReadonlyMap<string, number>) this.tally.add(key, n);
    },
    detach: (cell) => {
      for (const [key, n] of cell.stored as ReadonlyMap<string, number>) this.tally.add(key, -n);
    },
    changed: (key, oldValue, newValue) => {
      if (key === undefined) return;
      this.tally.add(
        key,
        (isNumber(newValue) ? newValue : 0) - (isNumber(oldValue) ? oldValue : 0),
      );
    },
  };

  get(): Readonly<Record<string, number>> {
    return this.tally.toObject();
  }

  snapshot(): SnapshotValue {
    return this.tally.toObject();
  }
}

/**
 * At an ancestor, the running sum of every same-named numeric stat
 * (`IntStat`, `DoubleStat`, or a `Stat` holding a number) in the containers
 * below it. Function gauges do not feed aggregations. A stat below that
 * holds `Infinity` or `NaN` makes the sum `Infinity` or `NaN` only while it
 * does; once every stat below has left, the sum is exactly 0.
 *
 * @example
 * ```ts
 * import { collection, getStats, IntStat, reset, SumAggregationStat } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/jobs", SumAggregationStat("done"));
 * const a = collection("/jobs/a", IntStat("done"));
 * const b = collection("/jobs/b", IntStat("done"));
 * a.done += 2;
 * b.done += 3;
 * assert.deepEqual(getStats("/jobs"), { done: 5, a: { done: 2 }, b: { done: 3 } });
 * ```
 */
export function SumAggregationStat<N extends string>(name: N): StatSpec<N, number> {
  return statSpec("SumAggregationStat", "sum", name, (context) => new SumCell(name, context));
}

/**
 * At an ancestor, for each distinct value of the same-named gauges below
 * it (`Stat`, `IntStat`, `DoubleStat`, or the current state of a
 * `StateTimeStat`), how many of them hold that value now. A value whose
 * count drops to 0 stays at 0, so a state nobody is in reads (and is pushed)
 * as 0 rather than vanishing; pass `{ autoDelete: true }` to drop it instead.
 * Values are counted by their string form, so `1` and `"1"` count together.
 * At most `maxKeys` values (default 10,000) are kept: past that, a value
 * held at 0 makes room, else new values count under `"(other)"` and one
 * warning is logged.
 *
 * @example
 * ```ts
 * import { collection, getStats, HistogramAggregationStat, reset, Stat } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/workers", HistogramAggregationStat("state"));
 * const w0 = collection("/workers/w0", Stat("state", "idle"));
 * const w1 = collection("/workers/w1", Stat("state", "idle"));
 * w1.state = "busy";
 * assert.deepEqual(getStats("/workers")?.state, { idle: 1, busy: 1 });
 * w0.state = "busy";
 * assert.deepEqual(getStats("/workers")?.state, { idle: 0, busy: 2 });
 * ```
 */
export function HistogramAggregationStat<N extends string>(
  name: N,
  options?: AutoDeleteOptions,
): StatSpec<N, Readonly<Record<string, number>>> {
  const maxKeys = checkMaxKeys(name, options);
  const autoDelete = checkAutoDelete(name, options);
  return statSpec(
    "HistogramAggregationStat",
    "gaugeDict",
    name,
    (context) => new HistogramCell(name, context, autoDelete, maxKeys),
  );
}

/**
 * At an ancestor, the key-wise sum of the same-named `IntDictStat`s below it.
 *
 * @example
 * ```ts
 * import { collection, getStats, IntDictStat, IntDictSumAggregationStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", IntDictSumAggregationStat("byPath"));
 * collection("/web/a", IntDictStat("byPath")).byPath.inc("/login");
 * collection("/web/b", IntDictStat("byPath")).byPath.inc("/login", 2);
 * assert.deepEqual(getStats("/web")?.byPath, { "/login": 3 });
 * ```
 */
export function IntDictSumAggregationStat<N extends string>(
  name: N,
): StatSpec<N, Readonly<Record<string, number>>> {
  return statSpec(
    "IntDictSumAggregationStat",
    "counterDict",
    name,
    (context) => new IntDictSumCell(name, context),
  );
}
