/**
 * The exposition model: one function, {@linkcode metricFamilies}, turns a
 * stat tree (a {@linkcode StatNode}, or a plain snapshot) into typed metric
 * families. Every output format (Prometheus text, OpenMetrics, Prometheus
 * protobuf, Graphite lines, OTLP) consumes these families, so what a stat
 * *is* (a counter, a distribution, a rate, with which labels and unit) is
 * decided once, here.
 *
 * | stat kind | family kind | labels |
 * | --- | --- | --- |
 * | `counter` | `counter` | |
 * | `gauge`, `sum` | `gauge` (booleans as 1 and 0), `text` for strings | |
 * | `counterDict` | `counter` | `key` |
 * | `gaugeDict` | `gauge` | `key` |
 * | `stringDict` | `text` | `key` |
 * | `pmf`, `pmfDict` | `distribution` (summary fields, and buckets when the stat keeps them) | `key` for the dict |
 * | `meter`, `meterDict` | `rate` (count and rates) | `key` for the dict |
 *
 * A labelled stat (`LabelledCounterStat`, …) is a dict whose cell names its
 * dimensions (`labelNames`): its snapshot nests one level per name, and its
 * points carry one label value per name. A stat declared `withUnit(…,
 * "milliseconds")` is converted here, once, to seconds (its `unit` is
 * `"seconds"`; a distribution's `count` is not scaled, and it carries no
 * buckets).
 *
 * A stat that failed to read is an `error` family; `null` values are left
 * out. A plain snapshot (no tree) has no kinds: each nested object is a
 * container and each leaf a `gauge` or `text` family.
 *
 * @module
 */

import type { ExponentialHistogramData } from "./exponential_histogram.ts";
import type { MeterSnapshot, RateField } from "./meter.ts";
import { joinPath } from "./path.ts";
import type { PmfSnapshot } from "./pmf.ts";
import {
  ownSnapshotValue,
  type Snapshot,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatUnit,
} from "./stat.ts";
import { isErrorMarker, readCell, StatNode, StatTree } from "./tree.ts";

/** What a family is, which decides how each format writes it. */
export type MetricKind = "counter" | "gauge" | "distribution" | "rate" | "text" | "error";

/** Every {@linkcode MetricKind}, for tests that prove a format covers them all. */
export const METRIC_KINDS: readonly MetricKind[] = [
  "counter",
  "gauge",
  "distribution",
  "rate",
  "text",
  "error",
];

/** Every {@linkcode StatKind}, for tests that prove a format covers them all. */
export const STAT_KINDS: readonly StatKind[] = [
  "counter",
  "gauge",
  "sum",
  "counterDict",
  "gaugeDict",
  "stringDict",
  "pmf",
  "meter",
  "pmfDict",
  "meterDict",
];

/** One labelled value of a family: `labelValues[i]` goes with the family's `labelNames[i]`. */
export interface MetricPoint<V> {
  /** The label values, in the order of the family's `labelNames`. */
  readonly labelValues: readonly string[];
  /** The value. */
  readonly value: V;
}

/** A distribution's value: its summary fields, and its buckets when the stat keeps them. */
export interface Distribution {
  /**
   * The snapshot's numeric fields, in snapshot order: `count` and `sum`
   * (all-time), min, max, mean, stddev and the percentiles (see
   * `PERCENTILES`) over the recent window.
   */
  readonly summary: Readonly<Partial<PmfSnapshot>>;
  /**
   * The all-time exponential histogram, or `undefined` when the stat keeps
   * none (or the family comes from a plain snapshot). Its `count` and `sum`
   * are the summary's.
   */
  readonly histogram: ExponentialHistogramData | undefined;
}

/** A rate's value: the all-time `count` and the rates in events per second (see `RATES`). */
export type Rate = Readonly<Partial<Pick<MeterSnapshot, "count" | RateField>>>;

/** What every family has, whatever its kind. */
export interface FamilyBase {
  /**
   * The path segments of the stat's container (`["web"]` for `/web/latency`).
   * Families of one container share this array, so a format can cache what
   * it derives from it by identity.
   */
  readonly container: readonly string[];
  /** The stat's name: the last path segment (`"latency"`). */
  readonly name: string;
  /** The stat's full path, such as `/web/latency`. */
  readonly path: string;
  /** The name set by `withMetricName`, used as is in place of the path-derived name. */
  readonly metricName: string | undefined;
  /** The stat's kind, or `undefined` for a family from a plain snapshot. */
  readonly statKind: StatKind | undefined;
  /** The factory that declared the stat, such as `"PmfStat"` (`""` from a plain snapshot). */
  readonly type: string;
  /**
   * The unit as OpenMetrics names it (`"seconds"`, `"bytes"`, `"ratio"`), or
   * `""`: taken from the name, which ends with it (`eventLoopDelaySeconds`,
   * `process_resident_memory_bytes`).
   */
  readonly unit: string;
  /** One line describing the stat: its path and factory, such as `/web/latency (PmfStat)`. */
  readonly help: string;
  /** The names of the labels every point carries: `[]`, or `["key"]` for a dict stat. */
  readonly labelNames: readonly string[];
}

/** A family of kind `K` whose points hold values of type `V`. */
export interface KindFamily<K extends MetricKind, V> extends FamilyBase {
  /** Discriminant. */
  readonly kind: K;
  /** The values, one per set of label values. */
  readonly points: readonly MetricPoint<V>[];
}

/** A count that only grows (`IntStat`, `IntDictStat`). */
export type CounterFamily = KindFamily<"counter", number>;

/** A number that goes up and down; booleans are 1 and 0. */
export type GaugeFamily = KindFamily<"gauge", number>;

/** Distributions (`PmfStat`, `PmfAggregationStat`, `NamedPmfDictStat`). */
export type DistributionFamily = KindFamily<"distribution", Distribution>;

/** Rates of an event (`MeterStat`, `MeterDictStat`). */
export type RateFamily = KindFamily<"rate", Rate>;

/** Strings (a `Stat` holding text, `StringDictStat`): no number to export. */
export type TextFamily = KindFamily<"text", string>;

/** A stat whose value could not be read (a gauge function that threw); it has no points. */
export interface ErrorFamily extends KindFamily<"error", never> {
  /** The error marker, such as `<error: disk gone>`. */
  readonly message: string;
}

/** A typed metric family: what every output format consumes. */
export type MetricFamily =
  | CounterFamily
  | GaugeFamily
  | DistributionFamily
  | RateFamily
  | TextFamily
  | ErrorFamily;

const NO_LABELS: readonly string[] = [];
const KEY_LABEL: readonly string[] = ["key"];
const UNITS = /(?:_|[a-z0-9])(seconds|bytes|ratio|Seconds|Bytes|Ratio)(?:_total)?$/;

/**
 * The OpenMetrics unit a name ends with (`"seconds"`, `"bytes"`, `"ratio"`),
 * before an optional `_total`; `""` when it ends with none.
 */
function unitOf(name: string): string {
  let unit = units.get(name);
  if (unit === undefined) {
    const match = UNITS.exec(name);
    unit = match === null ? "" : match[1].toLowerCase();
    if (units.size >= 10_000) units.clear();
    units.set(name, unit);
  }
  return unit;
}

const units = new Map<string, string>();

function isEntries(
  value: SnapshotValue | undefined,
): value is Readonly<Record<string, SnapshotValue>> {
  return typeof value === "object" && value !== null;
}

function numberOf(value: SnapshotValue | undefined): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  return undefined;
}

/**
 * The numeric fields of a snapshot object, in order: the object itself when
 * every field is a number (snapshots are never changed once read), else a
 * copy without the others.
 */
function numericFields(
  value: Readonly<Record<string, SnapshotValue>>,
): Readonly<Record<string, number>> {
  let numeric = true;
  for (const field in value) {
    if (typeof value[field] !== "number") {
      numeric = false;
      break;
    }
  }
  if (numeric) return value as Readonly<Record<string, number>>;
  const out: Record<string, number> = {};
  for (const field in value) {
    const v = value[field];
    if (typeof v === "number") out[field] = v;
  }
  return out;
}

/** The unit a family reports for a stat's declared unit: milliseconds are exported as seconds. */
function baseUnit(unit: StatUnit): string {
  return unit === "milliseconds" ? "seconds" : unit;
}

/**
 * A distribution's summary fields, scaled to the base unit: every field but
 * `count` is a value in the stat's unit.
 */
function summaryFields(
  value: Readonly<Record<string, SnapshotValue>>,
  scale: number,
): Readonly<Record<string, number>> {
  const numeric = numericFields(value);
  if (scale === 1) return numeric;
  const out: Record<string, number> = {};
  for (const field in numeric) {
    out[field] = field === "count" ? numeric[field] : numeric[field] * scale;
  }
  return out;
}

/**
 * Calls `visit` for every leaf of a snapshot nested `depth` levels deep (a
 * dict stat: 1; a labelled stat: one per label), with the keys on the way
 * (`above` is a scratch array, restored on return).
 */
function forEachPoint(
  value: Readonly<Record<string, SnapshotValue>>,
  depth: number,
  above: string[],
  visit: (labelValues: readonly string[], leaf: SnapshotValue) => void,
): void {
  const level = above.length;
  const keys = Object.keys(value); // faster than for-in over a snapshot's dictionary-mode objects
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const v = value[key];
    above[level] = key;
    if (depth <= 1) visit(above.slice(0, level + 1), v);
    else if (isEntries(v)) forEachPoint(v, depth - 1, above, visit);
  }
  above.length = level;
}

/** The factor from a stat's unit to the base unit its families report. */
function scaleOf(cell: StatCell): number {
  return cell.unit === "milliseconds" ? 0.001 : 1;
}

function histogramOf(
  cell: StatCell,
  labelValues: readonly string[] | undefined,
): ExponentialHistogramData | undefined {
  if (cell.histogram === undefined) return undefined;
  try {
    return cell.histogram(labelValues);
  } catch {
    return undefined; // the summary still goes out; the snapshot read reports failures
  }
}

/**
 * A distribution of a live stat: the buckets are read when a format first
 * asks for them (the text formats never do), and so is the summary of a
 * stat that keeps buckets and was not read with the tree (protobuf, which
 * sends the buckets, never asks for it).
 */
class CellDistribution implements Distribution {
  #summary: Readonly<Partial<PmfSnapshot>> | undefined;
  readonly #cell: StatCell;
  readonly #node: StatNode | undefined;
  readonly #labelValues: readonly string[] | undefined;
  #histogram: ExponentialHistogramData | undefined | null = null;
  readonly #buckets: boolean;

  /**
   * With `summary` undefined, reads it from `cell` of `node` on first use.
   * `buckets` false: the stat's buckets are not this point's (a scaled
   * unit, or a labelled stat's combination).
   */
  constructor(
    summary: Readonly<Partial<PmfSnapshot>> | undefined,
    cell: StatCell,
    node: StatNode | undefined,
    labelValues: readonly string[] | undefined,
    buckets = true,
  ) {
    this.#summary = summary;
    this.#cell = cell;
    this.#node = node;
    this.#labelValues = labelValues;
    this.#buckets = buckets;
  }

  get summary(): Readonly<Partial<PmfSnapshot>> {
    if (this.#summary === undefined) {
      const value = readCell(this.#cell, this.#node!);
      this.#summary = isEntries(value) ? summaryFields(value, scaleOf(this.#cell)) : {};
    }
    return this.#summary;
  }

  get histogram(): ExponentialHistogramData | undefined {
    if (this.#histogram === null) {
      this.#histogram = this.#buckets ? histogramOf(this.#cell, this.#labelValues) : undefined;
    }
    return this.#histogram;
  }
}

/** Every family, whatever its kind, has this one shape (fast to make and to read). */
class Family {
  constructor(
    readonly kind: MetricKind,
    readonly container: readonly string[],
    readonly name: string,
    readonly path: string,
    readonly metricName: string | undefined,
    readonly statKind: StatKind | undefined,
    readonly type: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly points: readonly MetricPoint<unknown>[],
    readonly message: string | undefined,
    readonly declaredUnit: StatUnit | undefined,
  ) {}

  get unit(): string {
    return this.declaredUnit === undefined
      ? unitOf(this.metricName ?? this.name)
      : baseUnit(this.declaredUnit);
  }
}

function point<V>(value: V): MetricPoint<V>[] {
  return [{ labelValues: NO_LABELS, value }];
}

/** Collects the families of one tree walk. */
class Collector {
  readonly families: MetricFamily[] = [];

  #add(
    kind: MetricKind,
    cell: StatCell,
    container: readonly string[],
    texts: { readonly path: string; readonly help: string },
    labelNames: readonly string[],
    points: readonly MetricPoint<unknown>[],
    message?: string,
  ): void {
    this.families.push(
      new Family(
        kind,
        container,
        cell.name,
        texts.path,
        cell.metricName,
        cell.kind,
        cell.type,
        texts.help,
        labelNames,
        points,
        message,
        cell.unit,
      ) as MetricFamily,
    );
  }

  cell(cell: StatCell, container: readonly string[], nodePath: string, value: SnapshotValue): void {
    const texts = cellTextsOf(cell, nodePath);
    const scale = scaleOf(cell);
    const labelNames = cell.labelNames ?? KEY_LABEL;
    if (typeof value === "string" && isErrorMarker(value)) {
      this.#add("error", cell, container, texts, NO_LABELS, [], value);
      return;
    }
    const kind = cell.kind;
    switch (kind) {
      case "counter": {
        const n = numberOf(value);
        if (n !== undefined) {
          this.#add("counter", cell, container, texts, NO_LABELS, point(n * scale));
        }
        return;
      }
      case "gauge":
      case "sum": {
        if (typeof value === "string") {
          this.#add("text", cell, container, texts, NO_LABELS, point(value));
          return;
        }
        const n = numberOf(value);
        if (n !== undefined) {
          const v = typeof value === "number" ? n * scale : n;
          this.#add("gauge", cell, container, texts, NO_LABELS, point(v));
        }
        return;
      }
      case "counterDict":
      case "gaugeDict": {
        if (!isEntries(value)) return;
        const points: MetricPoint<number>[] = [];
        forEachPoint(value, labelNames.length, [], (labelValues, v) => {
          const n = numberOf(v);
          if (n !== undefined) points.push({ labelValues, value: n * scale });
        });
        this.#add(
          kind === "counterDict" ? "counter" : "gauge",
          cell,
          container,
          texts,
          labelNames,
          points,
        );
        return;
      }
      case "stringDict": {
        if (!isEntries(value)) return;
        const points: MetricPoint<string>[] = [];
        forEachPoint(value, labelNames.length, [], (labelValues, v) => {
          if (typeof v === "string") points.push({ labelValues, value: v });
        });
        this.#add("text", cell, container, texts, labelNames, points);
        return;
      }
      case "pmf": {
        if (!isEntries(value)) return;
        const distribution = new CellDistribution(
          summaryFields(value, scale),
          cell,
          undefined,
          undefined,
          scale === 1,
        );
        this.#add("distribution", cell, container, texts, NO_LABELS, point(distribution));
        return;
      }
      case "pmfDict": {
        if (!isEntries(value)) return;
        const points: MetricPoint<Distribution>[] = [];
        // Buckets in a scaled unit (milliseconds) cannot be rescaled: quantiles only.
        const buckets = scale === 1;
        forEachPoint(value, labelNames.length, [], (labelValues, v) => {
          if (!isEntries(v)) return;
          points.push({
            labelValues,
            value: new CellDistribution(
              summaryFields(v, scale),
              cell,
              undefined,
              labelValues,
              buckets,
            ),
          });
        });
        this.#add("distribution", cell, container, texts, labelNames, points);
        return;
      }
      case "meter": {
        if (isEntries(value)) {
          this.#add("rate", cell, container, texts, NO_LABELS, point(numericFields(value)));
        }
        return;
      }
      case "meterDict": {
        if (!isEntries(value)) return;
        const points: MetricPoint<Rate>[] = [];
        forEachPoint(value, labelNames.length, [], (labelValues, v) => {
          if (isEntries(v)) points.push({ labelValues, value: numericFields(v) });
        });
        this.#add("rate", cell, container, texts, labelNames, points);
        return;
      }
      default: {
        const _: never = kind;
        return;
      }
    }
  }

  node(node: StatNode, container: readonly string[], snapshot: Snapshot | undefined): void {
    for (const [name, cell] of node.cells) {
      let value: SnapshotValue | undefined;
      if (snapshot === undefined) {
        if (cell.kind === "pmf" && cell.histogram !== undefined) {
          // Read when a format asks: its summary, or its buckets, or both.
          const distribution = new CellDistribution(undefined, cell, node, undefined);
          this.#add(
            "distribution",
            cell,
            container,
            cellTextsOf(cell, node.path),
            NO_LABELS,
            point(distribution),
          );
          continue;
        }
        value = readCell(cell, node);
      } else {
        value = ownSnapshotValue(snapshot, name);
        if (value === undefined) continue;
      }
      this.cell(cell, container, node.path, value);
    }
    for (const [name, child] of node.children) {
      let childSnapshot: Snapshot | undefined;
      if (snapshot !== undefined) {
        const v = ownSnapshotValue(snapshot, name);
        if (!isEntries(v)) continue;
        childSnapshot = v as Snapshot;
      }
      this.node(child, childContainerOf(child, container), childSnapshot);
    }
  }

  plain(
    object: Readonly<Record<string, SnapshotValue>>,
    container: readonly string[],
    nodePath: string,
  ): void {
    for (const name in object) {
      const value = object[name];
      const path = joinPath(nodePath, name);
      if (isEntries(value)) {
        this.plain(value, [...container, name], path);
        continue;
      }
      let kind: MetricKind;
      let points: readonly MetricPoint<unknown>[];
      let message: string | undefined;
      if (typeof value === "string") {
        if (isErrorMarker(value)) {
          kind = "error";
          points = [];
          message = value;
        } else {
          kind = "text";
          points = point(value);
        }
      } else {
        const n = numberOf(value);
        if (n === undefined) continue;
        kind = "gauge";
        points = point(n);
      }
      this.families.push(
        new Family(
          kind,
          container,
          name,
          path,
          undefined,
          undefined,
          "",
          path,
          NO_LABELS,
          points,
          message,
          undefined,
        ) as MetricFamily,
      );
    }
  }
}

/**
 * Each node's container segments: one array per node for as long as the
 * node lives (a node's name and path never change), so formats can cache
 * by it from one exposition to the next. Weak: gone with the node.
 */
const containers = new WeakMap<StatNode, readonly string[]>();

function containerOf(node: StatNode): readonly string[] {
  let names = containers.get(node);
  if (names === undefined) {
    const list: string[] = [];
    for (let n: StatNode | null = node; n !== null && n.parent !== null; n = n.parent) {
      list.push(n.name);
    }
    names = list.reverse();
    containers.set(node, names);
  }
  return names;
}

/** The container of `child`, whose parent's container is `container`. */
function childContainerOf(child: StatNode, container: readonly string[]): readonly string[] {
  let names = containers.get(child);
  if (names === undefined) {
    names = [...container, child.name];
    containers.set(child, names);
  }
  return names;
}

/** A stat's full path and help text, kept per cell (weakly) with the node path they were made for. */
const cellTexts = new WeakMap<StatCell, { nodePath: string; path: string; help: string }>();

function cellTextsOf(cell: StatCell, nodePath: string): { path: string; help: string } {
  let texts = cellTexts.get(cell);
  if (texts === undefined || texts.nodePath !== nodePath) {
    const path = joinPath(nodePath, cell.name);
    texts = { nodePath, path, help: `${path} (${cell.type})` };
    cellTexts.set(cell, texts);
  }
  return texts;
}

/**
 * The metric families of every stat under `source`, in tree order (a
 * container's stats, then its children).
 *
 * - `source` a {@linkcode StatTree} (its root) or a {@linkcode StatNode}: each stat is read now (a failing read
 *   gives an `error` family and is logged and counted, as in `getStats`),
 *   unless `snapshot` is given: then exactly the values in it are used (a
 *   filtered snapshot of that node leaves out what it lacks), with the kinds
 *   from the tree. Names are full paths, so a subtree gives the same
 *   families as the whole tree.
 * - `source` a plain snapshot: objects are containers, numbers and booleans
 *   `gauge` families, strings `text` families.
 *
 * Never throws for a failing stat.
 *
 * @example
 * ```ts
 * import { IntDictStat, metricFamilies, StatTree } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * tree.collection("/web", IntDictStat("byStatus")).byStatus.inc("200", 3);
 * const [family] = metricFamilies(tree);
 * assert.deepEqual(
 *   [family.kind, family.container, family.name, family.labelNames, family.points],
 *   ["counter", ["web"], "byStatus", ["key"], [{ labelValues: ["200"], value: 3 }]],
 * );
 * ```
 */
export function metricFamilies(
  source: StatTree | StatNode | Snapshot,
  snapshot?: Snapshot,
): MetricFamily[] {
  const collector = new Collector();
  if (source instanceof StatTree) source = source.root;
  if (source instanceof StatNode) collector.node(source, containerOf(source), snapshot);
  else collector.plain(source, NO_LABELS, "/");
  return collector.families;
}
