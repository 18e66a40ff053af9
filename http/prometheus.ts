/**
 * The stat tree in the Prometheus text exposition format, version 0.0.4.
 *
 * Each stat is one metric family named after its path: segments in
 * snake_case (`byPath` → `by_path`), characters outside `[a-zA-Z0-9_:]`
 * replaced by `_`, joined by `_`, with a `_` in front of a leading digit:
 *
 * | stat kind | family |
 * | --- | --- |
 * | `counter` (`IntStat`) | `counter` named `<name>_total` |
 * | `gauge`, `sum` (numbers and booleans) | `gauge` (`true` is 1, `false` is 0) |
 * | `counterDict` | `counter` `<name>_total{key="…"}` |
 * | `gaugeDict` | `gauge` `<name>{key="…"}` |
 * | `pmf` | `summary` with quantiles 0.5, 0.75, 0.95, 0.98, 0.99, 0.999, `_sum` and `_count` |
 * | `meter` | `counter` `<name>_total` and `gauge` `<name>_rate{window="1m"/"5m"/"15m"/"mean"}` (per second) |
 * | `pmfDict`, `meterDict` | as `pmf` and `meter`, with a `key` label |
 *
 * String gauges, string dicts and `null` have no number and are left out.
 * A stat that fails to read becomes a `#` comment naming it. When two stats
 * sanitize to the same name, the one met first in tree order keeps it and
 * the next gets `_2`, `_3`, …, so every family is declared exactly once.
 *
 * @module
 */

import { ownSnapshotValue, type Snapshot, type SnapshotValue } from "../src/stat.ts";
import { isErrorMarker, readCell, type StatNode } from "../src/tree.ts";

/** The `Content-Type` of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const SNAKE = /^[a-z0-9_:]*$/;
const INVALID_CHARS = /[^a-zA-Z0-9_:]/g;
const cache = new Map<string, string>();

/**
 * A path segment as a piece of a metric name, in Prometheus' snake_case:
 * camelCase words are split with `_`, letters lowercased, and every
 * character outside `[a-zA-Z0-9_:]` becomes `_`.
 *
 * @example
 * ```ts
 * import { sanitizeMetricName } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * assert.deepEqual(sanitizeMetricName("byPath"), "by_path");
 * assert.deepEqual(sanitizeMetricName("HTTPServer-v2.api"), "http_server_v2_api");
 * ```
 */
export function sanitizeMetricName(segment: string): string {
  if (SNAKE.test(segment)) return segment;
  let name = cache.get(segment);
  if (name === undefined) {
    name = segment.replace(INVALID_CHARS, "_")
      .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
      .toLowerCase();
    if (cache.size >= 10_000) cache.clear();
    cache.set(segment, name);
  }
  return name;
}

const LABEL_ESCAPES = /[\\"\n]/;

/** A label value escaped for the text format: `\`, `"` and newline. */
function escapeLabel(value: string): string {
  if (!LABEL_ESCAPES.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escaped for the text format: `\` and newline. */
function escapeHelp(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

const QUANTILES: ReadonlyArray<readonly [string, string]> = [
  ["median", "0.5"],
  ["75percentile", "0.75"],
  ["95percentile", "0.95"],
  ["98percentile", "0.98"],
  ["99percentile", "0.99"],
  ["999percentile", "0.999"],
];

const RATES: ReadonlyArray<readonly [string, string]> = [
  ["m1", "1m"],
  ["m5", "5m"],
  ["m15", "15m"],
  ["mean", "mean"],
];

type Entries = { readonly [key: string]: SnapshotValue };

function isEntries(value: SnapshotValue | undefined): value is Entries {
  return typeof value === "object" && value !== null;
}

class Writer {
  out = "";
  readonly #used = new Set<string>();

  /** A family stem free for every name in `suffixes`, reserving them. */
  allocate(stem: string, suffixes: readonly string[]): string {
    let candidate = stem;
    for (let n = 2; suffixes.some((suffix) => this.#used.has(candidate + suffix)); n++) {
      candidate = `${stem}_${n}`;
    }
    for (const suffix of suffixes) this.#used.add(candidate + suffix);
    return candidate;
  }

  header(name: string, type: string, help: string): void {
    this.out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  }

  sample(name: string, labels: string, value: number): void {
    this.out += labels === ""
      ? `${name} ${formatNumber(value)}\n`
      : `${name}{${labels}} ${formatNumber(value)}\n`;
  }
}

function keyLabel(key: string, label = "key"): string {
  return `${label}="${escapeLabel(key)}"`;
}

function join(a: string, b: string): string {
  return a === "" ? b : `${a},${b}`;
}

function writeSummary(w: Writer, name: string, labels: string, value: SnapshotValue): void {
  if (!isEntries(value)) return;
  for (const [field, quantile] of QUANTILES) {
    const v = value[field];
    if (typeof v === "number") w.sample(name, join(labels, `quantile="${quantile}"`), v);
  }
  if (typeof value.sum === "number") w.sample(`${name}_sum`, labels, value.sum);
  if (typeof value.count === "number") w.sample(`${name}_count`, labels, value.count);
}

function writeRates(w: Writer, name: string, labels: string, value: SnapshotValue): void {
  if (!isEntries(value)) return;
  for (const [field, window] of RATES) {
    const v = value[field];
    if (typeof v === "number") w.sample(name, join(labels, `window="${window}"`), v);
  }
}

function writeCount(w: Writer, name: string, labels: string, value: SnapshotValue): void {
  if (isEntries(value) && typeof value.count === "number") w.sample(name, labels, value.count);
}

function writeCell(
  w: Writer,
  base: string,
  path: string,
  type: string,
  kind: string,
  value: SnapshotValue,
  label = "key",
): void {
  if (typeof value === "string" && isErrorMarker(value)) {
    w.out += `# scales: ${escapeHelp(path)} failed to read: ${escapeHelp(value)}\n`;
    return;
  }
  const help = `${escapeHelp(path)} (${type})`;
  switch (kind) {
    case "counter": {
      if (typeof value !== "number") return;
      const name = w.allocate(base.endsWith("_total") ? base.slice(0, -6) : base, ["_total"]) +
        "_total";
      w.header(name, "counter", help);
      w.sample(name, "", value);
      return;
    }
    case "gauge":
    case "sum": {
      if (typeof value !== "number" && typeof value !== "boolean") return;
      const name = w.allocate(base, [""]);
      w.header(name, "gauge", help);
      w.sample(name, "", typeof value === "boolean" ? Number(value) : value);
      return;
    }
    case "counterDict":
    case "gaugeDict": {
      if (!isEntries(value)) return;
      const counter = kind === "counterDict";
      const stem = counter && base.endsWith("_total") ? base.slice(0, -6) : base;
      const name = counter ? w.allocate(stem, ["_total"]) + "_total" : w.allocate(stem, [""]);
      w.header(name, counter ? "counter" : "gauge", help);
      for (const key in value) {
        const v = value[key];
        if (typeof v === "number") w.sample(name, keyLabel(key, label), v);
      }
      return;
    }
    case "pmf": {
      if (!isEntries(value)) return;
      const name = w.allocate(base, ["", "_sum", "_count"]);
      w.header(name, "summary", help);
      writeSummary(w, name, "", value);
      return;
    }
    case "pmfDict": {
      if (!isEntries(value)) return;
      const name = w.allocate(base, ["", "_sum", "_count"]);
      w.header(name, "summary", help);
      for (const key in value) writeSummary(w, name, keyLabel(key), value[key]);
      return;
    }
    case "meter":
    case "meterDict": {
      if (!isEntries(value)) return;
      const stem = w.allocate(base.endsWith("_total") ? base.slice(0, -6) : base, [
        "_total",
        "_rate",
      ]);
      const dict = kind === "meterDict";
      w.header(`${stem}_total`, "counter", `${help}, events`);
      if (dict) {
        for (const key in value) {
          writeCount(w, `${stem}_total`, keyLabel(key), value[key]);
        }
      } else writeCount(w, `${stem}_total`, "", value);
      w.header(`${stem}_rate`, "gauge", `${help}, events per second`);
      if (dict) {
        for (const key in value) {
          writeRates(w, `${stem}_rate`, keyLabel(key), value[key]);
        }
      } else writeRates(w, `${stem}_rate`, "", value);
      return;
    }
  }
}

function walk(w: Writer, node: StatNode, prefix: string, snapshot: Snapshot | undefined): void {
  for (const [name, cell] of node.cells) {
    let value: SnapshotValue | undefined;
    if (snapshot === undefined) value = readCell(cell, node);
    else {
      value = ownSnapshotValue(snapshot, name);
      if (value === undefined) continue;
    }
    let base = cell.metricName ??
      (prefix === "" ? sanitizeMetricName(name) : `${prefix}_${sanitizeMetricName(name)}`);
    const first = base.charCodeAt(0);
    if (first >= 48 && first <= 57) base = `_${base}`;
    const path = node.path === "/" ? `/${name}` : `${node.path}/${name}`;
    writeCell(w, base, path, cell.type, cell.kind, value, cell.labelName);
  }
  for (const [name, child] of node.children) {
    let childSnapshot: Snapshot | undefined;
    if (snapshot !== undefined) {
      const v = ownSnapshotValue(snapshot, name);
      if (!isEntries(v)) continue;
      childSnapshot = v as Snapshot;
    }
    walk(
      w,
      child,
      prefix === "" ? sanitizeMetricName(name) : `${prefix}_${sanitizeMetricName(name)}`,
      childSnapshot,
    );
  }
}

function prefixOf(node: StatNode): string {
  const names: string[] = [];
  for (let n: StatNode | null = node; n !== null && n.parent !== null; n = n.parent) {
    names.push(sanitizeMetricName(n.name));
  }
  return names.reverse().join("_");
}

/**
 * The stats under `node` in the Prometheus text format 0.0.4 (see the
 * module documentation for the mapping). Metric names use full paths, so a
 * subtree exports the same names as the whole tree. Pass `snapshot` (the
 * node's snapshot, possibly filtered) to export exactly those values;
 * without it every stat is read. Never throws for a failing stat.
 *
 * @example
 * ```ts
 * import { collection, findNode, IntStat, reset } from "@scales/core";
 * import { toPrometheusText } from "@scales/core/http";
 * reset();
 * const STATS = collection("/web", IntStat("errors"));
 * STATS.errors += 2;
 * toPrometheusText(findNode("/")!);
 * // "# HELP web_errors_total /web/errors (IntStat)\n# TYPE web_errors_total counter\nweb_errors_total 2\n"
 * ```
 */
export function toPrometheusText(node: StatNode, snapshot?: Snapshot): string {
  const w = new Writer();
  walk(w, node, prefixOf(node), snapshot);
  return w.out;
}
