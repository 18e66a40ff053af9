/**
 * {@linkcode StatHistory}: an opt-in, bounded, in-process record of the
 * recent past of the numbers the viewer charts, so that a page opened
 * during an incident shows what led up to it.
 *
 * Two rings per series: the last `keep` samples at `intervalMs` (default 90
 * at 10 s: 15 minutes) and the last `longKeep` samples at `longIntervalMs`
 * (default 60 at 1 minute: an hour). Memory is fixed when a series first
 * appears (typed arrays that never grow) and the number of series is
 * capped by `maxSeries`, so {@linkcode StatHistory.byteBound} bounds it.
 * Nothing is sampled until `start()` (or `sample()`), and nothing at all
 * when no history is made.
 *
 * @module
 */

import { unrefInterval } from "../runtime/mod.ts";
import { PERCENTILES } from "./pmf.ts";
import { RATES } from "./meter.ts";
import type { SnapshotValue, StatKind } from "./stat.ts";
import { defaultTree, readCell, type StatNode, type StatTree } from "./tree.ts";
import { joinPath } from "./path.ts";

/** The quantiles the viewer charts for a distribution, and the history keeps. */
export const CHARTED_QUANTILES: readonly number[] = [0.5, 0.99, 0.999];

/** The distribution fields the history keeps (those of {@linkcode CHARTED_QUANTILES}). */
const PMF_FIELDS: ReadonlySet<string> = new Set(
  PERCENTILES.filter((p) => CHARTED_QUANTILES.includes(p.quantile)).map((p) => p.field),
);

/** The meter fields the history keeps: the moving averages, not the all-time mean. */
const METER_FIELDS: ReadonlySet<string> = new Set(
  RATES.filter((r) => r.field !== "mean").map((r) => r.field),
);

/** Options of {@linkcode StatHistory}. */
export interface StatHistoryOptions {
  /** The tree to sample (default: {@linkcode defaultTree}); give the viewer the same one. */
  readonly tree?: StatTree;
  /** The containers to sample, with everything below them (default `["/"]`). */
  readonly paths?: readonly string[];
  /** Milliseconds between samples (default 10,000; at least 100). */
  readonly intervalMs?: number;
  /** Samples kept at `intervalMs` (default 90: 15 minutes at 10 s). */
  readonly keep?: number;
  /** Milliseconds between the long ring's samples, a multiple of `intervalMs` (default 60,000). */
  readonly longIntervalMs?: number;
  /** Samples kept at `longIntervalMs` (default 60: an hour at 1 minute; 0 for none). */
  readonly longKeep?: number;
  /** The most series kept (default 1,000); numbers met beyond it are counted, not kept. */
  readonly maxSeries?: number;
}

/**
 * What {@linkcode StatHistory.read} returns, ready for `JSON.stringify`:
 * sample times and, per series, the values at those times (`null` where
 * the series had no value). A series is named `path + " " + keys`, where
 * `keys` is `""` for a plain number and the JSON array of the keys below
 * the stat otherwise: `/web/requests `, `/web/latency ["99percentile"]`,
 * `/web/byStatus ["404"]`.
 */
export interface HistoryData {
  /** The sampling interval of the recent ring, in milliseconds. */
  readonly intervalMs: number;
  /** Sample times (milliseconds since the epoch), oldest first. */
  readonly t: readonly number[];
  /** Values by series name, one per time in `t`. */
  readonly series: { readonly [name: string]: readonly (number | null)[] };
  /** Numbers in the last sample that were not kept because `maxSeries` was reached. */
  readonly unsampled: number;
}

/** Bytes per series beyond its values: its name, the map entry, the typed arrays' headers. */
const SERIES_OVERHEAD_BYTES = 640;
/** Longest series name counted in {@linkcode StatHistory.byteBound}; longer names count extra. */
const NAME_BYTES = 128;

interface Series {
  readonly recent: Float64Array;
  readonly long: Float64Array;
  /** The tick of the last sample that had a value for this series. */
  seen: number;
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `StatHistory ${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The fields kept below a stat of `kind` at `depth` (0: the stat's own value), or `undefined` for all. */
function keptFields(kind: StatKind, depth: number): ReadonlySet<string> | undefined {
  if ((kind === "pmf" && depth === 0) || (kind === "pmfDict" && depth === 1)) return PMF_FIELDS;
  if ((kind === "meter" && depth === 0) || (kind === "meterDict" && depth === 1)) {
    return METER_FIELDS;
  }
  return undefined;
}

/**
 * A bounded history of the numbers under some containers of a tree: every
 * `intervalMs` it reads each stat once (as a snapshot would) and keeps
 * counters, gauges and dict entries as they are, a distribution's p50, p99
 * and p99.9, and a meter's m1, m5 and m15. The viewer
 * ({@linkcode statsHandler}'s `history` option) charts them as soon as a
 * page opens. Memory stays under {@linkcode StatHistory.byteBound}.
 *
 * @example Keep a history and read it back
 * ```ts
 * import { IntStat, StatHistory, StatTree } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * const web = tree.collection("/web", IntStat("requests"));
 * const history = new StatHistory({ tree, intervalMs: 1_000 });
 * history.sample(1_000);
 * web.requests += 5;
 * history.sample(2_000);
 * assert.deepEqual(history.read("/web"), {
 *   intervalMs: 1_000,
 *   t: [1_000, 2_000],
 *   series: { "/web/requests ": [0, 5] },
 *   unsampled: 0,
 * });
 * // In a server: history.start(), then statsHandler({ tree, history }).
 * ```
 */
export class StatHistory implements Disposable {
  /** Milliseconds between samples. */
  readonly intervalMs: number;
  /** Samples kept at `intervalMs`. */
  readonly keep: number;
  /** Milliseconds between the long ring's samples. */
  readonly longIntervalMs: number;
  /** Samples kept at `longIntervalMs`. */
  readonly longKeep: number;
  /** The most series kept. */
  readonly maxSeries: number;
  readonly #tree: StatTree;
  readonly #paths: readonly string[];
  readonly #every: number;
  readonly #times: Float64Array;
  readonly #longTimes: Float64Array;
  readonly #series = new Map<string, Series>();
  #tick = 0;
  #unsampled = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Checks the options; samples nothing until {@linkcode start} or {@linkcode sample}. */
  constructor(options: StatHistoryOptions = {}) {
    this.#tree = options.tree ?? defaultTree;
    this.#paths = [...(options.paths ?? ["/"])];
    for (const path of this.#paths) {
      if (typeof path !== "string" || !path.startsWith("/")) {
        throw new TypeError(
          `StatHistory paths must start with "/", got ${JSON.stringify(path)}`,
        );
      }
    }
    this.intervalMs = positiveInteger("intervalMs", options.intervalMs ?? 10_000, 100);
    this.keep = positiveInteger("keep", options.keep ?? 90, 2);
    this.longIntervalMs = positiveInteger(
      "longIntervalMs",
      options.longIntervalMs ?? Math.max(60_000, this.intervalMs),
      this.intervalMs,
    );
    if (this.longIntervalMs % this.intervalMs !== 0) {
      throw new RangeError(
        `StatHistory longIntervalMs must be a multiple of intervalMs (${this.intervalMs}), got ${this.longIntervalMs}`,
      );
    }
    this.longKeep = positiveInteger("longKeep", options.longKeep ?? 60, 0);
    this.maxSeries = positiveInteger("maxSeries", options.maxSeries ?? 1_000, 1);
    this.#every = this.longIntervalMs / this.intervalMs;
    this.#times = new Float64Array(this.keep).fill(NaN);
    this.#longTimes = new Float64Array(this.longKeep).fill(NaN);
  }

  /**
   * The most bytes the history holds (series names up to 128 characters;
   * each longer name adds its extra length twice): `maxSeries` series of
   * `keep + longKeep` numbers plus a fixed overhead each, and the time rings.
   * With the defaults, 1,000 × (150 × 8 + 640 + 256) + 150 × 8 bytes, about 2.1 MB.
   */
  get byteBound(): number {
    const values = (this.keep + this.longKeep) * 8;
    return this.maxSeries * (values + SERIES_OVERHEAD_BYTES + 2 * NAME_BYTES) + values;
  }

  /** The number of series held now. */
  get seriesCount(): number {
    return this.#series.size;
  }

  /** Samples now and then every `intervalMs`, on a timer that does not keep the process alive. Returns `this`. */
  start(): this {
    if (this.#timer === undefined) {
      this.sample();
      this.#timer = unrefInterval(() => this.sample(), this.intervalMs);
    }
    return this;
  }

  /** Stops sampling; what was kept stays readable. Safe to call twice. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops sampling (for `using`). */
  [Symbol.dispose](): void {
    this.stop();
  }

  /**
   * Takes one sample, stamped `now` (milliseconds since the epoch). Reads
   * each stat under the paths once; a stat that fails to read is left out
   * of this sample. Never throws.
   */
  sample(now: number = Date.now()): void {
    const tick = this.#tick++;
    const index = tick % this.keep;
    this.#times[index] = now;
    for (const series of this.#series.values()) series.recent[index] = NaN;
    this.#unsampled = 0;
    const seen = new Set<StatNode>();
    for (const path of this.#paths) {
      const node = this.#tree.findNode(path);
      if (node !== undefined) this.#visit(node, index, tick, seen);
    }
    if (this.longKeep > 0 && tick % this.#every === 0) {
      const longIndex = (tick / this.#every) % this.longKeep;
      this.#longTimes[longIndex] = now;
      for (const series of this.#series.values()) series.long[longIndex] = series.recent[index];
    }
    const forgetBefore = tick - this.keep - this.longKeep * this.#every;
    for (const [name, series] of this.#series) {
      if (series.seen < forgetBefore) this.#series.delete(name);
    }
  }

  #visit(node: StatNode, index: number, tick: number, seen: Set<StatNode>): void {
    if (seen.has(node)) return;
    seen.add(node);
    for (const [name, cell] of node.cells) {
      const value = readCell(cell, node);
      this.#record(joinPath(node.path, name), cell.kind, value, [], index, tick);
    }
    for (const child of node.children.values()) this.#visit(child, index, tick, seen);
  }

  #record(
    path: string,
    kind: StatKind,
    value: SnapshotValue,
    keys: string[],
    index: number,
    tick: number,
  ): void {
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return;
      const name = keys.length === 0 ? `${path} ` : `${path} ${JSON.stringify(keys)}`;
      let series = this.#series.get(name);
      if (series === undefined) {
        if (this.#series.size >= this.maxSeries) {
          this.#unsampled++;
          return;
        }
        series = {
          recent: new Float64Array(this.keep).fill(NaN),
          long: new Float64Array(this.longKeep).fill(NaN),
          seen: tick,
        };
        this.#series.set(name, series);
      }
      series.recent[index] = value;
      series.seen = tick;
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const fields = keptFields(kind, keys.length);
    for (const key of Object.keys(value)) {
      if (fields !== undefined && !fields.has(key)) continue;
      keys.push(key);
      this.#record(path, kind, value[key], keys, index, tick);
      keys.pop();
    }
  }

  /**
   * The kept samples of the series at `path` and below, oldest first: the
   * long ring's samples from before the recent ring, then the recent ring.
   * Series with no value in that span are left out.
   */
  read(path: string = "/"): HistoryData {
    const order: Array<{ ring: "recent" | "long"; index: number; t: number }> = [];
    const oldestRecent = this.#tick < this.keep ? 0 : this.#tick % this.keep;
    const recentCount = Math.min(this.#tick, this.keep);
    const firstRecentTime = recentCount === 0 ? Infinity : this.#times[oldestRecent];
    const longTicks = this.longKeep === 0 ? 0 : Math.ceil(this.#tick / this.#every);
    const longCount = Math.min(longTicks, this.longKeep);
    const oldestLong = longTicks < this.longKeep ? 0 : longTicks % this.longKeep;
    for (let i = 0; i < longCount; i++) {
      const index = (oldestLong + i) % this.longKeep;
      const t = this.#longTimes[index];
      if (t < firstRecentTime) order.push({ ring: "long", index, t });
    }
    for (let i = 0; i < recentCount; i++) {
      const index = (oldestRecent + i) % this.keep;
      order.push({ ring: "recent", index, t: this.#times[index] });
    }
    const prefix = path === "/" ? "/" : `${path}/`;
    const series: Record<string, (number | null)[]> = {};
    for (const [name, s] of this.#series) {
      if (!name.startsWith(prefix) && !name.startsWith(`${path} `)) continue;
      let any = false;
      const values = order.map(({ ring, index }) => {
        const v = s[ring][index];
        if (Number.isNaN(v)) return null;
        any = true;
        return v;
      });
      if (any) series[name] = values;
    }
    return {
      intervalMs: this.intervalMs,
      t: order.map((o) => o.t),
      series,
      unsampled: this.#unsampled,
    };
  }
}
