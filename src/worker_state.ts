/**
 * A tree's state as plain data, for a view merged across workers: what one
 * worker sends the one that answers a view. Not snapshots: counters, dict
 * counts and meter counts as numbers, distributions as their sketches (window
 * and all-time), so the merge is exact.
 *
 * @module
 */

import { QuantileSketch, type SketchState } from "./_sketch.ts";
import { labelledEntries } from "./labelled_stats.ts";
import type { Meter } from "./meter.ts";
import { type Pmf, windowAndRetired } from "./pmf.ts";
import type { SnapshotValue, StatCell, StatKind, StatSpec, StatUnit } from "./stat.ts";
import { errorMarker, type StatNode, type StatTree } from "./tree.ts";

/** How the values of one gauge in several workers combine: one per worker (the default), or one number. */
export type GaugeMerge = "worker" | "sum" | "min" | "max";

/**
 * A distribution's state: its window, and the samples that have left it
 * (together, every sample since the distribution was made).
 */
export interface PmfState {
  /** The samples in the window. */
  readonly window: SketchState;
  /** The samples that have left the window. */
  readonly retired: SketchState;
}

/** The distribution of one combination of labels of a `LabelledPmfStat`. */
export interface LabelledPmfState {
  /** The label values, in the order of the stat's `labelNames`. */
  readonly labels: readonly string[];
  /** The distribution's sketches. */
  readonly state: PmfState;
}

/** Numbers by key, nested one level per dimension of a labelled stat. */
export type NumberTree = { readonly [key: string]: number | NumberTree };

/** Whether `value` is a number tree: numbers, or objects of number trees. */
function isNumberTree(value: SnapshotValue): boolean {
  if (typeof value === "number") return true;
  if (typeof value !== "object" || value === null) return false;
  for (const key of Object.keys(value)) if (!isNumberTree(value[key]!)) return false;
  return true;
}

/** A meter's state: its count and rates (events per second). */
export interface MeterState {
  /** Events marked. */
  readonly count: number;
  /** One-minute rate. */
  readonly m1: number;
  /** Five-minute rate. */
  readonly m5: number;
  /** Fifteen-minute rate. */
  readonly m15: number;
  /** All-time mean rate. */
  readonly mean: number;
}

/** What a stat's state says of the stat itself, whatever its kind: what exporters read. */
export interface CellHeader {
  /** The stat's name. */
  readonly name: string;
  /** Its factory, such as `"IntStat"`. */
  readonly type: string;
  /** Its kind, for exporters. */
  readonly kind: StatKind;
  /** Its Prometheus family name, when set by `withMetricName`. */
  readonly metricName?: string;
  /** The unit it records its values in, when set by `withUnit`. */
  readonly unit?: StatUnit;
  /** A labelled stat's dimension names (its value nests one level per name). */
  readonly labelNames?: readonly string[];
}

/**
 * One stat's state. `merge` says how workers combine:
 * - `add`: numbers, or dicts of numbers key by key (counters, sums, dict counts);
 * - `worker`, `sum`, `min`, `max`: gauges (see {@linkcode GaugeMerge});
 * - `pmf`, `pmfDict`, `pmfLabelled`: distributions (exact sketch merge;
 *   `pmfLabelled` combination by combination of a `LabelledPmfStat`);
 * - `meter`, `meterDict`: meters (counts and rates add);
 * - `recompute`: a `PmfAggregationStat`, recomputed over the merged tree.
 */
export type CellState =
  & CellHeader
  & (
    | { readonly merge: "add"; readonly value: number | NumberTree }
    | { readonly merge: GaugeMerge; readonly value: SnapshotValue }
    | { readonly merge: "pmf"; readonly value: PmfState }
    | { readonly merge: "pmfDict"; readonly value: Readonly<Record<string, PmfState>> }
    | { readonly merge: "pmfLabelled"; readonly value: readonly LabelledPmfState[] }
    | { readonly merge: "meter"; readonly value: MeterState }
    | { readonly merge: "meterDict"; readonly value: Readonly<Record<string, MeterState>> }
    | { readonly merge: "recompute"; readonly value: null }
  );

/** A container's state: its stats and, by name, its children. */
export interface NodeState {
  /** The container's stats, in their order. */
  readonly cells: readonly CellState[];
  /** Child containers by name. */
  readonly children: Readonly<Record<string, NodeState>>;
  /** Whether viewers show it collapsed. */
  readonly collapsed?: boolean;
}

/**
 * Sets `out[key]` as an own property, even for `"__proto__"` (keys come from
 * users): `setSnapshotKey` for any value.
 */
function setOwn<T>(out: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

const GAUGE_MERGE = new WeakMap<StatCell, GaugeMerge>();

/**
 * The same spec, whose values in several workers merge into one number
 * (`"sum"`, `"min"` or `"max"`) instead of one value per worker. For a
 * gauge (`Stat`, `DoubleStat`) whose total means something, such as open
 * connections.
 *
 * @example
 * ```ts
 * import { DoubleStat, StatTree, withWorkerMerge } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * const stats = tree.collection("/net", withWorkerMerge(DoubleStat("open"), "sum"));
 * stats.open = 3;
 * assert.deepEqual(tree.getStats(), { net: { open: 3 } });
 * ```
 */
export function withWorkerMerge<N extends string, V>(
  spec: StatSpec<N, V>,
  merge: "sum" | "min" | "max",
): StatSpec<N, V> {
  if (merge !== "sum" && merge !== "min" && merge !== "max") {
    throw new TypeError(
      `withWorkerMerge: merge must be "sum", "min" or "max", got ${JSON.stringify(merge)}`,
    );
  }
  return {
    ...spec,
    create: (context) => {
      const cell = spec.create(context);
      GAUGE_MERGE.set(cell, merge);
      return cell;
    },
  };
}

/** A meter's state, from its snapshot. */
function meterState(meter: Meter): MeterState {
  const { count, m1, m5, m15, mean } = meter.snapshot();
  return { count, m1, m5, m15, mean };
}

/** A distribution's state: copies of its sketches. */
function pmfState(pmf: Pmf): PmfState {
  const { window, retired } = windowAndRetired(pmf);
  return { window: window.state(), retired: retired.state() };
}

function keyedState<T, S>(view: Record<string, T>, state: (item: T) => S): Record<string, S> {
  const out: Record<string, S> = {};
  for (const key of Object.keys(view)) {
    setOwn(out, key, state(view[key]!));
  }
  return out;
}

/** The state of one cell. Throws what a failing gauge function throws. */
function cellState(cell: StatCell): CellState {
  const base = { name: cell.name, type: cell.type, kind: cell.kind } as const;
  const head = {
    ...base,
    ...(cell.metricName === undefined ? {} : { metricName: cell.metricName }),
    ...(cell.unit === undefined ? {} : { unit: cell.unit }),
    ...(cell.labelNames === undefined ? {} : { labelNames: cell.labelNames }),
  };
  switch (cell.type) {
    case "PmfStat":
      return { ...head, merge: "pmf", value: pmfState(cell.get() as Pmf) };
    case "PmfAggregationStat":
      return { ...head, merge: "recompute", value: null };
    case "NamedPmfDictStat":
      return {
        ...head,
        merge: "pmfDict",
        value: keyedState(cell.get() as Record<string, Pmf>, pmfState),
      };
    case "LabelledPmfStat": {
      const entries = labelledEntries(cell);
      if (entries === undefined) break;
      const value: LabelledPmfState[] = [];
      for (const [labels, pmf] of entries) value.push({ labels, state: pmfState(pmf as Pmf) });
      return { ...head, merge: "pmfLabelled", value };
    }
    case "MeterStat":
      return { ...head, merge: "meter", value: meterState(cell.get() as Meter) };
    case "MeterDictStat":
      return {
        ...head,
        merge: "meterDict",
        value: keyedState(cell.get() as Record<string, Meter>, meterState),
      };
  }
  const value = cell.snapshot();
  const merge = GAUGE_MERGE.get(cell);
  if (merge !== undefined) return { ...head, merge, value };
  const additive = cell.kind === "counter" || cell.kind === "sum" || cell.kind === "counterDict" ||
    cell.type === "StateTimeStat" || cell.type === "HistogramAggregationStat";
  if (additive && isNumberTree(value)) {
    // Counters, sums, counter dicts (labelled too), state times and value histograms add.
    return { ...head, merge: "add", value: value as number | NumberTree };
  }
  return { ...head, merge: "worker", value };
}

function nodeState(node: StatNode): NodeState {
  const cells: CellState[] = [];
  for (const cell of node.cells.values()) {
    try {
      cells.push(cellState(cell));
    } catch (error) {
      cells.push({
        name: cell.name,
        type: cell.type,
        kind: cell.kind,
        merge: "worker",
        value: errorMarker(error),
      });
    }
  }
  const children: Record<string, NodeState> = {};
  for (const [name, child] of node.children) {
    setOwn(children, name, nodeState(child));
  }
  return node.collapsed ? { cells, children, collapsed: true } : { cells, children };
}

/**
 * The state of every stat of `tree`, as plain data (JSON and
 * structured-clone safe). Never throws: a stat that fails to read is an
 * error marker shown for its worker.
 *
 * @example
 * ```ts
 * import { IntStat, StatTree, treeState } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * tree.collection("/web", IntStat("requests")).requests += 2;
 * assert.deepEqual(treeState(tree).children.web?.cells, [
 *   { name: "requests", type: "IntStat", kind: "counter", merge: "add", value: 2 },
 * ]);
 * ```
 */
export function treeState(tree: StatTree): NodeState {
  return nodeState(tree.root);
}

const EMPTY_SKETCH = new QuantileSketch().state();

/** A departed worker's distribution: every sample retired, the window empty. */
function retirePmf(state: PmfState): PmfState {
  const all = QuantileSketch.fromState(state.retired);
  all.merge(QuantileSketch.fromState(state.window));
  return { window: EMPTY_SKETCH, retired: all.state() };
}

function retireCell(cell: CellState): CellState | undefined {
  switch (cell.merge) {
    case "worker":
    case "sum":
    case "min":
    case "max":
      return undefined;
    case "pmf":
      return { ...cell, value: retirePmf(cell.value) };
    case "pmfDict": {
      const value: Record<string, PmfState> = {};
      for (const key of Object.keys(cell.value)) {
        setOwn(value, key, retirePmf(cell.value[key]!));
      }
      return { ...cell, value };
    }
    case "pmfLabelled":
      return {
        ...cell,
        value: cell.value.map(({ labels, state }) => ({ labels, state: retirePmf(state) })),
      };
    case "meter":
      return { ...cell, value: { count: cell.value.count, m1: 0, m5: 0, m15: 0, mean: 0 } };
    case "meterDict": {
      const value: Record<string, MeterState> = {};
      for (const key of Object.keys(cell.value)) {
        setOwn(value, key, { count: cell.value[key]!.count, m1: 0, m5: 0, m15: 0, mean: 0 });
      }
      return { ...cell, value };
    }
    default:
      return cell;
  }
}

/**
 * What a departed worker still contributes to the merged view: its totals
 * (counters, counts, meter counts, all-time distributions) so that nothing
 * counted goes backwards, and none of its gauges, rates or window.
 *
 * @example
 * ```ts
 * import { DoubleStat, IntStat, retiredState, StatTree, treeState } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * tree.collection("/web", IntStat("requests"), DoubleStat("load")).requests += 4;
 * assert.deepEqual(retiredState(treeState(tree)).children.web?.cells, [
 *   { name: "requests", type: "IntStat", kind: "counter", merge: "add", value: 4 },
 * ]);
 * ```
 */
export function retiredState(state: NodeState): NodeState {
  const cells: CellState[] = [];
  for (const cell of state.cells) {
    const retired = retireCell(cell);
    if (retired !== undefined) cells.push(retired);
  }
  const children: Record<string, NodeState> = {};
  for (const name of Object.keys(state.children)) {
    setOwn(children, name, retiredState(state.children[name]!));
  }
  return state.collapsed ? { cells, children, collapsed: true } : { cells, children };
}
