/**
 * The pushers' reports on themselves, under `/scales/graphite`: what was
 * sent, dropped and skipped, errors, reconnects, the queue and the last
 * success. Shared by every pusher in the process; made when the first
 * pusher is, and again after `reset()` when a pusher next reports.
 *
 * @module
 */

import { IntStat, Stat } from "../src/basic_stats.ts";
import { collection } from "../src/collection.ts";
import { onReset } from "../src/tree.ts";

/** The container path of the pushers' own stats. */
export const GRAPHITE_STATS_PATH = "/scales/graphite";

/** What every live pusher has queued, for the `queued` gauges. */
export const queue = { pushes: 0, lines: 0 };

function make() {
  // Counters restart at 0 after reset(); the queue gauges read the live queue.
  return collection(
    GRAPHITE_STATS_PATH,
    IntStat("pushes"),
    IntStat("sent"),
    IntStat("resent"),
    IntStat("sentPushes"),
    IntStat("dropped"),
    IntStat("droppedPushes"),
    IntStat("skipped"),
    IntStat("errors"),
    IntStat("reconnects"),
    Stat("queued", () => queue.lines),
    Stat("queuedPushes", () => queue.pushes),
    IntStat("lastSuccess"),
  );
}

let current: ReturnType<typeof make> | undefined;

/**
 * The pushers' stats, made on first use: the tree shows `/scales/graphite`
 * only once a pusher exists, and again after `reset()` once a pusher reports.
 */
export function graphiteStats(): ReturnType<typeof make> {
  return current ??= make();
}

onReset(() => {
  current = undefined;
});
