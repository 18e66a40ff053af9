/**
 * The contract between the stat tree and the stat types.
 *
 * A factory such as {@linkcode IntStat} returns a {@linkcode StatSpec}: a
 * declaration, not a value. When a spec is bound to a container (by
 * `collection()` or `init()`), it creates a {@linkcode StatCell}, the live
 * value that the container's accessor reads and writes. New stat types only
 * implement these two interfaces; the tree never needs to know them.
 *
 * @module
 */

import type { ExponentialHistogramData } from "./exponential_histogram.ts";
import { checkName } from "./path.ts";

/**
 * What a stat is, so that exporters (viewer, Prometheus, Graphite) can
 * present it without knowing its class.
 *
 * - `counter`: an integer that usually only grows (`IntStat`).
 * - `gauge`: a value that goes up and down, or a string or boolean (`Stat`, `DoubleStat`).
 * - `sum`: the sum of same-named stats below (`SumAggregationStat`).
 * - `counterDict`: integer counts by key (`IntDictStat`, `IntDictSumAggregationStat`).
 * - `gaugeDict`: current numbers by key (`HistogramAggregationStat`, `StateTimeStat`).
 * - `stringDict`: strings by key (`StringDictStat`).
 * - `pmf`: a distribution snapshot (`PmfStat`, `PmfAggregationStat`).
 * - `meter`: rates of an event (`MeterStat`).
 * - `pmfDict`, `meterDict`: distributions or meters by key.
 */
export type StatKind =
  | "counter"
  | "gauge"
  | "sum"
  | "counterDict"
  | "gaugeDict"
  | "stringDict"
  | "pmf"
  | "meter"
  | "pmfDict"
  | "meterDict";

/** A value that can appear in a snapshot: plain JSON. */
export type SnapshotValue =
  | string
  | number
  | boolean
  | null
  | { readonly [key: string]: SnapshotValue };

/** A plain, JSON-ready snapshot of a container: stat names and child names to values. */
export type Snapshot = { [name: string]: SnapshotValue };

/**
 * The live side of an aggregation stat: it receives the values of the
 * same-named stats below its container.
 */
export interface Aggregator {
  /** Whether a stat of this kind can feed this aggregator. */
  accepts(cell: StatCell): boolean;
  /** A stat starts feeding the aggregator: fold in its current value. */
  attach(cell: StatCell): void;
  /** A stat stops feeding the aggregator: take out its current value. */
  detach(cell: StatCell): void;
  /**
   * A fed stat changed from `oldValue` to `newValue` (for dict stats, the
   * value under `key`; `undefined` means absent).
   */
  changed(key: string | undefined, oldValue: unknown, newValue: unknown): void;
}

/** The live value of one stat inside one container. */
export interface StatCell<V = unknown> {
  /** The stat's name within its container. */
  readonly name: string;
  /** The factory that declared it, such as `"IntStat"`. */
  readonly type: string;
  /** What the stat is, for exporters. */
  readonly kind: StatKind;
  /**
   * Aggregators this stat feeds, or `null` when none do (the usual case; the
   * hot path checks this once and does nothing else).
   */
  aggregators: Aggregator[] | null;
  /**
   * The value aggregators see: a number or string for single-value stats
   * (`undefined` when there is none), a `ReadonlyMap` of key to value for
   * dict stats, the stat itself for distributions.
   */
  readonly stored?: unknown;
  /**
   * The Prometheus metric family to export this stat as, in place of the
   * name built from its path (e.g. `nodejs_heap_size_used_bytes`). Set by
   * {@linkcode withMetricName}.
   */
  metricName?: string;
  /**
   * The unit the stat records its values in, set by {@linkcode withUnit}.
   * The exposition model converts to the base unit once (milliseconds to
   * seconds), so Prometheus and Graphite get seconds while snapshots, JSON
   * and the viewer keep the recorded values.
   */
  unit?: StatUnit;
  /**
   * The dimension names of a labelled stat (its snapshot nests one level per
   * name), such as `["method", "route"]`; absent for a dict stat, whose one
   * dimension is `key`.
   */
  readonly labelNames?: readonly string[];
  /**
   * Present on distribution stats that keep all-time exponential buckets:
   * the cumulative histogram (of the entry with these label values for a
   * `pmfDict`: its key, or a labelled stat's combination), or `undefined`
   * when there is none. Exporters that send buckets (Prometheus native
   * histograms, OpenTelemetry) read it; the others use the snapshot. May
   * throw, like `snapshot()`.
   */
  histogram?(labelValues?: readonly string[]): ExponentialHistogramData | undefined;
  /** Present on aggregation stats: the aggregator that gathers from below. */
  readonly aggregator?: Aggregator;
  /** What `container.name` reads. */
  get(): V;
  /** What `container.name = value` does. Throws `TypeError` for a value of the wrong type. */
  set(value: unknown): void;
  /** A JSON-ready copy of the current value. May throw (a failing gauge function). */
  snapshot(): SnapshotValue;
}

/** Where a cell lives: the full path of its container, for error messages. */
export interface CellContext {
  /** The container's path, such as `/web`. */
  readonly path: string;
}

/**
 * A stat declaration: a name, and a way to make the live cell.
 *
 * `N` is the name as a literal type and `V` the type the container property
 * reads as, which is how `collection()` produces a typed object.
 */
export interface StatSpec<N extends string = string, V = unknown> {
  /** The stat's name: non-empty and without `/`. */
  readonly name: N;
  /** The factory that declared it, such as `"IntStat"`. */
  readonly type: string;
  /** What the stat is, for exporters. */
  readonly kind: StatKind;
  /** Makes the live cell for a container. Called once per container. */
  create(context: CellContext): StatCell<V>;
}

/**
 * Makes a spec: checks the name (non-empty, no `/`) and bundles the rest.
 * Every factory goes through here.
 */
export function statSpec<N extends string, V>(
  type: string,
  kind: StatKind,
  name: N,
  create: (context: CellContext) => StatCell<V>,
): StatSpec<N, V> {
  checkName(name, type);
  return { name, type, kind, create };
}

/**
 * The same spec, exported to Prometheus under `metricName` (a valid metric
 * name, `[a-zA-Z_:][a-zA-Z0-9_:]*`) instead of the name built from its path.
 * Runtime stats use it to land on the conventional `nodejs_*` names.
 *
 * @example
 * ```ts
 * import { collection, findNode, IntStat, reset, withMetricName } from "@scales/core";
 * import { toPrometheusText } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", withMetricName(IntStat("errors"), "http_errors"));
 * assert.deepEqual(toPrometheusText(findNode("/")!).includes("http_errors_total 0"), true);
 * ```
 */
export function withMetricName<N extends string, V>(
  spec: StatSpec<N, V>,
  metricName: string,
): StatSpec<N, V> {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metricName)) {
    throw new TypeError(
      `metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*, got ${JSON.stringify(metricName)}`,
    );
  }
  return {
    ...spec,
    create: (context) => {
      const cell = spec.create(context);
      cell.metricName = metricName;
      return cell;
    },
  };
}

/**
 * The units a stat can declare with {@linkcode withUnit}: `milliseconds`
 * (exported as seconds), `seconds`, `bytes`.
 */
export type StatUnit = "milliseconds" | "seconds" | "bytes";

const UNITS: ReadonlySet<string> = new Set(["milliseconds", "seconds", "bytes"]);

/**
 * The same spec, recording its values in `unit`. The exposition model
 * converts to the base unit (milliseconds become seconds) for every format
 * it feeds (Prometheus, Graphite), so the conversion is defined once;
 * snapshots, JSON and the viewer show the values as recorded.
 *
 * @example
 * ```ts
 * import { metricFamilies, PmfStat, StatTree, withUnit } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * tree.collection("/web", withUnit(PmfStat("latency"), "milliseconds")).latency.add(250);
 * const [family] = metricFamilies(tree.findNode("/web")!);
 * assert.deepEqual(family.unit, "seconds");
 * assert.deepEqual(family.kind === "distribution" && family.points[0].value.summary.sum, 0.25);
 * ```
 */
export function withUnit<N extends string, V>(
  spec: StatSpec<N, V>,
  unit: StatUnit,
): StatSpec<N, V> {
  if (!UNITS.has(unit)) {
    throw new TypeError(
      `unit must be "milliseconds", "seconds" or "bytes", got ${JSON.stringify(unit)}`,
    );
  }
  return {
    ...spec,
    create: (context) => {
      const cell = spec.create(context);
      cell.unit = unit;
      return cell;
    },
  };
}

/**
 * Sets `out[key] = value` as an own property even for the key `"__proto__"`,
 * which a plain assignment would take as the object's prototype (on Node),
 * dropping the key from the snapshot. Dict keys come from users and attackers
 * (request paths), so every snapshot builder uses this.
 */
export function setSnapshotKey(
  out: Record<string, SnapshotValue>,
  key: string,
  value: SnapshotValue,
): void {
  if (key === "__proto__") {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else out[key] = value;
}

/**
 * `snapshot[key]` when it is the snapshot's own entry, else `undefined`.
 * Stat names and dict keys are chosen by users (and attackers): a plain
 * `snapshot[key]` would find `Object.prototype`'s `toString`,
 * `constructor`, `valueOf`, … for a key that is not there. Every reader of a
 * snapshot by a name from elsewhere uses this.
 */
export function ownSnapshotValue(
  snapshot: { readonly [key: string]: SnapshotValue },
  key: string,
): SnapshotValue | undefined {
  return Object.hasOwn(snapshot, key) ? snapshot[key] : undefined;
}

/** The property type a spec gives its container. */
export type StatValueOf<S> = S extends StatSpec<string, infer V> ? V : never;

/** Tells every aggregator a fed stat changed. Called only when `aggregators` is not `null`. */
export function notifyAggregators(
  aggregators: readonly Aggregator[],
  key: string | undefined,
  oldValue: unknown,
  newValue: unknown,
): void {
  for (const aggregator of aggregators) aggregator.changed(key, oldValue, newValue);
}
