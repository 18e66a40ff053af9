/**
 * {@linkcode joinWorkers}: one view of the stats of every worker or process
 * of a server.
 *
 * @module
 */

import { setGroupOf, setMissingOf } from "../src/_group_registry.ts";
import { DoubleStat, IntStat, Stat } from "../src/basic_stats.ts";
import { describeValue, log } from "../src/log.ts";
import type { Snapshot } from "../src/stat.ts";
import { defaultTree, type StatTree } from "../src/tree.ts";
import { mergeStates, type WorkerState } from "../src/worker_merge.ts";
import { treeState } from "../src/worker_state.ts";
import { broadcastTransport } from "./_broadcast.ts";
import type { Transport, TransportContext } from "./_transport.ts";

/** Default time a view waits for the other workers. */
export const DEFAULT_DEADLINE_MS = 1000;

/**
 * How the members of a group reach each other:
 * - `"broadcast"`: a `BroadcastChannel`, for workers of one process
 *   (`deno serve --parallel`, Deno `Worker`s, Node `worker_threads`);
 * - `"directory"`: a directory of unix sockets and state files, for
 *   processes on one host (node:cluster, PM2, independent processes);
 * - `"auto"` (default): `"directory"` when a `directory` is given, in a
 *   node:cluster worker, or under PM2; else `"broadcast"`. Independent
 *   processes say `"directory"` themselves.
 */
export type TransportChoice = "auto" | "broadcast" | "directory";

/** Options of {@linkcode joinWorkers}. */
export interface JoinWorkersOptions {
  /** The tree this worker contributes and whose views become merged (default: `defaultTree`). */
  readonly tree?: StatTree;
  /**
   * The group's name (default `"scales"`): members of the same group see
   * each other. Two servers on one host need different names.
   */
  readonly group?: string;
  /**
   * This worker's name as views show it (default: the process id for the
   * directory transport, a random `w-xxxxxxxx` for the broadcast one).
   */
  readonly name?: string;
  /** How members reach each other; see {@linkcode TransportChoice}. */
  readonly transport?: TransportChoice;
  /**
   * For the directory transport: the directory (default: under the system
   * temporary directory, named after the cluster's primary, the PM2 app,
   * or the group).
   */
  readonly directory?: string;
  /** How long a view waits for the other workers, in milliseconds (default 1000). */
  readonly deadlineMs?: number;
}

/** A joined group; see {@linkcode joinWorkers}. `await using` leaves it. */
export interface WorkerGroup extends AsyncDisposable {
  /** This worker's name in the group (known once {@linkcode WorkerGroup.ready} has settled). */
  readonly worker: string;
  /** Settles once this worker has joined (or failed to join, which is logged: views stay local). */
  readonly ready: Promise<void>;
  /** The local tree this worker contributes. */
  readonly tree: StatTree;
  /** The workers the last view saw (answering or not), this one first. */
  readonly workers: readonly string[];
  /**
   * A fresh read-only tree with the whole group's stats merged, or one
   * worker's alone when `worker` is given (`undefined` when no worker has
   * that name). Settles within the deadline; workers that did not answer
   * in time count with their last known state and are named at
   * `/scales/workers/missing`.
   */
  view(worker?: string): Promise<StatTree | undefined>;
  /**
   * The merged tree built at once, without asking anyone: this worker's
   * current stats with the other workers' as of the last
   * {@linkcode WorkerGroup.view} (this worker alone before the first).
   * `/scales/workers/othersAgeMs` says how old the others' part is. For
   * what cannot wait, such as the crash dump written as the process ends.
   */
  lastKnownView(): StatTree;
  /** The merged view's snapshot under `path` (default: all); the group's `getStats`. */
  getMergedStats(path?: string): Promise<Snapshot | undefined>;
  /**
   * Whether this worker is the one that should do once-per-group work (a
   * Graphite push): the first, by name, of the members alive now (asked
   * within the deadline). Every worker agrees unless members come or go
   * meanwhile.
   */
  isLeader(): Promise<boolean>;
  /** Leaves the group, leaving this worker's totals behind in the others' views. */
  leave(): Promise<void>;
}

const joined = new WeakMap<StatTree, WorkerGroup>();

/** The transport `"auto"` means here (see {@linkcode TransportChoice}). */
async function chooseTransport(
  choice: TransportChoice,
  directory: string | undefined,
): Promise<"broadcast" | "directory"> {
  if (choice !== "auto") return choice;
  if (directory !== undefined) return "directory";
  const { isGroupProcess } = await import("./_detect_node.ts");
  return isGroupProcess() ? "directory" : "broadcast";
}

async function makeTransport(
  choice: TransportChoice,
  context: TransportContext,
  directory: string | undefined,
): Promise<Transport> {
  if (await chooseTransport(choice, directory) === "broadcast") return broadcastTransport(context);
  const { directoryTransport } = await import("./_directory_node.ts");
  return await directoryTransport(context, directory);
}

/**
 * Joins this worker (thread or process) to the group of the server's
 * workers. Call it once in every worker, at start; a second call for the
 * same tree returns the same group. From then on `serveInBackground` for
 * that tree answers with the whole group merged (one worker listens; the
 * others stand by without an error), and {@linkcode WorkerGroup.view} /
 * {@linkcode WorkerGroup.getMergedStats} give the merged tree to any other
 * consumer (its `tree` option). `getStats()` stays local.
 *
 * Nothing is sent while the application runs: a worker's state is read
 * only when a view is taken (and, for the directory transport, saved every
 * few seconds so that its totals outlive it).
 *
 * @example
 * ```ts
 * import { IntStat, joinWorkers, StatTree } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * tree.collection("/web", IntStat("requests")).requests += 3;
 * await using group = joinWorkers({ tree, group: "example-join" });
 * assert.deepEqual(await group.getMergedStats("/web"), { requests: 3 });
 * ```
 */
export function joinWorkers(options: JoinWorkersOptions = {}): WorkerGroup {
  const tree = options.tree ?? defaultTree;
  const existing = joined.get(tree);
  if (existing !== undefined) return existing;
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  if (!(deadlineMs > 0) || !Number.isFinite(deadlineMs)) {
    throw new TypeError(
      `joinWorkers: deadlineMs must be a positive number, got ${describeValue(deadlineMs)}`,
    );
  }
  const groupName = options.group ?? "scales";
  if (typeof groupName !== "string" || !/^[A-Za-z0-9._-]+$/.test(groupName)) {
    throw new TypeError(
      `joinWorkers: group must be letters, digits, ".", "_" or "-", got ${
        describeValue(groupName)
      }`,
    );
  }
  const choice = options.transport ?? "auto";
  if (choice !== "auto" && choice !== "broadcast" && choice !== "directory") {
    throw new TypeError(
      `joinWorkers: transport must be "auto", "broadcast" or "directory", got ${
        describeValue(choice)
      }`,
    );
  }
  const context: TransportContext = { tree, name: options.name, group: groupName };
  let current: Transport | undefined;
  const ready: Promise<Transport | undefined> =
    (choice === "broadcast"
      ? Promise.resolve().then(() => broadcastTransport(context))
      : makeTransport(choice, context, options.directory)).then(
        (transport) => current = transport,
        (error) => {
          log(
            `workers: cannot join the group ${JSON.stringify(groupName)}; views stay local`,
            error,
          );
          return undefined;
        },
      );
  let workers: readonly string[] = [];
  let left = false;
  /** The other workers' states as of the last view, and when it was taken. */
  let others: readonly WorkerState[] = [];
  let othersAt = 0;

  const view = async (worker?: string): Promise<StatTree | undefined> => {
    const started = performance.now();
    const self: WorkerState = { worker: group.worker, state: treeState(tree) };
    const transport = left ? undefined : await ready;
    if (transport === undefined) {
      workers = [self.worker];
      if (worker !== undefined && worker !== self.worker) return undefined;
      return mergeStates([self], { single: true });
    }
    const gathered = await transport.gather(deadlineMs, self.state);
    const live: WorkerState[] = [self, ...gathered.answers];
    const stale: WorkerState[] = [];
    for (const { worker: name, state } of gathered.missing) {
      if (state !== undefined) stale.push({ worker: name, state });
    }
    others = [...gathered.answers, ...stale, ...gathered.departed];
    othersAt = Date.now();
    workers = [...live, ...gathered.missing].map((w) => w.worker);
    const missing = gathered.missing.map((m) => m.worker);
    if (worker !== undefined) {
      const one = [...live, ...stale].find((w) => w.worker === worker);
      if (one === undefined) return undefined;
      const alone = mergeStates([one], { single: true });
      setMissingOf(alone, missing.includes(worker) ? [worker] : []);
      return alone;
    }
    const merged = mergeStates([...live, ...stale, ...gathered.departed]);
    setMissingOf(merged, missing);
    const stats = merged.collection(
      "/scales/workers",
      IntStat("live"),
      IntStat("departed"),
      Stat("missing", ""),
      DoubleStat("collectMs"),
      Stat("answeredBy", ""),
    );
    stats.answeredBy = self.worker;
    stats.live = live.length;
    stats.departed = gathered.departed.length;
    stats.missing = gathered.missing.length === 0
      ? ""
      : `${
        gathered.missing.map((m) => m.worker).join(", ")
      } (no answer within ${deadlineMs} ms; last known values shown)`;
    stats.collectMs = Math.round((performance.now() - started) * 1000) / 1000;
    return merged;
  };

  const lastKnownView = (): StatTree => {
    const self: WorkerState = { worker: group.worker, state: treeState(tree) };
    if (others.length === 0) return mergeStates([self], { single: true });
    const merged = mergeStates([self, ...others]);
    const stats = merged.collection(
      "/scales/workers",
      Stat("answeredBy", ""),
      DoubleStat("othersAgeMs"),
    );
    stats.answeredBy = self.worker;
    stats.othersAgeMs = Date.now() - othersAt;
    return merged;
  };

  const leave = async (): Promise<void> => {
    if (left) return;
    left = true;
    joined.delete(tree);
    setGroupOf(tree, undefined);
    await (await ready)?.close();
  };

  const group: WorkerGroup = {
    get worker() {
      return current?.worker ?? options.name ?? "self";
    },
    tree,
    ready: ready.then(() => {}),
    get workers() {
      return workers;
    },
    view,
    lastKnownView,
    getMergedStats: async (path = "/") => (await view())?.getStats(path),
    isLeader: async () => {
      const transport = left ? undefined : await ready;
      if (transport === undefined) return true;
      const members = [...await transport.alive(deadlineMs)].sort();
      return members[0] === transport.worker;
    },
    leave,
    [Symbol.asyncDispose]: leave,
  };
  joined.set(tree, group);
  setGroupOf(tree, group);
  return group;
}
