/**
 * Test helpers for the viewer's Prometheus output: stats with fixed
 * snapshots (exact expected text), and `promtool`.
 *
 * @module
 */

import {
  type ExponentialHistogramData,
  findNode,
  reset,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatSpec,
} from "@scales/core";
import { run } from "./_system.ts";

export { freePort, skipUnless } from "./_system.ts";

/**
 * A stat whose snapshot is always `value` (or whose read throws `value` when
 * it is an Error), and whose all-time buckets are `histogram` (one, or one
 * per dict key), when given.
 */
export function FixedStat<N extends string>(
  name: N,
  type: string,
  kind: StatKind,
  value: SnapshotValue | Error,
  histogram?: ExponentialHistogramData | Readonly<Record<string, ExponentialHistogramData>>,
): StatSpec<N, SnapshotValue> {
  return {
    name,
    type,
    kind,
    create: (): StatCell<SnapshotValue> => ({
      name,
      type,
      kind,
      aggregators: null,
      get() {
        if (value instanceof Error) throw value;
        return value;
      },
      set() {
        throw new TypeError(`${name} is fixed`);
      },
      snapshot() {
        if (value instanceof Error) throw value;
        return value;
      },
      ...(histogram === undefined ? {} : {
        histogram(labelValues?: readonly string[]): ExponentialHistogramData | undefined {
          const key = labelValues?.[0];
          if (key === undefined) return histogram as ExponentialHistogramData;
          return (histogram as Record<string, ExponentialHistogramData>)[key];
        },
      }),
    }),
  };
}

/** A PmfStat-shaped snapshot with round numbers. */
export const PMF_SNAPSHOT = {
  count: 10,
  sum: 150,
  min: 1,
  max: 40,
  mean: 15,
  stddev: 5,
  median: 12,
  "75percentile": 20,
  "95percentile": 30,
  "98percentile": 35,
  "99percentile": 38,
  "999percentile": 40,
} as const;

/** A MeterStat-shaped snapshot with round numbers. */
export const METER_SNAPSHOT = {
  count: 42,
  m1: 1.5,
  m5: 1.25,
  m15: 1,
  mean: 2,
  unit: "per second",
} as const;

/**
 * A hand-made all-time histogram at scale 3 of the samples 1, 2, 2, 4 and
 * 0: the positive buckets 0 to 8 hold 1, 0, …, 2, 0, …, 1 (bucket i covers
 * (2^(i/8), 2^((i+1)/8)]); one sample counts as zero.
 */
export const HISTOGRAM: ExponentialHistogramData = {
  scale: 3,
  zeroThreshold: 0,
  zeroCount: 1,
  // 1 is in bucket -1 ((2^(-1/8), 1]); 2 in bucket 7 ((2^(7/8), 2]); 4 in bucket 15.
  positive: { offset: -1, counts: [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1] },
  negative: { offset: 0, counts: [] },
  count: 5,
  sum: 9,
  min: 0,
  max: 4,
};

/** Runs `promtool check metrics` on `text`; returns its exit code and output. */
export function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return run("/usr/bin/promtool", ["check", "metrics"], text);
}

/**
 * `reset()`, then takes the library's own stats (`/scales`, such as the
 * Graphite pusher's counters) out of the tree, so that whole-tree outputs
 * in these tests hold only the stats the test made.
 */
export function resetToEmptyTree(): void {
  reset();
  findNode("/")?.children.delete("scales");
}
