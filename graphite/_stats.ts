/**
 * The pushers' reports on themselves, under `/scales/graphite`: what was
 * sent, dropped and skipped, errors, reconnects, the queue and the last
 * success. Shared by every pusher in the process; made again after
 * `reset()` so tests that reset still see them.
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

/** The live stats object (replaced after `reset()`). */
export let STATS: ReturnType<typeof make> = make();

onReset(() => {
  STATS = make();
});
