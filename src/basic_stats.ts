/**
 * Single-value stats: gauges ({@linkcode Stat}), integer counters
 * ({@linkcode IntStat}) and floating-point values ({@linkcode DoubleStat}).
 *
 * @module
 */

import { describeValue } from "./log.ts";
import { joinPath } from "./path.ts";
import {
  type Aggregator,
  type CellContext,
  notifyAggregators,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatSpec,
  statSpec,
} from "./stat.ts";

/** A value a gauge can hold. */
export type GaugeValue = string | number | boolean | null;

class GaugeCell<T extends GaugeValue> implements StatCell<T> {
  readonly type = "Stat";
  readonly kind: StatKind = "gauge";
  aggregators: Aggregator[] | null = null;
  #value: T | (() => T);
  readonly #path: string;

  constructor(readonly name: string, context: CellContext, initial: T | (() => T)) {
    this.#path = context.path;
    this.#value = initial;
  }

  /** The value aggregators see: a function gauge feeds none (they cannot observe its changes). */
  get stored(): T | undefined {
    return typeof this.#value === "function" ? undefined : this.#value;
  }

  get(): T {
    const value = this.#value;
    return typeof value === "function" ? value() : value;
  }

  set(value: unknown): void {
    if (
      value !== null && typeof value !== "string" && typeof value !== "number" &&
      typeof value !== "boolean" && typeof value !== "function"
    ) {
      throw new TypeError(
        `Stat ${
          joinPath(this.#path, this.name)
        } takes a string, number, boolean, null or function, got ${describeValue(value)}`,
      );
    }
    const old = this.stored;
    this.#value = value as T | (() => T);
    if (this.aggregators !== null) notifyAggregators(this.aggregators, undefined, old, this.stored);
  }

  snapshot(): SnapshotValue {
    const value = this.get();
    if (
      value === null || typeof value === "string" || typeof value === "number" ||
      typeof value === "boolean"
    ) return value;
    throw new TypeError(`gauge function returned ${describeValue(value)}`);
  }
}

/**
 * A gauge: a value that is set, or a function evaluated on every read and
 * snapshot. Values may be strings, numbers, booleans or `null`. A gauge
 * function that throws shows as an error marker in snapshots, without
 * affecting any other stat.
 *
 * @example
 * ```ts
 * import { collection, getStats, reset, Stat } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/app", Stat("mode", "starting"), Stat("answer", () => 42));
 * STATS.mode = "serving";
 * assert.deepEqual(getStats(), { app: { mode: "serving", answer: 42 } });
 * ```
 */
export function Stat<N extends string>(
  name: N,
  initial: string | (() => string),
): StatSpec<N, string>;
/** A gauge holding numbers, or a function returning one. */
export function Stat<N extends string>(
  name: N,
  initial: number | (() => number),
): StatSpec<N, number>;
/** A gauge holding booleans, or a function returning one. */
export function Stat<N extends string>(
  name: N,
  initial: boolean | (() => boolean),
): StatSpec<N, boolean>;
/** A gauge of any {@linkcode GaugeValue} type, `null` until set. */
export function Stat<N extends string, T extends GaugeValue = GaugeValue>(
  name: N,
  initial?: T | (() => T),
): StatSpec<N, T>;
export function Stat<N extends string, T extends GaugeValue = GaugeValue>(
  name: N,
  initial?: T | (() => T),
): StatSpec<N, T> {
  const start = (initial === undefined ? null : initial) as T | (() => T);
  return statSpec("Stat", "gauge", name, (context) => new GaugeCell<T>(name, context, start));
}

abstract class NumberCell implements StatCell<number> {
  abstract readonly type: string;
  abstract readonly kind: StatKind;
  aggregators: Aggregator[] | null = null;
  value: number;
  readonly path: string;

  constructor(readonly name: string, context: CellContext, initial: number) {
    this.path = context.path;
    this.value = initial;
  }

  get stored(): number {
    return this.value;
  }

  get(): number {
    return this.value;
  }

  abstract set(value: unknown): void;

  protected reject(value: unknown, expected: string): never {
    throw new TypeError(
      `${this.type} ${joinPath(this.path, this.name)} takes ${expected}, got ${
        describeValue(value)
      }`,
    );
  }

  snapshot(): SnapshotValue {
    return this.value;
  }
}

class IntCell extends NumberCell {
  readonly type = "IntStat";
  readonly kind: StatKind = "counter";

  set(value: unknown): void {
    if (!Number.isInteger(value)) this.reject(value, "an integer");
    const old = this.value;
    this.value = value as number;
    if (this.aggregators !== null) notifyAggregators(this.aggregators, undefined, old, value);
  }
}

class DoubleCell extends NumberCell {
  readonly type = "DoubleStat";
  readonly kind: StatKind = "gauge";

  set(value: unknown): void {
    if (typeof value !== "number" || value !== value) this.reject(value, "a number (not NaN)");
    const old = this.value;
    this.value = value;
    if (this.aggregators !== null) notifyAggregators(this.aggregators, undefined, old, value);
  }
}

/**
 * An integer stat, usually a counter: `STATS.errors += 1`. Assigning
 * anything but an integer throws a `TypeError` naming the stat and the value.
 *
 * @example
 * ```ts
 * import { collection, getStats, IntStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", IntStat("errors"), IntStat("success"));
 * STATS.success += 1;
 * assert.deepEqual(getStats(), { web: { errors: 0, success: 1 } });
 * ```
 */
export function IntStat<N extends string>(name: N, initial = 0): StatSpec<N, number> {
  if (!Number.isInteger(initial)) {
    throw new TypeError(
      `IntStat ${JSON.stringify(name)} initial value must be an integer, got ${
        describeValue(initial)
      }`,
    );
  }
  return statSpec("IntStat", "counter", name, (context) => new IntCell(name, context, initial));
}

/**
 * A floating-point stat: `STATS.load = 0.75`. Assigning a non-number or
 * `NaN` throws a `TypeError` naming the stat and the value.
 *
 * @example
 * ```ts
 * import { collection, DoubleStat, getStats, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/cache", DoubleStat("hitRatio"));
 * STATS.hitRatio = 0.75;
 * assert.deepEqual(getStats(), { cache: { hitRatio: 0.75 } });
 * ```
 */
export function DoubleStat<N extends string>(name: N, initial = 0): StatSpec<N, number> {
  if (typeof initial !== "number" || Number.isNaN(initial)) {
    throw new TypeError(
      `DoubleStat ${JSON.stringify(name)} initial value must be a number, got ${
        describeValue(initial)
      }`,
    );
  }
  return statSpec("DoubleStat", "gauge", name, (context) => new DoubleCell(name, context, initial));
}
