/**
 * The container of bench/render_bench.ts's 10,000-stat tree, shared with
 * the page tests: ten stats of every common kind.
 *
 * @module
 */

import { DoubleStat, IntDictStat, IntStat, MeterStat, PmfStat, Stat } from "@scales/core";

/** The ten stats of one container: 4 counters, 2 doubles, a string, a dict, a distribution, a meter. */
export function benchContainerStats() {
  return [
    IntStat("requests"),
    IntStat("errors"),
    IntStat("timeouts"),
    IntStat("retries"),
    DoubleStat("load"),
    DoubleStat("queueDepth"),
    Stat("state", "serving"),
    IntDictStat("byStatus"),
    PmfStat("latency"),
    MeterStat("hits"),
  ] as const;
}
