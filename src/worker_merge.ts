/**
 * The merge of several workers' tree states ({@linkcode treeState}) into one
 * tree that every viewer and exporter reads like any other: counters and
 * counts add, distributions merge their sketches exactly, meters add counts
 * and rates, gauges show one value per worker unless declared with
 * {@linkcode withWorkerMerge}, and `PmfAggregationStat`s are recomputed over
 * the merged distributions. Linear in the total size of the states.
 *
 * @module
 */

import { QuantileSketch } from "./_sketch.ts";
import { describeValue } from "./log.ts";
import { joinPath } from "./path.ts";
import { aggregateOf, type PmfAggregate, type PmfSketches, type PmfSnapshot } from "./pmf.ts";
import type { Aggregator, SnapshotValue, StatCell, StatKind, StatUnit } from "./stat.ts";
import { setSnapshotKey } from "./stat.ts";
import { ensureChild, type StatNode, StatTree } from "./tree.ts";
import type { ExponentialHistogramData } from "./exponential_histogram.ts";
import type {
  CellHeader,
  CellState,
  LabelledPmfState,
  MeterState,
  NodeState,
  NumberTree,
  PmfState,
} from "./worker_state.ts";

/** One worker's state, by the worker's name. */
export interface WorkerState {
  /** The worker's name, as views show it. */
  readonly worker: string;
  /** Its tree's state. */
  readonly state: NodeState;
}

/** Numbers added key by key, nested one level per dimension of a labelled stat. */
type Totals = Map<string, number | Totals>;

type Acc =
  & CellHeader
  & (
    | { readonly merge: "add"; total: number | Totals }
    | { readonly merge: "worker"; readonly values: Map<string, SnapshotValue> }
    | { readonly merge: "sum" | "min" | "max"; total: number | undefined }
    | { readonly merge: "pmf"; readonly sketches: PmfSketches }
    | { readonly merge: "pmfDict"; readonly entries: Map<string, PmfSketches> }
    | { readonly merge: "pmfLabelled"; readonly entries: Map<string, LabelledSketches> }
    | { readonly merge: "meter"; readonly meter: Rates }
    | { readonly merge: "meterDict"; readonly entries: Map<string, Rates> }
    | { readonly merge: "recompute" }
  );

/** The merged sketches of one combination of a labelled distribution. */
interface LabelledSketches {
  readonly labels: readonly string[];
  readonly sketches: PmfSketches;
}

/** The key of a combination of label values in a map (values may hold any character). */
const comboKey = (labels: readonly string[]): string => JSON.stringify(labels);

type Rates = { count: number; m1: number; m5: number; m15: number; mean: number };

interface AccNode {
  readonly cells: Map<string, Acc>;
  readonly children: Map<string, AccNode>;
  collapsed: boolean;
}

const newNode = (): AccNode => ({ cells: new Map(), children: new Map(), collapsed: false });

const emptySketches = (): PmfSketches => ({
  window: new QuantileSketch(),
  allTime: new QuantileSketch(),
});

/**
 * Folds one worker's distribution in. `allTime` holds only the retired
 * samples until {@linkcode allTimeOf} adds the window once, at the end.
 */
function mergePmf(into: PmfSketches, state: PmfState): void {
  into.window.mergeState(state.window);
  into.allTime.mergeState(state.retired);
}

/** The finished sketches of a merged distribution: all-time is retired plus window. */
function finish(sketches: PmfSketches): PmfSketches {
  const allTime = sketches.allTime.clone();
  allTime.merge(sketches.window);
  return { window: sketches.window, allTime };
}

function addRates(into: Rates, from: MeterState): void {
  into.count += from.count;
  into.m1 += from.m1;
  into.m5 += from.m5;
  into.m15 += from.m15;
  into.mean += from.mean;
}

const zeroRates = (): Rates => ({ count: 0, m1: 0, m5: 0, m15: 0, mean: 0 });

function newAcc(cell: CellState): Acc {
  const head = {
    name: cell.name,
    type: cell.type,
    kind: cell.kind,
    metricName: cell.metricName,
    unit: cell.unit,
    labelNames: cell.labelNames,
  };
  switch (cell.merge) {
    case "add":
      return { ...head, merge: "add", total: typeof cell.value === "number" ? 0 : new Map() };
    case "worker":
      return { ...head, merge: "worker", values: new Map() };
    case "sum":
    case "min":
    case "max":
      return { ...head, merge: cell.merge, total: undefined };
    case "pmf":
      return { ...head, merge: "pmf", sketches: emptySketches() };
    case "pmfDict":
      return { ...head, merge: "pmfDict", entries: new Map() };
    case "pmfLabelled":
      return { ...head, merge: "pmfLabelled", entries: new Map() };
    case "meter":
      return { ...head, merge: "meter", meter: zeroRates() };
    case "meterDict":
      return { ...head, merge: "meterDict", entries: new Map() };
    case "recompute":
      return { ...head, merge: "recompute" };
  }
}

/** Folds one worker's cell into the accumulator; a cell of another shape (another version of the code) is skipped. */
function fold(acc: Acc, cell: CellState, worker: string): void {
  if (acc.merge !== cell.merge) return;
  switch (acc.merge) {
    case "add": {
      const value = cell.value as number | NumberTree;
      if (typeof acc.total === "number") {
        if (typeof value === "number") acc.total += value;
      } else if (typeof value === "object") addTree(acc.total, value);
      return;
    }
    case "worker":
      acc.values.set(worker, cell.value as SnapshotValue);
      return;
    case "sum":
    case "min":
    case "max": {
      const value = cell.value;
      if (typeof value !== "number") return;
      if (acc.total === undefined) acc.total = value;
      else if (acc.merge === "sum") acc.total += value;
      else if (acc.merge === "min") acc.total = Math.min(acc.total, value);
      else acc.total = Math.max(acc.total, value);
      return;
    }
    case "pmf":
      mergePmf(acc.sketches, cell.value as PmfState);
      return;
    case "pmfDict": {
      const value = cell.value as Record<string, PmfState>;
      for (const key of Object.keys(value)) {
        let sketches = acc.entries.get(key);
        if (sketches === undefined) acc.entries.set(key, sketches = emptySketches());
        mergePmf(sketches, value[key]!);
      }
      return;
    }
    case "pmfLabelled": {
      for (const { labels, state } of cell.value as readonly LabelledPmfState[]) {
        const key = comboKey(labels);
        let entry = acc.entries.get(key);
        if (entry === undefined) {
          acc.entries.set(key, entry = { labels, sketches: emptySketches() });
        }
        mergePmf(entry.sketches, state);
      }
      return;
    }
    case "meter":
      addRates(acc.meter, cell.value as MeterState);
      return;
    case "meterDict": {
      const value = cell.value as Record<string, MeterState>;
      for (const key of Object.keys(value)) {
        let rates = acc.entries.get(key);
        if (rates === undefined) acc.entries.set(key, rates = zeroRates());
        addRates(rates, value[key]!);
      }
      return;
    }
    case "recompute":
      return;
  }
}

/** Adds `from` into `into`, key by key at every level. */
function addTree(into: Totals, from: NumberTree): void {
  for (const key of Object.keys(from)) {
    const value = from[key]!;
    const current = into.get(key);
    if (typeof value === "number") {
      into.set(key, (typeof current === "number" ? current : 0) + value);
    } else {
      let below = current;
      if (below === undefined || typeof below === "number") into.set(key, below = new Map());
      addTree(below, value);
    }
  }
}

/** The snapshot of totals. */
function totalsView(totals: Totals): SnapshotValue {
  return objectOf(totals, (v) => typeof v === "number" ? v : totalsView(v));
}

function foldNode(into: AccNode, state: NodeState, worker: string): void {
  if (state.collapsed) into.collapsed = true;
  for (const cell of state.cells) {
    let acc = into.cells.get(cell.name);
    if (acc === undefined) into.cells.set(cell.name, acc = newAcc(cell));
    fold(acc, cell, worker);
  }
  for (const name of Object.keys(state.children)) {
    let child = into.children.get(name);
    if (child === undefined) into.children.set(name, child = newNode());
    foldNode(child, state.children[name]!, worker);
  }
}

/** A stat of a merged tree: a value computed once, read-only. */
class MergedCell implements StatCell {
  aggregators: Aggregator[] | null = null;
  /** The dimension names: a labelled stat's, with `worker` first for a value per worker. */
  labelNames?: readonly string[];
  /** The unit the workers' stat records in (`withUnit`). */
  unit?: StatUnit;
  /** A merged distribution's all-time buckets (of one combination, for a keyed one). */
  histogram?: (labelValues?: readonly string[]) => ExponentialHistogramData | undefined;

  constructor(
    readonly name: string,
    readonly type: string,
    readonly kind: StatKind,
    readonly path: string,
    readonly value: unknown,
    readonly view: () => SnapshotValue,
    readonly metricName: string | undefined,
  ) {}

  get(): unknown {
    return this.value;
  }

  set(value: unknown): void {
    throw new TypeError(
      `${this.type} ${
        joinPath(this.path, this.name)
      } is a view merged from several workers and cannot be assigned, got ${describeValue(value)}`,
    );
  }

  snapshot(): SnapshotValue {
    return this.view();
  }
}

function objectOf<T, V extends SnapshotValue>(
  map: ReadonlyMap<string, T>,
  as: (item: T) => V,
): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [key, item] of map) setSnapshotKey(out, key, as(item));
  return out;
}

/** The snapshot fields of an aggregate, without its (non-enumerable) method. */
const plain = (aggregate: PmfAggregate): SnapshotValue => ({ ...aggregate as PmfSnapshot });

const meterView = (rates: Rates) => ({ ...rates, unit: "per second" as const });

/** Every merged distribution named `name` below `node` (not at it), merged into `into`. */
function gatherBelow(node: AccNode, name: string, into: PmfSketches): void {
  for (const child of node.children.values()) {
    const acc = child.cells.get(name);
    if (acc !== undefined && acc.merge === "pmf" && acc.type === "PmfStat") {
      into.window.merge(acc.sketches.window);
      into.allTime.merge(acc.sketches.allTime); // retired only, as here
    }
    gatherBelow(child, name, into);
  }
}

/** Sets `value` at the path `labels` of nested objects, making the levels on the way. */
function nestAt<V>(root: Record<string, unknown>, labels: readonly string[], value: V): void {
  let level = root;
  for (let i = 0; i < labels.length - 1; i++) {
    const key = labels[i]!;
    let next = Object.hasOwn(level, key) ? level[key] as Record<string, unknown> : undefined;
    if (next === undefined) setSnapshotKey(level as Record<string, SnapshotValue>, key, next = {});
    level = next;
  }
  setSnapshotKey(
    level as Record<string, SnapshotValue>,
    labels[labels.length - 1]!,
    value as SnapshotValue,
  );
}

function materialize(acc: Acc, node: AccNode, path: string, single: boolean): MergedCell {
  const make = (kind: StatKind, value: unknown, view: () => SnapshotValue) => {
    const cell = new MergedCell(acc.name, acc.type, kind, path, value, view, acc.metricName);
    if (acc.labelNames !== undefined) cell.labelNames = acc.labelNames;
    if (acc.unit !== undefined) cell.unit = acc.unit;
    return cell;
  };
  switch (acc.merge) {
    case "add": {
      const total = acc.total;
      if (typeof total === "number") return make(acc.kind, total, () => total);
      return make(acc.kind, total, () => totalsView(total));
    }
    case "worker": {
      if (single) {
        const value = acc.values.values().next().value ?? null;
        return make(acc.kind, value, () => value);
      }
      const values = [...acc.values.values()];
      const scalar = values.every((v) => typeof v !== "object" || v === null);
      const numeric = values.every((v) => typeof v === "number");
      const kind: StatKind = scalar ? (numeric ? "gaugeDict" : "stringDict") : acc.kind;
      const cell = make(kind, acc.values, () => objectOf(acc.values, (v) => v));
      // One more dimension, outermost: the worker.
      cell.labelNames = ["worker", ...(scalar ? [] : acc.labelNames ?? ["key"])];
      return cell;
    }
    case "sum":
    case "min":
    case "max": {
      const total = acc.total ?? null;
      return make(acc.kind, total, () => total);
    }
    case "pmf": {
      const sketches = finish(acc.sketches);
      const aggregate = aggregateOf(sketches);
      const cell = make(acc.kind, aggregate, () => plain(aggregate));
      cell.histogram = () => sketches.allTime.exponentialHistogram();
      return cell;
    }
    case "recompute": {
      const sketches = emptySketches();
      gatherBelow(node, acc.name, sketches);
      const finished = finish(sketches);
      const aggregate = aggregateOf(finished);
      const cell = make(acc.kind, aggregate, () => plain(aggregate));
      cell.histogram = () => finished.allTime.exponentialHistogram();
      return cell;
    }
    case "pmfDict": {
      const finished = new Map([...acc.entries].map(([key, s]) => [key, finish(s)]));
      const aggregates = new Map([...finished].map(([key, s]) => [key, aggregateOf(s)]));
      const cell = make(acc.kind, aggregates, () => objectOf(aggregates, plain));
      cell.histogram = (labelValues) =>
        finished.get(labelValues?.[0] ?? "")?.allTime.exponentialHistogram();
      return cell;
    }
    case "pmfLabelled": {
      const finished = new Map<string, PmfSketches>();
      const combos: { labels: readonly string[]; aggregate: PmfAggregate }[] = [];
      const aggregates: Record<string, unknown> = {};
      for (const [key, { labels, sketches }] of acc.entries) {
        const done = finish(sketches);
        finished.set(key, done);
        const aggregate = aggregateOf(done);
        combos.push({ labels, aggregate });
        nestAt(aggregates, labels, aggregate);
      }
      const view = () => {
        const out: Record<string, SnapshotValue> = {};
        for (const { labels, aggregate } of combos) nestAt(out, labels, plain(aggregate));
        return out;
      };
      const cell = make(acc.kind, aggregates, view);
      cell.histogram = (labelValues) =>
        labelValues === undefined
          ? undefined
          : finished.get(comboKey(labelValues))?.allTime.exponentialHistogram();
      return cell;
    }
    case "meter": {
      const view = meterView(acc.meter);
      return make(acc.kind, view, () => ({ ...view }));
    }
    case "meterDict": {
      const entries = acc.entries;
      return make(acc.kind, entries, () => objectOf(entries, meterView));
    }
  }
}

function build(acc: AccNode, node: StatNode, single: boolean): void {
  node.collapsed = acc.collapsed;
  for (const [name, child] of acc.children) {
    if (acc.cells.has(name)) continue; // a stat in one worker, a container in another
    build(child, ensureChild(node, name), single);
  }
  for (const [name, cell] of acc.cells) {
    node.cells.set(name, materialize(cell, acc, node.path, single));
  }
}

/** Options of {@linkcode mergeStates}. */
export interface MergeOptions {
  /**
   * Show the gauges of a single worker as plain values rather than one
   * value per worker (for a view of one worker alone).
   */
  readonly single?: boolean;
}

/**
 * A fresh tree holding the merge of `states` (see the module
 * documentation for the rules). Its stats are read-only. Linear in the total
 * size of the states.
 *
 * @example
 * ```ts
 * import { IntStat, mergeStates, Stat, StatTree, treeState } from "@scales/core";
 * import assert from "node:assert/strict";
 * const a = new StatTree();
 * const b = new StatTree();
 * a.collection("/web", IntStat("requests"), Stat("mode", "up")).requests += 2;
 * b.collection("/web", IntStat("requests"), Stat("mode", "draining")).requests += 3;
 * const merged = mergeStates([
 *   { worker: "a", state: treeState(a) },
 *   { worker: "b", state: treeState(b) },
 * ]);
 * assert.deepEqual(merged.getStats(), { web: { requests: 5, mode: { a: "up", b: "draining" } } });
 * ```
 */
export function mergeStates(
  states: readonly WorkerState[],
  options: MergeOptions = {},
): StatTree {
  const root = newNode();
  for (const { worker, state } of states) foldNode(root, state, worker);
  const tree = new StatTree();
  build(root, tree.root, options.single === true);
  return tree;
}
