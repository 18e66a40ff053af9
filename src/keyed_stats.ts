/**
 * Dicts of distributions and meters, made on first use of a key:
 * {@linkcode NamedPmfDictStat} and {@linkcode MeterDictStat}. Capped in keys
 * like the other dict stats.
 *
 * @module
 */

import { checkMaxKeys, type DictStatOptions, OVERFLOW_KEY, warnKeyCap } from "./dict_stats.ts";
import type { ExponentialHistogramData } from "./exponential_histogram.ts";
import { describeValue } from "./log.ts";
import { Meter } from "./meter.ts";
import { joinPath } from "./path.ts";
import { Pmf, type PmfOptions } from "./pmf.ts";
import {
  type Aggregator,
  type CellContext,
  setSnapshotKey,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatSpec,
  statSpec,
} from "./stat.ts";

/**
 * What a `NamedPmfDictStat` property reads as: a `Pmf` per key, made on first
 * use. Reading the keys `then` and `toJSON` (which `await` and
 * `JSON.stringify` probe) makes nothing; assign to them to create them.
 */
export type PmfDict = Record<string, Pmf>;

/**
 * What a `MeterDictStat` property reads as: a `Meter` per key, made on first
 * use. Reading the keys `then` and `toJSON` (which `await` and
 * `JSON.stringify` probe) makes nothing; assign to them to create them.
 */
export type MeterDict = Record<string, Meter>;

class KeyedCell<T extends Pmf | Meter> implements StatCell<Record<string, T>> {
  aggregators: Aggregator[] | null = null;
  readonly entries: Map<string, T> = new Map();
  readonly view: Record<string, T>;
  readonly #where: string;
  #warned = false;

  constructor(
    readonly name: string,
    readonly type: string,
    readonly kind: StatKind,
    context: CellContext,
    readonly maxKeys: number,
    readonly make: (where: string) => T,
    readonly record: (item: T, value: unknown) => void,
  ) {
    this.#where = joinPath(context.path, name);
    this.view = new Proxy({} as Record<string, T>, {
      get: (target, key) => {
        if (typeof key === "symbol") return Reflect.get(target, key);
        // Probes by `await`/`return` and `JSON.stringify` must not make entries.
        if (key === "then" || key === "toJSON") return this.entries.get(key);
        return this.entry(key);
      },
      set: (_target, key, value) => {
        if (typeof key === "symbol") return false;
        this.record(this.entry(key), value);
        return true;
      },
      has: (_target, key) => typeof key === "string" && this.entries.has(key),
      ownKeys: () => [...this.entries.keys()],
      getOwnPropertyDescriptor: (_target, key) => {
        const value = typeof key === "string" ? this.entries.get(key) : undefined;
        return value === undefined
          ? undefined
          : { value, writable: true, enumerable: true, configurable: true };
      },
    });
  }

  entry(key: string): T {
    let item = this.entries.get(key);
    if (item === undefined) {
      if (this.entries.size >= this.maxKeys && key !== OVERFLOW_KEY) {
        if (!this.#warned) {
          this.#warned = true;
          warnKeyCap(this.#where, this.maxKeys);
        }
        return this.entry(OVERFLOW_KEY);
      }
      item = this.make(`${this.type} ${this.#where}[${JSON.stringify(key)}]`);
      this.entries.set(key, item);
    }
    return item;
  }

  get(): Record<string, T> {
    return this.view;
  }

  set(value: unknown): void {
    throw new TypeError(
      `${this.type} ${this.#where} cannot be replaced; use its keys instead, got ${
        describeValue(value)
      }`,
    );
  }

  /** The all-time buckets of the distribution under `key` (none for meters). */
  histogram(labelValues?: readonly string[]): ExponentialHistogramData | undefined {
    const key = labelValues?.[0];
    const item = key === undefined ? undefined : this.entries.get(key);
    return item instanceof Pmf ? item.exponentialHistogram() : undefined;
  }

  snapshot(): SnapshotValue {
    const out: Record<string, SnapshotValue> = {};
    for (const [key, item] of this.entries) setSnapshotKey(out, key, { ...item.snapshot() });
    return out;
  }
}

/**
 * The default cap on distinct keys of a {@linkcode NamedPmfDictStat}: 1,000,
 * lower than other dicts' because a busy distribution holds about 15 KB (a
 * counter one byte per bucket when quiet), so 1,000 busy keys plus the
 * overflow key hold about 15 MB.
 */
export const DEFAULT_PMF_DICT_MAX_KEYS = 1_000;

/**
 * A `Pmf` per key, made on first use: `STATS.byEndpoint["/login"].add(ms)`,
 * `STATS.byEndpoint[path].time()`, or `STATS.byEndpoint["/login"] = ms`.
 * At most `maxKeys` keys (default 1,000, {@linkcode DEFAULT_PMF_DICT_MAX_KEYS});
 * later new keys share `"(other)"`, and one warning is logged.
 *
 * @example
 * ```ts
 * import { collection, getStats, NamedPmfDictStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", NamedPmfDictStat("byEndpoint"));
 * STATS.byEndpoint["/login"].add(12);
 * STATS.byEndpoint["/login"].add(30);
 * const login = (getStats("/web")?.byEndpoint as Record<string, { count: number }>)["/login"];
 * assert.deepEqual(login?.count, 2);
 * ```
 */
export function NamedPmfDictStat<N extends string>(
  name: N,
  options: DictStatOptions & PmfOptions = {},
): StatSpec<N, PmfDict> {
  const maxKeys = checkMaxKeys(name, options, DEFAULT_PMF_DICT_MAX_KEYS);
  new Pmf(options, `NamedPmfDictStat ${JSON.stringify(name)}`);
  return statSpec("NamedPmfDictStat", "pmfDict", name, (context) =>
    new KeyedCell<Pmf>(
      name,
      "NamedPmfDictStat",
      "pmfDict",
      context,
      maxKeys,
      (where) => new Pmf(options, where),
      (pmf, value) => pmf.add(value as number),
    ));
}

/**
 * A `Meter` per key, made on first use: `STATS.hitsByPath[path].mark()`, or
 * `STATS.hitsByPath[path] = n` to mark `n`. Capped in keys like the other dicts.
 *
 * @example
 * ```ts
 * import { collection, getStats, MeterDictStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", MeterDictStat("hitsByPath"));
 * STATS.hitsByPath["/"].mark(3);
 * const root = (getStats("/web")?.hitsByPath as Record<string, { count: number }>)["/"];
 * assert.deepEqual(root?.count, 3);
 * ```
 */
export function MeterDictStat<N extends string>(
  name: N,
  options: DictStatOptions = {},
): StatSpec<N, MeterDict> {
  const maxKeys = checkMaxKeys(name, options);
  return statSpec("MeterDictStat", "meterDict", name, (context) =>
    new KeyedCell<Meter>(
      name,
      "MeterDictStat",
      "meterDict",
      context,
      maxKeys,
      (where) => new Meter(where),
      (meter, value) => meter.mark(value as number),
    ));
}
