/**
 * {@linkcode pushMergedPeriodically}: exactly one push of the merged tree per
 * period for a whole group of workers (a Graphite pusher, or anything with
 * `push(snapshot)`).
 *
 * @module
 */

import { unrefTimeout } from "../runtime/mod.ts";
import { IntStat } from "../src/basic_stats.ts";
import { describeValue, log } from "../src/log.ts";
import type { Snapshot } from "../src/stat.ts";
import type { WorkerGroup } from "./group.ts";

/** What pushes a snapshot somewhere, such as a `GraphitePusher`. */
export interface SnapshotPusher {
  /** Pushes `snapshot`; resolves to whether it was delivered. */
  push(snapshot: Snapshot): Promise<boolean>;
}

/** Options of {@linkcode pushMergedPeriodically}. */
export interface PushMergedOptions {
  /** The period in milliseconds (default 60,000); pushes happen on multiples of it since the epoch. */
  readonly periodMs?: number;
}

/** A running group push; `await using` (or `stop()`) ends it in this worker. */
export interface MergedPush extends AsyncDisposable {
  /**
   * One period's work now: if this worker leads the group, takes the merged
   * view and pushes it. Resolves to `"pushed"`, `"failed"` (not delivered)
   * or `"follower"` (another worker pushes).
   */
  pushOnce(): Promise<"pushed" | "failed" | "follower">;
  /** Stops pushing from this worker; the others go on. */
  stop(): Promise<void>;
}

/**
 * Call it in every worker, with the same period: at each multiple of
 * `periodMs`, the group's leader (the first member alive, by name; see
 * {@linkcode WorkerGroup.isLeader}) takes the merged view and pushes it, and
 * the other workers do nothing. If the leader dies, the next one pushes
 * from the next period on. A pusher's queue lives in its worker: what the
 * departed leader had not delivered is lost, but counters are cumulative,
 * so the next push carries their totals. Pushes by this worker are counted
 * at `/scales/workers/pushes` of its tree (`pushFailures` when not
 * delivered), which the merged view adds up over the group.
 *
 * @example
 * ```ts
 * import { IntStat, joinWorkers, pushMergedPeriodically, type Snapshot, StatTree } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * tree.collection("/web", IntStat("requests")).requests += 2;
 * await using group = joinWorkers({ tree, group: "example-push" });
 * const pushed: Snapshot[] = [];
 * await using push = pushMergedPeriodically(group, {
 *   push: (snapshot) => (pushed.push(snapshot), Promise.resolve(true)),
 * });
 * assert.deepEqual(await push.pushOnce(), "pushed");
 * assert.deepEqual(pushed[0]?.web, { requests: 2 });
 * ```
 */
export function pushMergedPeriodically(
  group: WorkerGroup,
  pusher: SnapshotPusher,
  options: PushMergedOptions = {},
): MergedPush {
  const periodMs = options.periodMs ?? 60_000;
  if (typeof periodMs !== "number" || !Number.isFinite(periodMs) || periodMs < 1) {
    throw new TypeError(
      `pushMergedPeriodically: periodMs must be a number of at least 1, got ${
        describeValue(periodMs)
      }`,
    );
  }
  const stats = group.tree.collection(
    "/scales/workers",
    IntStat("pushes"),
    IntStat("pushFailures"),
  );
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> = Promise.resolve();

  const pushOnce = async (): Promise<"pushed" | "failed" | "follower"> => {
    if (!await group.isLeader()) return "follower";
    const tree = await group.view();
    const delivered = await pusher.push(tree?.getStats() ?? {});
    if (delivered) stats.pushes += 1;
    else stats.pushFailures += 1;
    return delivered ? "pushed" : "failed";
  };

  const schedule = () => {
    if (stopped) return;
    const now = Date.now();
    timer = unrefTimeout(() => {
      running = pushOnce().catch((error) => log("workers: the group push failed", error)).finally(
        schedule,
      );
    }, Math.ceil((now + 1) / periodMs) * periodMs - now);
  };
  schedule();

  const stop = async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
  return { pushOnce, stop, [Symbol.asyncDispose]: stop };
}
