/**
 * Stats keyed by an open set of strings: counts by request path
 * ({@linkcode IntDictStat}) and strings by key ({@linkcode StringDictStat}).
 * Both are capped in their number of keys so that a flood of unique keys
 * cannot grow the heap without bound.
 *
 * @module
 */

import { describeValue, log } from "./log.ts";
import { joinPath } from "./path.ts";
import {
  type Aggregator,
  type CellContext,
  notifyAggregators,
  setSnapshotKey,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatSpec,
  statSpec,
} from "./stat.ts";

/** The key that counts everything past a dict's key cap. */
export const OVERFLOW_KEY = "(other)";

/** The default cap on distinct keys of a dict stat. */
export const DEFAULT_MAX_KEYS = 10_000;

/** Options of the dict stats. */
export interface DictStatOptions {
  /**
   * How many distinct keys the dict keeps (default 10,000). Past the cap,
   * new keys are counted under {@linkcode OVERFLOW_KEY} and one warning is logged.
   */
  readonly maxKeys?: number;
}

/** Options of {@linkcode IntDictStat} and `HistogramAggregationStat`. */
export interface AutoDeleteOptions extends DictStatOptions {
  /**
   * Leave a key out of snapshots (and so out of every export) while its
   * count is 0. Default `false`: a count that falls to 0 is reported as 0,
   * so a graph of it falls to 0 instead of stopping at its last value.
   */
  readonly autoDelete?: boolean;
}

/** The validated `autoDelete` option. */
export function checkAutoDelete(name: string, options: AutoDeleteOptions | undefined): boolean {
  const autoDelete = options?.autoDelete ?? false;
  if (typeof autoDelete !== "boolean") {
    throw new TypeError(
      `stat ${JSON.stringify(name)}: autoDelete must be a boolean, got ${
        describeValue(autoDelete)
      }`,
    );
  }
  return autoDelete;
}

/** Methods of an {@linkcode IntDict}, beside its keys. */
export interface IntDictMethods {
  /** Adds `n` (default 1) to `key`'s count: the fast form of `dict[key] += n`. */
  inc(key: string, n?: number): void;
}

/**
 * What an `IntDictStat` property reads as: counts by key, `0` for unseen
 * keys, so `dict[key] += 1` just works. The key `inc` is shadowed by the
 * method; use `dict.inc(key)` to count any key. Keys are own enumerable
 * properties once seen (`Object.keys` lists them) and cannot be deleted.
 */
export type IntDict = Record<string, number> & IntDictMethods;

/** What a `StringDictStat` property reads as: strings by key, `""` for unseen keys. */
export type StringDict = Record<string, string>;

/** The validated key cap of a dict stat's options (`fallback` when they set none). */
export function checkMaxKeys(
  name: string,
  options: DictStatOptions | undefined,
  fallback: number = DEFAULT_MAX_KEYS,
): number {
  const maxKeys = options?.maxKeys ?? fallback;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new TypeError(
      `dict stat ${JSON.stringify(name)}: maxKeys must be a positive integer, got ${
        describeValue(maxKeys)
      }`,
    );
  }
  return maxKeys;
}

/** Logs that the dict stat at `path` reached its key cap. */
export function warnKeyCap(path: string, maxKeys: number): void {
  log(
    `dict stat ${path} reached its cap of ${maxKeys} keys; further new keys count under "${OVERFLOW_KEY}"`,
  );
}

/** A boxed entry, so that counting an existing key is one map lookup. */
interface Entry<T> {
  /** The key it is stored under (the overflow key for keys past the cap). */
  readonly k: string;
  v: T;
}

/**
 * The live side of a dict stat. Its view (what the collection property
 * reads as) is an object whose prototype is a Proxy: a key seen before is an
 * own accessor property of the view (fast, validated, reported to
 * aggregators), and only unseen keys reach the Proxy, which reads them as the
 * missing value and creates them on write.
 */
abstract class DictCell<T extends string | number> {
  abstract readonly type: string;
  abstract readonly kind: StatKind;
  aggregators: Aggregator[] | null = null;
  readonly entries: Map<string, Entry<T>> = new Map();
  readonly view: Record<string, T>;
  #warned = false;

  constructor(
    readonly name: string,
    readonly path: string,
    readonly maxKeys: number,
    readonly missing: T,
  ) {
    const unseen = new Proxy(Object.create(null) as Record<string, T>, {
      get: (_target, key) => typeof key === "symbol" ? undefined : this.read(key),
      set: (_target, key, value) => {
        if (typeof key === "symbol") return false;
        this.write(key, value);
        return true;
      },
      has: (_target, key) => typeof key === "string" && this.entries.has(key),
    });
    this.view = Object.create(unseen);
  }

  get stored(): ReadonlyMap<string, T> {
    const out = new Map<string, T>();
    for (const [key, entry] of this.entries) out.set(key, entry.v);
    return out;
  }

  /** The entry for `key`, created (or redirected to the overflow key) when new. */
  entry(key: string): Entry<T> {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= this.maxKeys && key !== OVERFLOW_KEY) {
        if (!this.#warned) {
          this.#warned = true;
          warnKeyCap(joinPath(this.path, this.name), this.maxKeys);
        }
        return this.entry(OVERFLOW_KEY);
      }
      const created: Entry<T> = { k: key, v: this.missing };
      entry = created;
      this.entries.set(key, created);
      if (!Object.hasOwn(this.view, key)) {
        Object.defineProperty(this.view, key, {
          get: () => created.v,
          set: (value: unknown) => this.assign(created, value),
          enumerable: true,
          configurable: false,
        });
      }
    }
    return entry;
  }

  read(key: string): T {
    return this.entries.get(key)?.v ?? this.missing;
  }

  abstract check(key: string, value: unknown): T;

  /**
   * What a write of `value` to a new key past the cap leaves in the overflow
   * entry holding `current`: the last string, or the count plus the new count.
   */
  abstract overflow(current: T, value: T): T;

  /** Sets an existing entry. */
  assign(entry: Entry<T>, value: unknown): void {
    const checked = this.check(entry.k, value);
    const old = entry.v;
    entry.v = checked;
    if (this.aggregators !== null) notifyAggregators(this.aggregators, entry.k, old, checked);
  }

  /** Sets a key that has no accessor yet: a new key, or one past the cap. */
  write(key: string, value: unknown): void {
    let checked = this.check(key, value);
    const entry = this.entry(key);
    if (entry.k !== key) checked = this.overflow(entry.v, checked);
    this.assign(entry, checked);
  }

  snapshot(): SnapshotValue {
    const out: Record<string, T> = {};
    for (const [key, entry] of this.entries) setSnapshotKey(out, key, entry.v);
    return out;
  }

  set(value: unknown): void {
    throw new TypeError(
      `${this.type} ${joinPath(this.path, this.name)} cannot be replaced; ` +
        `set its keys instead, got ${describeValue(value)}`,
    );
  }
}

class IntDictCell extends DictCell<number> implements StatCell<IntDict> {
  readonly type = "IntDictStat";
  readonly kind: StatKind = "counterDict";
  readonly #inc = (key: string, n = 1): void => {
    if (!Number.isInteger(n)) {
      throw new TypeError(
        `IntDictStat ${joinPath(this.path, this.name)}.inc takes an integer, got ${
          describeValue(n)
        }`,
      );
    }
    // A number key from untyped code (`inc(res.status)`) is the same key as its string form.
    const entry = this.entries.get(key) ?? this.entry(String(key));
    const old = entry.v;
    entry.v = old + n;
    if (this.aggregators !== null) notifyAggregators(this.aggregators, entry.k, old, old + n);
  };

  constructor(
    name: string,
    context: CellContext,
    maxKeys: number,
    readonly autoDelete: boolean,
  ) {
    super(name, context.path, maxKeys, 0);
    Object.defineProperty(this.view, "inc", { value: this.#inc });
  }

  override snapshot(): SnapshotValue {
    if (!this.autoDelete) return super.snapshot();
    const out: Record<string, number> = {};
    for (const [key, entry] of this.entries) if (entry.v !== 0) setSnapshotKey(out, key, entry.v);
    return out;
  }

  overflow(current: number, value: number): number {
    return current + value;
  }

  check(key: string, value: unknown): number {
    if (!Number.isInteger(value)) {
      throw new TypeError(
        `IntDictStat ${joinPath(this.path, this.name)}[${
          JSON.stringify(key)
        }] takes an integer, got ${describeValue(value)}`,
      );
    }
    return value as number;
  }

  get(): IntDict {
    return this.view as IntDict;
  }
}

class StringDictCell extends DictCell<string> implements StatCell<StringDict> {
  readonly type = "StringDictStat";
  readonly kind: StatKind = "stringDict";

  constructor(name: string, context: CellContext, maxKeys: number) {
    super(name, context.path, maxKeys, "");
  }

  overflow(_current: string, value: string): string {
    return value;
  }

  check(key: string, value: unknown): string {
    if (typeof value !== "string") {
      throw new TypeError(
        `StringDictStat ${joinPath(this.path, this.name)}[${
          JSON.stringify(key)
        }] takes a string, got ${describeValue(value)}`,
      );
    }
    return value;
  }

  get(): StringDict {
    return this.view;
  }
}

/**
 * Integer counts by key, `0` for unseen keys: `STATS.byPath[path] += 1`, or
 * the faster `STATS.byPath.inc(path)`. At most `maxKeys` distinct keys
 * (default 10,000) are kept; later new keys count under `"(other)"`. With
 * `{ autoDelete: true }`, keys whose count is 0 are left out of snapshots.
 *
 * @example
 * ```ts
 * import { collection, getStats, IntDictStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", IntDictStat("byPath"));
 * STATS.byPath["/login"] += 1;
 * STATS.byPath.inc("/login");
 * STATS.byPath.inc("/", 3);
 * assert.deepEqual(getStats(), { web: { byPath: { "/login": 2, "/": 3 } } });
 * ```
 */
export function IntDictStat<N extends string>(
  name: N,
  options?: AutoDeleteOptions,
): StatSpec<N, IntDict> {
  const maxKeys = checkMaxKeys(name, options);
  const autoDelete = checkAutoDelete(name, options);
  return statSpec(
    "IntDictStat",
    "counterDict",
    name,
    (context) => new IntDictCell(name, context, maxKeys, autoDelete),
  );
}

/**
 * Strings by key, `""` for unseen keys: `STATS.owner[shard] = "host-3"`.
 * Capped in keys like {@linkcode IntDictStat}.
 *
 * @example
 * ```ts
 * import { collection, getStats, reset, StringDictStat } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/cluster", StringDictStat("leader"));
 * STATS.leader["shard-1"] = "host-3";
 * assert.deepEqual(getStats(), { cluster: { leader: { "shard-1": "host-3" } } });
 * ```
 */
export function StringDictStat<N extends string>(
  name: N,
  options?: DictStatOptions,
): StatSpec<N, StringDict> {
  const maxKeys = checkMaxKeys(name, options);
  return statSpec(
    "StringDictStat",
    "stringDict",
    name,
    (context) => new StringDictCell(name, context, maxKeys),
  );
}
