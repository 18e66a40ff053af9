/**
 * The exporters' reports on themselves, under `/scales/<name>`
 * (`/scales/graphite`, `/scales/otlp`): what was pushed, sent, resent,
 * dropped, refused and skipped, errors, reconnects, the queue and the last
 * success. Shared by every pipeline of one name in the process; made when
 * the first pipeline is, and again after `reset()` when a pipeline next
 * reports.
 *
 * @module
 */

import { IntStat, Stat } from "../src/basic_stats.ts";
import { collection } from "../src/collection.ts";
import { onReset } from "../src/tree.ts";
import type { QueueGauge } from "./queue.ts";

/** The container path of the self-stats of the exporter `name`: `/scales/<name>`. */
export function pushStatsPath(name: string): string {
  return `/scales/${name}`;
}

function make(name: string, gauge: QueueGauge) {
  // Counters restart at 0 after reset(); the queue gauges read the live queues.
  return collection(
    pushStatsPath(name),
    IntStat("pushes"),
    IntStat("sent"),
    IntStat("resent"),
    IntStat("sentPushes"),
    IntStat("dropped"),
    IntStat("droppedPushes"),
    IntStat("rejected"),
    IntStat("rejectedPushes"),
    IntStat("skipped"),
    IntStat("errors"),
    IntStat("reconnects"),
    Stat("queued", () => gauge.values),
    Stat("queuedPushes", () => gauge.pushes),
    IntStat("lastSuccess"),
  );
}

/** The self-stats of one exporter name, as its pipelines update them. */
export type PushStats = ReturnType<typeof make>;

const gauges = new Map<string, QueueGauge>();
const current = new Map<string, PushStats>();

/**
 * What every live queue of the exporter `name` holds: the `queued` and
 * `queuedPushes` gauges read it. It outlives `reset()`, as the queues do.
 */
export function queueGauge(name: string): QueueGauge {
  let gauge = gauges.get(name);
  if (gauge === undefined) gauges.set(name, gauge = { pushes: 0, values: 0 });
  return gauge;
}

/**
 * The self-stats of the exporter `name`, made on first use: the tree shows
 * `/scales/<name>` only once a pipeline exists, and again after `reset()`
 * once a pipeline reports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getStats, reset } from "../src/tree.ts";
 * import { pushStats } from "./stats.ts";
 * reset();
 * pushStats("example").errors += 1;
 * assert.equal((getStats("/scales/example") as { errors: number }).errors, 1);
 * ```
 */
export function pushStats(name: string): PushStats {
  let stats = current.get(name);
  if (stats === undefined) current.set(name, stats = make(name, queueGauge(name)));
  return stats;
}

onReset(() => {
  current.clear();
});
