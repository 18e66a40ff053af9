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
import type { Snapshot, SnapshotValue, StatCell, StatKind } from "./stat.ts";
import { isErrorMarker, readCell, StatNode } from "./tree.ts";

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

/** A count that only grows (`IntStat`, `IntDictStat`). */
export interface CounterFamily extends FamilyBase {
  /** Discriminant. */
  readonly kind: "counter";
  /** The values. */
  readonly points: readonly MetricPoint<number>[];
}

/** A number that goes up and down. */
export interface GaugeFamily extends FamilyBase {
  /** Discriminant. */
  readonly kind: "gauge";
  /** The values; booleans are 1 and 0. */
  readonly points: readonly MetricPoint<number>[];
}

/** Distributions (`PmfStat`, `NamedPmfDictStat`). */
export interface DistributionFamily extends FamilyBase {
  /** Discriminant. */
  readonly kind: "distribution";
  /** The values. */
  readonly points: readonly MetricPoint<Distribution>[];
}

/** Rates of an event (`MeterStat`, `MeterDictStat`). */
export interface RateFamily extends FamilyBase {
  /** Discriminant. */
  readonly kind: "rate";
  /** The values. */
  readonly points: readonly MetricPoint<Rate>[];
}

/** Strings (a `Stat` holding text, `StringDictStat`): no number to export. */
export interface TextFamily extends FamilyBase {
  /** Discriminant. */
  readonly kind: "text";
  /** The values. */
  readonly points: readonly MetricPoint<string>[];
}

/** A stat whose value could not be read (a gauge function that threw). */
export interface ErrorFamily extends FamilyBase {
  /** Discriminant. */
  readonly kind: "error";
  /** The error marker, such as `<error: disk gone>`. */
  readonly message: string;
  /** Always empty. */
  readonly points: readonly MetricPoint<never>[];
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
  const match = UNITS.exec(name);
  return match === null ? "" : match[1].toLowerCase();
}

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

/** The numeric fields of a snapshot object, in order. */
function numericFields(value: Readonly<Record<string, SnapshotValue>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const field in value) {
    const v = value[field];
    if (typeof v === "number") out[field] = v;
  }
  return out;
}

function histogramOf(
  cell: StatCell,
  key: string | undefined,
): ExponentialHistogramData | undefined {
  if (cell.histogram === undefined) return undefined;
  try {
    return cell.histogram(key);
  } catch {
    return undefined; // the summary still goes out; the snapshot read reports failures
  }
}

/** Collects the families of one tree walk. */
class Collector {
  readonly families: MetricFamily[] = [];

  cell(cell: StatCell, container: readonly string[], nodePath: string, value: SnapshotValue): void {
    const path = joinPath(nodePath, cell.name);
    const metricName = cell.metricName;
    const base = {
      container,
      name: cell.name,
      path,
      metricName,
      statKind: cell.kind,
      type: cell.type,
      unit: unitOf(metricName ?? cell.name),
      help: `${path} (${cell.type})`,
    };
    if (typeof value === "string" && isErrorMarker(value)) {
      this.families.push({
        ...base,
        kind: "error",
        labelNames: NO_LABELS,
        message: value,
        points: [],
      });
      return;
    }
    const kind = cell.kind;
    switch (kind) {
      case "counter": {
        const n = numberOf(value);
        if (n === undefined) return;
        this.families.push({
          ...base,
          kind: "counter",
          labelNames: NO_LABELS,
          points: [{ labelValues: NO_LABELS, value: n }],
        });
        return;
      }
      case "gauge":
      case "sum": {
        if (typeof value === "string") {
          this.families.push({
            ...base,
            kind: "text",
            labelNames: NO_LABELS,
            points: [{ labelValues: NO_LABELS, value }],
          });
          return;
        }
        const n = numberOf(value);
        if (n === undefined) return;
        this.families.push({
          ...base,
          kind: "gauge",
          labelNames: NO_LABELS,
          points: [{ labelValues: NO_LABELS, value: n }],
        });
        return;
      }
      case "counterDict":
      case "gaugeDict": {
        if (!isEntries(value)) return;
        const points: MetricPoint<number>[] = [];
        for (const key in value) {
          const n = numberOf(value[key]);
          if (n !== undefined) points.push({ labelValues: [key], value: n });
        }
        this.families.push({
          ...base,
          kind: kind === "counterDict" ? "counter" : "gauge",
          labelNames: KEY_LABEL,
          points,
        });
        return;
      }
      case "stringDict": {
        if (!isEntries(value)) return;
        const points: MetricPoint<string>[] = [];
        for (const key in value) {
          const v = value[key];
          if (typeof v === "string") points.push({ labelValues: [key], value: v });
        }
        this.families.push({ ...base, kind: "text", labelNames: KEY_LABEL, points });
        return;
      }
      case "pmf": {
        if (!isEntries(value)) return;
        this.families.push({
          ...base,
          kind: "distribution",
          labelNames: NO_LABELS,
          points: [{
            labelValues: NO_LABELS,
            value: { summary: numericFields(value), histogram: histogramOf(cell, undefined) },
          }],
        });
        return;
      }
      case "pmfDict": {
        if (!isEntries(value)) return;
        const points: MetricPoint<Distribution>[] = [];
        for (const key in value) {
          const v = value[key];
          if (!isEntries(v)) continue;
          points.push({
            labelValues: [key],
            value: { summary: numericFields(v), histogram: histogramOf(cell, key) },
          });
        }
        this.families.push({ ...base, kind: "distribution", labelNames: KEY_LABEL, points });
        return;
      }
      case "meter": {
        if (!isEntries(value)) return;
        this.families.push({
          ...base,
          kind: "rate",
          labelNames: NO_LABELS,
          points: [{ labelValues: NO_LABELS, value: numericFields(value) }],
        });
        return;
      }
      case "meterDict": {
        if (!isEntries(value)) return;
        const points: MetricPoint<Rate>[] = [];
        for (const key in value) {
          const v = value[key];
          if (isEntries(v)) points.push({ labelValues: [key], value: numericFields(v) });
        }
        this.families.push({ ...base, kind: "rate", labelNames: KEY_LABEL, points });
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
      if (snapshot === undefined) value = readCell(cell, node);
      else {
        if (!Object.hasOwn(snapshot, name)) continue;
        value = snapshot[name];
      }
      this.cell(cell, container, node.path, value);
    }
    for (const [name, child] of node.children) {
      let childSnapshot: Snapshot | undefined;
      if (snapshot !== undefined) {
        const v = Object.hasOwn(snapshot, name) ? snapshot[name] : undefined;
        if (!isEntries(v)) continue;
        childSnapshot = v as Snapshot;
      }
      this.node(child, [...container, name], childSnapshot);
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
      const base = {
        container,
        name,
        path,
        metricName: undefined,
        statKind: undefined,
        type: "",
        unit: unitOf(name),
        help: path,
        labelNames: NO_LABELS,
      };
      if (typeof value === "string") {
        if (isErrorMarker(value)) {
          this.families.push({ ...base, kind: "error", message: value, points: [] });
        } else {
          this.families.push({
            ...base,
            kind: "text",
            points: [{ labelValues: NO_LABELS, value }],
          });
        }
        continue;
      }
      const n = numberOf(value);
      if (n !== undefined) {
        this.families.push({
          ...base,
          kind: "gauge",
          points: [{ labelValues: NO_LABELS, value: n }],
        });
      }
    }
  }
}

function containerOf(node: StatNode): string[] {
  const names: string[] = [];
  for (let n: StatNode | null = node; n !== null && n.parent !== null; n = n.parent) {
    names.push(n.name);
  }
  return names.reverse();
}

/**
 * The metric families of every stat under `source`, in tree order (a
 * container's stats, then its children).
 *
 * - `source` a {@linkcode StatNode}: each stat is read now (a failing read
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
 * import { collection, findNode, IntDictStat, metricFamilies, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", IntDictStat("byStatus")).byStatus.inc("200", 3);
 * const [family] = metricFamilies(findNode("/web")!);
 * assert.deepEqual(
 *   [family.kind, family.container, family.name, family.labelNames, family.points],
 *   ["counter", ["web"], "byStatus", ["key"], [{ labelValues: ["200"], value: 3 }]],
 * );
 * ```
 */
export function metricFamilies(source: StatNode | Snapshot, snapshot?: Snapshot): MetricFamily[] {
  const collector = new Collector();
  if (source instanceof StatNode) collector.node(source, containerOf(source), snapshot);
  else collector.plain(source, NO_LABELS, "/");
  return collector.families;
}
