/**
 * Metric names and escaping shared by the Prometheus text, OpenMetrics and
 * Prometheus protobuf formats, so a stat has the same family name in all
 * three (a scraper that switches format keeps its series).
 *
 * @module
 */

import type { MetricFamily } from "../src/model.ts";

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

/** A label value escaped for the text formats: `\`, `"` and newline. */
export function escapeLabel(value: string): string {
  if (!LABEL_ESCAPES.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escaped for the Prometheus text format: `\` and newline. */
export function escapeHelp(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value as the text formats spell it (`+Inf`, `-Inf`, `NaN`). */
export function formatSampleValue(value: number): string {
  if (Number.isInteger(value) || value !== value) return String(value); // cheap for V8
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  // A fraction's shortest spelling is costly, and the same ones come back
  // scrape after scrape (a distribution's quantiles are bucket values).
  let text = sampleTexts.get(value);
  if (text === undefined) {
    text = String(value);
    if (sampleTexts.size >= SAMPLE_TEXT_LIMIT) sampleTexts.clear();
    sampleTexts.set(value, text);
  }
  return text;
}

/** The most fractions whose text {@linkcode formatSampleValue} keeps (then it starts over). */
export const SAMPLE_TEXT_LIMIT = 8_192;

const sampleTexts = new Map<number, string>();

/** `name="value",…` for a point's labels (without braces), values escaped. */
export function labelText(names: readonly string[], values: readonly string[]): string {
  let out = "";
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ",";
    out += `${names[i]}="${escapeLabel(values[i])}"`;
  }
  return out;
}

/** Joins two label texts. */
export function joinLabels(a: string, b: string): string {
  return a === "" ? b : `${a},${b}`;
}

/** The most stems whose series names {@linkcode seriesNames} keeps (then it starts over). */
export const SERIES_CACHE_LIMIT = 20_000;

/** Per suffix list, each stem's series names, kept across expositions. */
const seriesCache = new Map<readonly string[], Map<string, readonly string[]>>();

/**
 * The series names of `stem` with `suffixes`, the same string objects from
 * one exposition to the next (so the set of used names hashes each once):
 * names change only when the tree does, and the cache is bounded by
 * {@linkcode SERIES_CACHE_LIMIT} stems per suffix list (cleared when full).
 */
export function seriesNames(stem: string, suffixes: readonly string[]): readonly string[] {
  let bySuffixes = seriesCache.get(suffixes);
  if (bySuffixes === undefined) {
    bySuffixes = new Map();
    seriesCache.set(suffixes, bySuffixes);
  }
  let series = bySuffixes.get(stem);
  if (series === undefined) {
    series = suffixes.map((suffix) => stem + suffix);
    if (bySuffixes.size >= SERIES_CACHE_LIMIT) bySuffixes.clear();
    bySuffixes.set(stem, series);
  }
  return series;
}

/** The most stat names whose base name a container keeps (then it starts over). */
const BASE_CACHE_LIMIT = 10_000;

/**
 * Per container array (the model gives one array per container node, kept
 * while the node lives: weak), each stat name's base name, so the same
 * string object comes back on every exposition.
 */
const baseCache = new WeakMap<readonly string[], Map<string, string>>();

/** The suffix lists of each family kind (one object each: the cache is keyed by them). */
const COUNTER_SUFFIXES: readonly string[] = ["_total"];
const GAUGE_SUFFIXES: readonly string[] = [""];
const DISTRIBUTION_SUFFIXES: readonly string[] = ["", "_sum", "_count"];
const RATE_SUFFIXES: readonly string[] = ["_total", "_rate"];

/** The suffixes a family of `kind` reserves (none for `text` and `error`). */
function suffixesOf(kind: MetricFamily["kind"]): readonly string[] {
  switch (kind) {
    case "counter":
      return COUNTER_SUFFIXES;
    case "gauge":
      return GAUGE_SUFFIXES;
    case "distribution":
      return DISTRIBUTION_SUFFIXES;
    case "rate":
      return RATE_SUFFIXES;
    default:
      return [];
  }
}

/** What decides each family's stem, and the stem it got, in exposition order. */
interface ExpositionRecord {
  readonly containers: (readonly string[])[];
  readonly names: string[];
  readonly kinds: MetricFamily["kind"][];
  readonly metricNames: (string | undefined)[];
  readonly stems: (string | undefined)[];
}

/** The most families whose stems a record keeps for the next exposition. */
export const LAST_EXPOSITION_LIMIT = 100_000;

/** The most records kept (one per node exposed; then they start over). */
export const RECORDS_LIMIT = 4;

/**
 * The families of the last exposition of a node (what decides a stem:
 * container array, name, kind, metric name) and the stems they got, as
 * parallel arrays, keyed by the first family's container array. A stem
 * depends only on its family and the families before it, so while an
 * exposition meets the same families in the same order, each gets its last
 * stem with no name work (the text and protobuf expositions of one node
 * share a record); where they first differ, the used names are rebuilt
 * from the same prefix and allocation goes on as usual, into a new record
 * (the prefix copied) that replaces the old. Bounded: at most
 * {@linkcode RECORDS_LIMIT} records of at most
 * {@linkcode LAST_EXPOSITION_LIMIT} families.
 */
const records = new Map<readonly string[], ExpositionRecord>();

const EMPTY_RECORD: ExpositionRecord = {
  containers: [],
  names: [],
  kinds: [],
  metricNames: [],
  stems: [],
};

/** A new record holding the first `length` families of `record` (which is left as it is). */
function prefixOf(record: ExpositionRecord, length: number): ExpositionRecord {
  return {
    containers: record.containers.slice(0, length),
    names: record.names.slice(0, length),
    kinds: record.kinds.slice(0, length),
    metricNames: record.metricNames.slice(0, length),
    stems: record.stems.slice(0, length),
  };
}

function withoutTotal(base: string): string {
  return base.endsWith("_total") ? base.slice(0, -6) : base;
}

/**
 * Gives each family of one exposition its name stem: the `withMetricName`
 * name, or the sanitized path joined by `_` (with a `_` before a leading
 * digit). When two families would share a series name, the one met first
 * keeps it and the next gets `_2`, `_3`, …, so every family is declared
 * exactly once. One instance per exposition.
 */
export class PrometheusNames {
  readonly #used = new Set<string>();
  /** Families met so far. */
  #index = 0;
  /** Whether every family so far is the same as in the last exposition (so is its stem). */
  #replaying = true;

  /** The record this exposition replays, then (once it differs) its own. */
  #last: ExpositionRecord = EMPTY_RECORD;
  #container: readonly string[] | undefined;
  #bases: Map<string, string> | undefined;
  #prefix: string | undefined;

  #base(family: MetricFamily): string {
    if (family.metricName !== undefined) return family.metricName;
    if (family.container !== this.#container) {
      this.#container = family.container;
      let bases = baseCache.get(family.container);
      if (bases === undefined) {
        bases = new Map();
        baseCache.set(family.container, bases);
      }
      this.#bases = bases;
      this.#prefix = undefined;
    }
    let base = this.#bases!.get(family.name);
    if (base === undefined) {
      this.#prefix ??= family.container.map(sanitizeMetricName).join("_");
      const name = sanitizeMetricName(family.name);
      base = this.#prefix === "" ? name : `${this.#prefix}_${name}`;
      const first = base.charCodeAt(0);
      if (first >= 48 && first <= 57) base = `_${base}`;
      if (this.#bases!.size >= BASE_CACHE_LIMIT) this.#bases!.clear();
      this.#bases!.set(family.name, base);
    }
    return base;
  }

  #allocate(stem: string, suffixes: readonly string[]): string {
    let candidate = stem;
    let series = seriesNames(candidate, suffixes);
    for (let n = 2; this.#taken(series); n++) {
      candidate = `${stem}_${n}`;
      series = seriesNames(candidate, suffixes);
    }
    for (let i = 0; i < series.length; i++) this.#used.add(series[i]);
    return candidate;
  }

  #taken(series: readonly string[]): boolean {
    for (let i = 0; i < series.length; i++) if (this.#used.has(series[i])) return true;
    return false;
  }

  /**
   * The family's name stem, its series names reserved: a counter's series
   * is `<stem>_total`, a gauge's `<stem>`, a distribution's `<stem>`,
   * `<stem>_sum` and `<stem>_count`, a rate's `<stem>_total` and
   * `<stem>_rate`. `undefined` for families with no number (`text`,
   * `error`), which reserve nothing.
   */
  stem(family: MetricFamily): string | undefined {
    const i = this.#index++;
    if (i === 0) this.#last = records.get(family.container) ?? EMPTY_RECORD;
    let last = this.#last;
    if (this.#replaying) {
      if (
        i < last.stems.length && last.containers[i] === family.container &&
        last.names[i] === family.name && last.kinds[i] === family.kind &&
        last.metricNames[i] === family.metricName
      ) return last.stems[i];
      // The families differ from here: reserve what the same ones took, then allocate.
      this.#replaying = false;
      for (let j = 0; j < i; j++) {
        const stem = last.stems[j];
        if (stem === undefined) continue;
        const series = seriesNames(stem, suffixesOf(last.kinds[j]));
        for (let k = 0; k < series.length; k++) this.#used.add(series[k]);
      }
      // A record of our own (another exposition may still be replaying the old one).
      last = prefixOf(last, i);
      this.#last = last;
      const key = last.containers.length > 0 ? last.containers[0] : family.container;
      if (!records.has(key) && records.size >= RECORDS_LIMIT) records.clear();
      records.set(key, last);
    }
    const stem = this.#fresh(family);
    if (i < LAST_EXPOSITION_LIMIT) {
      last.containers.push(family.container);
      last.names.push(family.name);
      last.kinds.push(family.kind);
      last.metricNames.push(family.metricName);
      last.stems.push(stem);
    }
    return stem;
  }

  #fresh(family: MetricFamily): string | undefined {
    const kind = family.kind;
    switch (kind) {
      case "counter":
        return this.#allocate(withoutTotal(this.#base(family)), COUNTER_SUFFIXES);
      case "gauge":
        return this.#allocate(this.#base(family), GAUGE_SUFFIXES);
      case "distribution":
        return this.#allocate(this.#base(family), DISTRIBUTION_SUFFIXES);
      case "rate":
        return this.#allocate(withoutTotal(this.#base(family)), RATE_SUFFIXES);
      case "text":
      case "error":
        return undefined;
      default: {
        const _: never = kind;
        return undefined;
      }
    }
  }
}
