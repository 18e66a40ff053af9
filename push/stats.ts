/**
 * The exporters' reports on themselves, under `/scales/<name>`
 * (`/scales/graphite`, `/scales/otlp`): what was pushed, sent, resent,
 * dropped, refused and skipped, errors, reconnects, the queue and the last
 * success, in the tree the exporter pushes. Shared by every pipeline of
 * one name pushing one tree; made when the first such pipeline is, and
 * again after that tree's `reset()` when a pipeline next reports.
 *
 * @module
 */

import { IntStat, Stat } from "../src/basic_stats.ts";
import { defaultTree, type StatTree } from "../src/tree.ts";
import type { QueueGauge } from "./queue.ts";

/** The container path of the self-stats of the exporter `name`: `/scales/<name>`. */
export function pushStatsPath(name: string): string {
  return `/scales/${name}`;
}

function make(tree: StatTree, name: string, gauge: QueueGauge) {
  // Counters restart at 0 after reset(); the queue gauges read the live queues.
  return tree.collection(
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

/** One tree's self-stats and queue gauges, by exporter name. */
interface TreeEntry {
  readonly gauges: Map<string, QueueGauge>;
  readonly stats: Map<string, PushStats>;
}

const trees = new WeakMap<StatTree, TreeEntry>();

function entry(tree: StatTree): TreeEntry {
  let found = trees.get(tree);
  if (found === undefined) {
    const made: TreeEntry = { gauges: new Map(), stats: new Map() };
    tree.onReset(() => made.stats.clear());
    trees.set(tree, found = made);
  }
  return found;
}

/**
 * What every live queue of the exporter `name` pushing `tree` holds: the
 * `queued` and `queuedPushes` gauges read it. It outlives `reset()`, as
 * the queues do.
 */
export function queueGauge(name: string, tree: StatTree = defaultTree): QueueGauge {
  const { gauges } = entry(tree);
  let gauge = gauges.get(name);
  if (gauge === undefined) gauges.set(name, gauge = { pushes: 0, values: 0 });
  return gauge;
}

/**
 * The self-stats of the exporter `name` in `tree` (default: the default
 * tree), made on first use: the tree shows `/scales/<name>` only once a
 * pipeline exists, and again after a reset once a pipeline reports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StatTree } from "../src/tree.ts";
 * import { pushStats } from "./stats.ts";
 * const tree = new StatTree();
 * pushStats("example", tree).errors += 1;
 * assert.equal((tree.getStats("/scales/example") as { errors: number }).errors, 1);
 * ```
 */
export function pushStats(name: string, tree: StatTree = defaultTree): PushStats {
  const { stats } = entry(tree);
  let found = stats.get(name);
  if (found === undefined) stats.set(name, found = make(tree, name, queueGauge(name, tree)));
  return found;
}
