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
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

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
  #container: readonly string[] | undefined;
  #prefix = "";

  #base(family: MetricFamily): string {
    if (family.metricName !== undefined) return family.metricName;
    if (family.container !== this.#container) {
      this.#container = family.container;
      this.#prefix = family.container.map(sanitizeMetricName).join("_");
    }
    const name = sanitizeMetricName(family.name);
    const base = this.#prefix === "" ? name : `${this.#prefix}_${name}`;
    const first = base.charCodeAt(0);
    return first >= 48 && first <= 57 ? `_${base}` : base;
  }

  #allocate(stem: string, suffixes: readonly string[]): string {
    let candidate = stem;
    for (let n = 2; this.#taken(candidate, suffixes); n++) candidate = `${stem}_${n}`;
    for (const suffix of suffixes) this.#used.add(candidate + suffix);
    return candidate;
  }

  #taken(candidate: string, suffixes: readonly string[]): boolean {
    for (const suffix of suffixes) if (this.#used.has(candidate + suffix)) return true;
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
    const kind = family.kind;
    switch (kind) {
      case "counter":
        return this.#allocate(withoutTotal(this.#base(family)), ["_total"]);
      case "gauge":
        return this.#allocate(this.#base(family), [""]);
      case "distribution":
        return this.#allocate(this.#base(family), ["", "_sum", "_count"]);
      case "rate":
        return this.#allocate(withoutTotal(this.#base(family)), ["_total", "_rate"]);
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
