/**
 * Stats keyed by several named dimensions (labels), such as request
 * durations by method, route and status: {@linkcode LabelledCounterStat},
 * {@linkcode LabelledGaugeStat} and {@linkcode LabelledPmfStat}.
 *
 * A labelled stat is a dict stat with more than one key: its snapshot nests
 * one level per dimension (`{ GET: { "/users/:id": { "200": … } } }`), and
 * its cell carries the dimension names (`labelNames`), which the exposition
 * model gives to Prometheus as label names and to Graphite as one path
 * segment per dimension. The key cap counts combinations: past `maxKeys`,
 * every new combination shares one overflow entry whose every dimension is
 * `"(other)"`.
 *
 * @module
 */

import { checkMaxKeys, type DictStatOptions, OVERFLOW_KEY, warnKeyCap } from "./dict_stats.ts";
import { describeValue } from "./log.ts";
import { joinPath } from "./path.ts";
import type { ExponentialHistogramData } from "./exponential_histogram.ts";
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

/** The values of one combination, one string per label name. */
export type LabelValues<L extends readonly string[]> = { [K in keyof L]: string };

/**
 * What a labelled stat property reads as: `labels(...values)` gives the
 * entry of one combination (made on first use), such as
 * `STATS.duration.labels("GET", "/users/:id", "200").add(ms)`.
 */
export interface Labelled<T, L extends readonly string[] = readonly string[]> {
  /** The dimension names, in order. */
  readonly labelNames: L;
  /**
   * The entry of the combination `values` (one per label name, in order),
   * made on first use; past the key cap, the shared overflow entry.
   * Throws a `TypeError` when the number of values is not the number of
   * labels.
   */
  labels(...values: LabelValues<L>): T;
  /** How many combinations exist, the overflow entry included. */
  readonly size: number;
}

/** A count by label combination: what `LabelledCounterStat` entries are. */
export class Counter {
  /** The count. */
  value = 0;

  /**
   * Adds `n` (default 1).
   *
   * @example
   * ```ts
   * import { Counter } from "@scales/core";
   * import assert from "node:assert/strict";
   * const c = new Counter();
   * c.inc();
   * c.inc(2);
   * assert.deepEqual(c.value, 3);
   * ```
   */
  inc(n = 1): void {
    this.value += n;
  }
}

/** A number that goes up and down: what `LabelledGaugeStat` entries are. */
export class Gauge {
  /** The current value. */
  value = 0;

  /**
   * Adds `n` (negative to subtract).
   *
   * @example
   * ```ts
   * import { Gauge } from "@scales/core";
   * import assert from "node:assert/strict";
   * const g = new Gauge();
   * g.add(2);
   * g.add(-1);
   * assert.deepEqual(g.value, 1);
   * ```
   */
  add(n: number): void {
    this.value += n;
  }
}

/** Options of the labelled stats. */
export interface LabelledStatOptions extends DictStatOptions {
  /**
   * How many label combinations the stat keeps (default 10,000). Past the
   * cap, new combinations share one entry whose every value is
   * `"(other)"`, and one warning is logged.
   */
  readonly maxKeys?: number;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The validated label names of a labelled stat. */
function checkLabelNames(name: string, labelNames: readonly string[]): readonly string[] {
  if (!Array.isArray(labelNames) || labelNames.length === 0) {
    throw new TypeError(
      `labelled stat ${JSON.stringify(name)}: labelNames must be a non-empty array, got ${
        describeValue(labelNames)
      }`,
    );
  }
  const seen = new Set<string>();
  for (const label of labelNames) {
    if (typeof label !== "string" || !LABEL_NAME.test(label) || label.startsWith("__")) {
      throw new TypeError(
        `labelled stat ${JSON.stringify(name)}: a label name must match [a-zA-Z_][a-zA-Z0-9_]* ` +
          `and not start with "__", got ${describeValue(label)}`,
      );
    }
    if (seen.has(label)) {
      throw new TypeError(
        `labelled stat ${JSON.stringify(name)}: label ${JSON.stringify(label)} is given twice`,
      );
    }
    seen.add(label);
  }
  return Object.freeze([...labelNames]);
}

/** A level of the nested maps: the next level's map, or an entry at the last level. */
type Level<T> = Map<string, Level<T> | T>;

class LabelledCell<T> implements StatCell<Labelled<T>> {
  aggregators: Aggregator[] | null = null;
  readonly #root: Level<T> = new Map();
  readonly #depth: number;
  readonly #where: string;
  readonly view: Labelled<T>;
  #size = 0;
  #overflow: T | undefined;
  #warned = false;

  constructor(
    readonly name: string,
    readonly type: string,
    readonly kind: StatKind,
    readonly labelNames: readonly string[],
    context: CellContext,
    readonly maxKeys: number,
    readonly make: (where: string) => T,
    readonly read: (entry: T) => SnapshotValue,
  ) {
    this.#depth = labelNames.length;
    this.#where = joinPath(context.path, name);
    const entry = (values: readonly string[]) => this.entry(values);
    const size = () => this.#size;
    this.view = {
      labelNames,
      labels: (...values: string[]): T => entry(values),
      get size() {
        return size();
      },
    };
  }

  /** The entry of one combination, made (or redirected to the overflow entry) when new. */
  entry(values: readonly string[]): T {
    const depth = this.#depth;
    if (values.length !== depth) {
      throw new TypeError(
        `${this.type} ${this.#where} takes ${depth} label values (${
          this.labelNames.join(", ")
        }), got ${values.length}`,
      );
    }
    let level = this.#root;
    for (let i = 0; i < depth - 1; i++) {
      const next = level.get(values[i]) as Level<T> | undefined;
      if (next === undefined) return this.#create(values);
      level = next;
    }
    const found = level.get(values[depth - 1]) as T | undefined;
    return found === undefined ? this.#create(values) : found;
  }

  #create(values: readonly string[]): T {
    for (const value of values) {
      if (typeof value !== "string") {
        throw new TypeError(
          `${this.type} ${this.#where} takes string label values, got ${describeValue(value)}`,
        );
      }
    }
    if (this.#size >= this.maxKeys) {
      if (!this.#warned) {
        this.#warned = true;
        warnKeyCap(this.#where, this.maxKeys);
      }
      if (this.#overflow === undefined) {
        this.#overflow = this.#insert(new Array<string>(this.#depth).fill(OVERFLOW_KEY));
      }
      return this.#overflow;
    }
    return this.#insert(values);
  }

  #insert(values: readonly string[]): T {
    let level = this.#root;
    for (let i = 0; i < this.#depth - 1; i++) {
      let next = level.get(values[i]) as Level<T> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(values[i], next);
      }
      level = next;
    }
    const entry = this.make(
      `${this.type} ${this.#where}[${values.map((v) => JSON.stringify(v)).join(", ")}]`,
    );
    level.set(values[this.#depth - 1], entry);
    this.#size++;
    return entry;
  }

  /** The entry of one combination, or `undefined` when it has none: never creates one. */
  find(values: readonly string[]): T | undefined {
    if (values.length !== this.#depth) return undefined;
    let level: Level<T> | T | undefined = this.#root;
    for (const value of values) {
      if (!(level instanceof Map)) return undefined;
      level = (level as Level<T>).get(value);
    }
    return level as T | undefined;
  }

  /** Every combination with its entry, in the order they were made (label values copied). */
  *entries(): IterableIterator<[readonly string[], T]> {
    yield* this.#entriesOf(this.#root, []);
  }

  *#entriesOf(level: Level<T>, above: string[]): IterableIterator<[readonly string[], T]> {
    const last = above.length === this.#depth - 1;
    for (const [key, next] of level) {
      if (last) yield [[...above, key], next as T];
      else yield* this.#entriesOf(next as Level<T>, [...above, key]);
    }
  }

  /** The all-time buckets of the distribution of one combination (none for other kinds). */
  histogram(labelValues?: readonly string[]): ExponentialHistogramData | undefined {
    const entry = labelValues === undefined ? undefined : this.find(labelValues);
    return entry instanceof Pmf ? entry.exponentialHistogram() : undefined;
  }

  get(): Labelled<T> {
    return this.view;
  }

  set(value: unknown): void {
    throw new TypeError(
      `${this.type} ${this.#where} cannot be replaced; use its labels(...) instead, got ${
        describeValue(value)
      }`,
    );
  }

  snapshot(): SnapshotValue {
    return this.#snapshotLevel(this.#root, 1);
  }

  #snapshotLevel(level: Level<T>, depth: number): SnapshotValue {
    const out: Record<string, SnapshotValue> = {};
    for (const [key, next] of level) {
      setSnapshotKey(
        out,
        key,
        depth === this.#depth
          ? this.read(next as T)
          : this.#snapshotLevel(next as Level<T>, depth + 1),
      );
    }
    return out;
  }
}

/**
 * Every combination of a labelled stat's cell with its entry (for a merged
 * view across workers), or `undefined` when `cell` is not a labelled stat.
 */
export function labelledEntries(
  cell: StatCell,
): Iterable<[readonly string[], unknown]> | undefined {
  return cell instanceof LabelledCell ? cell.entries() : undefined;
}

function labelledSpec<N extends string, T>(
  type: string,
  kind: StatKind,
  name: N,
  labelNames: readonly string[],
  options: LabelledStatOptions | undefined,
  make: (where: string) => T,
  read: (entry: T) => SnapshotValue,
): StatSpec<N, Labelled<T>> {
  const maxKeys = checkMaxKeys(name, options);
  const names = checkLabelNames(name, labelNames);
  return statSpec(
    type,
    kind,
    name,
    (context) => new LabelledCell<T>(name, type, kind, names, context, maxKeys, make, read),
  );
}

/**
 * Counts by a combination of labels: `STATS.requests.labels("GET", "200").inc()`.
 * The snapshot nests one level per label; Prometheus gets a counter with
 * the label names. At most `maxKeys` combinations (default 10,000); past
 * it, new combinations count under `"(other)"` in every label.
 *
 * @example
 * ```ts
 * import { LabelledCounterStat, StatTree } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * const STATS = tree.collection("/web", LabelledCounterStat("requests", ["method", "status"]));
 * STATS.requests.labels("GET", "200").inc();
 * STATS.requests.labels("GET", "404").inc(2);
 * assert.deepEqual(tree.getStats(), { web: { requests: { GET: { "200": 1, "404": 2 } } } });
 * ```
 */
export function LabelledCounterStat<N extends string, const L extends readonly string[]>(
  name: N,
  labelNames: L,
  options?: LabelledStatOptions,
): StatSpec<N, Labelled<Counter, L>> {
  return labelledSpec(
    "LabelledCounterStat",
    "counterDict",
    name,
    labelNames,
    options,
    () => new Counter(),
    (c) => c.value,
  ) as StatSpec<N, Labelled<Counter, L>>;
}

/**
 * Current numbers by a combination of labels, such as requests in flight
 * by method: `STATS.active.labels("GET").add(1)`. Capped like
 * {@linkcode LabelledCounterStat}.
 *
 * @example
 * ```ts
 * import { LabelledGaugeStat, StatTree } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * const STATS = tree.collection("/web", LabelledGaugeStat("active", ["method"]));
 * STATS.active.labels("GET").add(2);
 * STATS.active.labels("GET").add(-1);
 * assert.deepEqual(tree.getStats(), { web: { active: { GET: 1 } } });
 * ```
 */
export function LabelledGaugeStat<N extends string, const L extends readonly string[]>(
  name: N,
  labelNames: L,
  options?: LabelledStatOptions,
): StatSpec<N, Labelled<Gauge, L>> {
  return labelledSpec(
    "LabelledGaugeStat",
    "gaugeDict",
    name,
    labelNames,
    options,
    () => new Gauge(),
    (g) => g.value,
  ) as StatSpec<N, Labelled<Gauge, L>>;
}

/**
 * A distribution (a `Pmf`) per combination of labels:
 * `STATS.duration.labels("GET", "/users/:id", "200").add(ms)`. Capped like
 * {@linkcode LabelledCounterStat}; each entry is a full `Pmf` (a few KB), so
 * keep `maxKeys` to what the labels can really take.
 *
 * @example
 * ```ts
 * import { LabelledPmfStat, StatTree } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * const STATS = tree.collection("/web", LabelledPmfStat("duration", ["route"]));
 * STATS.duration.labels("/users/:id").add(12);
 * const users = tree.getStats("/web/")?.duration as Record<string, { count: number }>;
 * assert.deepEqual(users["/users/:id"].count, 1);
 * ```
 */
export function LabelledPmfStat<N extends string, const L extends readonly string[]>(
  name: N,
  labelNames: L,
  options: LabelledStatOptions & PmfOptions = {},
): StatSpec<N, Labelled<Pmf, L>> {
  new Pmf(options, `LabelledPmfStat ${JSON.stringify(name)}`);
  return labelledSpec(
    "LabelledPmfStat",
    "pmfDict",
    name,
    labelNames,
    options,
    (where) => new Pmf(options, where),
    // A fresh object per call: no copy needed.
    (pmf) => pmf.snapshot() as unknown as SnapshotValue,
  ) as StatSpec<N, Labelled<Pmf, L>>;
}
