/**
 * Turning metric families (see `metricFamilies`) into Graphite plaintext
 * lines: the names, the rules and the name sanitizer. No I/O here, so it is
 * easy to test and to benchmark.
 *
 * A value's name is the prefix and its path segments joined by `.`: the
 * stat's path, then its label values (dict keys), then the field of a
 * distribution or a rate (`web.latency.99percentile`, `web.hits.m1`).
 *
 * @module
 */

import { metricFamilies, type MetricFamily } from "../src/model.ts";
import { joinPath } from "../src/path.ts";
import type { Snapshot, SnapshotValue } from "../src/stat.ts";
import { forbidden, pruned, type PruneRule, type PushRule } from "../push/rules.ts";

/** What formatting one push produced. */
export interface FormattedPush {
  /** The plaintext lines, each `name value timestamp\n`. */
  readonly text: string;
  /** How many lines `text` holds. */
  readonly lines: number;
  /** How many values could not be pushed: strings, NaN, Infinity, too-long names. */
  readonly skipped: number;
}

/** Names longer than this are skipped (and counted): Graphite tools cap names near here. */
export const MAX_NAME_LENGTH = 1000;

const SAFE_SEGMENT = /^[A-Za-z0-9_-]+$/;
const UNSAFE_CHARACTERS = /[^A-Za-z0-9_-]/gu;
const SPACES_AND_DOTS = /[ .]/g;

/**
 * Makes one name segment safe for the Graphite plaintext protocol: letters,
 * digits, `_` and `-` only. Spaces and dots become `-` (as the original
 * scales did), every other character (newlines, `/`, `;`, control
 * characters, non-ASCII) becomes `_`, one `_` per code point, and the empty
 * string becomes `_`. The result can neither end a line nor add a level.
 */
export function sanitizeSegment(segment: string): string {
  if (SAFE_SEGMENT.test(segment)) return segment;
  if (segment === "") return "_";
  return segment.replace(SPACES_AND_DOTS, "-").replace(UNSAFE_CHARACTERS, "_");
}

/**
 * Makes a prefix such as `my.server.prefix` safe: each dot-separated part is
 * sanitized and the result ends with one `.`. An empty prefix stays empty.
 */
export function sanitizePrefix(prefix: string): string {
  const trimmed = prefix.endsWith(".") ? prefix.slice(0, -1) : prefix;
  if (trimmed === "") return "";
  return trimmed.split(".").map(sanitizeSegment).join(".") + ".";
}

/** One push being formatted: the lines so far, and the rule checks it has made. */
class Lines {
  text = "";
  lines = 0;
  skipped = 0;
  readonly #suffix: string;
  readonly #prefix: string;
  readonly #rules: readonly PushRule[];
  readonly #prunes: readonly PruneRule[];
  readonly #filtering: boolean;
  /** Whether a branch (container, stat or key) is pruned, by path. */
  readonly #prunedBranches = new Map<string, boolean>();
  #container: readonly string[] | undefined;
  #containerName = "";
  #containerPruned = false;

  constructor(
    prefix: string,
    timestamp: number,
    rules: readonly PushRule[],
    prunes: readonly PruneRule[],
  ) {
    this.#prefix = prefix;
    this.#suffix = ` ${Math.floor(timestamp)}\n`;
    this.#rules = rules;
    this.#prunes = prunes;
    this.#filtering = rules.length > 0 || prunes.length > 0;
  }

  #pruned(path: string): boolean {
    let isPruned = this.#prunedBranches.get(path);
    if (isPruned === undefined) {
      isPruned = pruned(this.#prunes, path);
      this.#prunedBranches.set(path, isPruned);
    }
    return isPruned;
  }

  /** Starts a family: its container's name, and whether a branch above it is pruned. */
  family(family: MetricFamily): boolean {
    if (family.container !== this.#container) {
      this.#container = family.container;
      let name = this.#prefix;
      let path = "/";
      let pruned = false;
      for (const segment of family.container) {
        name += sanitizeSegment(segment) + ".";
        path = joinPath(path, segment);
        if (this.#filtering && !pruned) pruned = this.#pruned(path);
      }
      this.#containerName = name;
      this.#containerPruned = pruned;
    }
    return !this.#containerPruned;
  }

  /**
   * One value at the family's path plus `below` (label values, then a
   * field): pushed, skipped or left out by the rules.
   */
  value(
    family: MetricFamily,
    below: readonly string[],
    field: string | undefined,
    value: SnapshotValue,
  ): void {
    let name = this.#containerName + sanitizeSegment(family.name);
    for (const segment of below) name += "." + sanitizeSegment(segment);
    if (field !== undefined) name += "." + sanitizeSegment(field);
    if (this.#filtering) {
      let path = family.path;
      if (below.length > 0 || field !== undefined) {
        // Every branch between the stat and the leaf can be pruned too.
        if (this.#pruned(path)) return;
        for (const segment of below) {
          path = joinPath(path, segment);
          if (this.#pruned(path)) return;
        }
        if (field !== undefined) path = joinPath(path, field);
      }
      if (this.#prunes.length > 0 && pruned(this.#prunes, path)) return;
      if (forbidden(this.#rules, path, value)) return;
    }
    let text: string;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        this.skipped++;
        return;
      }
      text = String(value);
    } else {
      const last = field ?? (below.length > 0 ? below[below.length - 1] : family.name);
      if (typeof value === "string" && last !== "unit") this.skipped++;
      return;
    }
    if (name.length > MAX_NAME_LENGTH) {
      this.skipped++;
      return;
    }
    this.text += name + " " + text + this.#suffix;
    this.lines++;
  }
}

const NONE: readonly string[] = [];

/**
 * Formats metric families as Graphite plaintext lines, all with
 * `timestamp` (whole seconds). `prefix` must already be sanitized (see
 * {@linkcode sanitizePrefix}). Finite numbers are pushed (booleans arrive as
 * 1 and 0); text, errors, NaN and Infinity are skipped and counted, except a
 * value named `unit` (a meter's unit, metadata). Rules see each value's
 * path, such as `/web/latency/99percentile`; prunes see every branch above
 * it as well.
 */
export function formatFamilies(
  families: readonly MetricFamily[],
  prefix: string,
  timestamp: number,
  rules: readonly PushRule[] = [],
  prunes: readonly PruneRule[] = [],
): FormattedPush {
  const out = new Lines(prefix, timestamp, rules, prunes);
  for (const family of families) {
    if (!out.family(family)) continue;
    const kind = family.kind;
    switch (kind) {
      case "counter":
      case "gauge":
      case "text":
        for (const point of family.points) {
          out.value(family, point.labelValues, undefined, point.value);
        }
        break;
      case "distribution":
        for (const point of family.points) {
          const summary: Readonly<Record<string, number>> = point.value.summary;
          for (const field in summary) out.value(family, point.labelValues, field, summary[field]);
        }
        break;
      case "rate":
        for (const point of family.points) {
          const rate: Readonly<Record<string, number>> = point.value;
          for (const field in rate) out.value(family, point.labelValues, field, rate[field]);
        }
        break;
      case "error":
        out.value(family, NONE, undefined, family.message);
        break;
      default: {
        const _: never = kind;
      }
    }
  }
  return { text: out.text, lines: out.lines, skipped: out.skipped };
}

/**
 * Formats `snapshot` as Graphite plaintext lines, all with `timestamp`
 * (whole seconds): {@linkcode formatFamilies} of the snapshot's families.
 * Objects become name segments; finite numbers are pushed, booleans as
 * `1`/`0`; strings, NaN and Infinity are skipped and counted; `null` and
 * the string `unit` of meters are metadata, skipped silently.
 */
export function formatSnapshot(
  snapshot: Snapshot,
  prefix: string,
  timestamp: number,
  rules: readonly PushRule[] = [],
  prunes: readonly PruneRule[] = [],
): FormattedPush {
  return formatFamilies(metricFamilies(snapshot), prefix, timestamp, rules, prunes);
}
