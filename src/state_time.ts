/**
 * {@linkcode StateTimeStat}: how long a small state machine spent in each state.
 *
 * @module
 */

import { describeValue } from "./log.ts";
import { joinPath } from "./path.ts";
import {
  type Aggregator,
  type CellContext,
  notifyAggregators,
  setSnapshotKey,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatSpec,
  statSpec,
} from "./stat.ts";

class StateTimeCell implements StatCell<string | null> {
  readonly type = "StateTimeStat";
  readonly kind: StatKind = "gaugeDict";
  aggregators: Aggregator[] | null = null;
  readonly #totals = new Map<string, number>();
  readonly #path: string;
  #state: string | null = null;
  #since = 0;

  constructor(readonly name: string, context: CellContext) {
    this.#path = context.path;
  }

  /** The value aggregators see: the current state (a `HistogramAggregationStat` counts it). */
  get stored(): string | null {
    return this.#state;
  }

  get(): string | null {
    return this.#state;
  }

  set(value: unknown): void {
    if (typeof value !== "string" && value !== null) {
      throw new TypeError(
        `StateTimeStat ${
          joinPath(this.#path, this.name)
        } takes a state name (string) or null, got ${describeValue(value)}`,
      );
    }
    const now = performance.now();
    this.#close(now);
    const old = this.#state;
    this.#state = value;
    this.#since = now;
    if (this.aggregators !== null) notifyAggregators(this.aggregators, undefined, old, value);
  }

  #close(now: number): void {
    if (this.#state === null) return;
    this.#totals.set(this.#state, (this.#totals.get(this.#state) ?? 0) + (now - this.#since));
  }

  snapshot(): SnapshotValue {
    const out: Record<string, number> = Object.fromEntries(this.#totals);
    const state = this.#state;
    if (state !== null) {
      const current = performance.now() - this.#since;
      setSnapshotKey(out, state, (this.#totals.get(state) ?? 0) + current);
    }
    return out;
  }
}

/**
 * Milliseconds spent in each state of a small state machine. Assign the new
 * state on every change (`null` for none); a snapshot includes the time spent
 * so far in the current state. Reading the property gives the current state,
 * and a same-named `HistogramAggregationStat` above counts the
 * containers in each current state.
 *
 * @example
 * ```ts
 * import { collection, getStats, reset, StateTimeStat } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/connection", StateTimeStat("state"));
 * STATS.state = "connecting";
 * STATS.state = "open";
 * assert.deepEqual(STATS.state, "open");
 * assert.deepEqual(Object.keys(getStats("/connection")?.state ?? {}), ["connecting", "open"]);
 * ```
 */
export function StateTimeStat<N extends string>(name: N): StatSpec<N, string | null> {
  return statSpec(
    "StateTimeStat",
    "gaugeDict",
    name,
    (context) => new StateTimeCell(name, context),
  );
}
