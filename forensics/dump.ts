/**
 * Crash forensics: the stat tree written to a JSON file, atomically, now
 * ({@linkcode dumpStatsTo}) or every period and at exit
 * ({@linkcode PeriodicFileDumper}).
 *
 * @module
 */

import { groupOf } from "../src/_group_registry.ts";
import { describeValue, log } from "../src/log.ts";
import type { Snapshot } from "../src/stat.ts";
import { defaultTree, type StatTree } from "../src/tree.ts";
import { checkPeriodMs } from "../push/options.ts";
import { runtime, type RuntimeAdapter, unrefInterval } from "../runtime/mod.ts";

/** The document a dump writes: the snapshot, plus when it was taken. */
export type StatsDump = Snapshot & { "last-updated": string };

function render(now: Date, tree: StatTree): string {
  const dump: Snapshot = { "last-updated": now.toISOString(), ...tree.getStats() };
  return JSON.stringify(dump, null, 2) + "\n";
}

/**
 * The tree a dump writes: a joined tree's group view when `merged` is not
 * `false` (waiting up to the group's deadline), else `tree` itself.
 */
async function viewOf(tree: StatTree, merged: boolean | undefined): Promise<StatTree> {
  const group = merged === false ? undefined : groupOf(tree);
  return (await group?.view()) ?? tree;
}

/** What the synchronous dump at exit writes: a joined tree's last known merged view. */
function viewNow(tree: StatTree, merged: boolean | undefined): StatTree {
  const group = merged === false ? undefined : groupOf(tree);
  return group?.lastKnownView() ?? tree;
}

function checkPath(path: unknown, what: string): string {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`${what} takes a non-empty file path, got ${describeValue(path)}`);
  }
  return path;
}

/** Options of {@linkcode dumpStatsTo}. */
export interface DumpOptions {
  /** The tree to write (default: {@linkcode defaultTree}). */
  tree?: StatTree;
  /**
   * For a tree that has joined a group of workers (`joinWorkers`): write
   * the whole group's merged view (default `true`), or, with `false`, this
   * worker's own stats. No effect on a tree that has not joined.
   */
  merged?: boolean;
}

/**
 * Writes the whole stat tree as JSON to `path`, with a `last-updated` ISO
 * timestamp, atomically (a temporary file next to it, then a rename): a
 * reader sees the previous file or the new one, never half of one. Rejects
 * when the file cannot be written (unlike the periodic dumper, which logs).
 * A tree that has joined a group of workers (`joinWorkers`) is written as
 * the group's merged view, taken within the group's deadline (unless
 * `merged: false`).
 *
 * @example
 * ```ts
 * import { collection, dumpStatsTo, IntStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", IntStat("hits")).hits = 3;
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await dumpStatsTo(path);
 * assert.deepEqual(JSON.parse(await Deno.readTextFile(path)).web, { hits: 3 });
 * await Deno.remove(path);
 * ```
 */
export async function dumpStatsTo(path: string, options: DumpOptions = {}): Promise<void> {
  checkPath(path, "dumpStatsTo()");
  const tree = await viewOf(options.tree ?? defaultTree, options.merged);
  await runtime().writeFileAtomic(path, render(new Date(), tree));
}

/** Options of {@linkcode PeriodicFileDumper}. */
export interface PeriodicFileDumperOptions extends DumpOptions {
  /** Time between dumps. Default 60,000 ms. */
  periodMs?: number;
  /**
   * Write a last snapshot, synchronously, when the process ends on an
   * uncaught error, an unhandled rejection, a signal or a normal exit.
   * Default `true`.
   */
  dumpOnExit?: boolean;
  /**
   * With `dumpOnExit`, also write it on SIGINT and SIGTERM, then end the
   * process as the signal would have (exit code 130 or 143). Default `true`.
   * Set `false` when the application handles these signals itself (a
   * graceful shutdown): call `stop()` from its handler, which writes a last
   * dump. On Node the dumper never ends the process while the application
   * has its own listener for the signal; Deno cannot tell, hence this option.
   */
  signals?: boolean;
}

/**
 * Keeps a JSON dump of the stat tree current at `path`: every `periodMs`,
 * and once more, synchronously, when the process ends on an uncaught error,
 * an unhandled rejection or SIGINT/SIGTERM (`error` / `unhandledrejection`
 * / `unload` events and signal listeners on Deno, `process` events on
 * Node). After a crash the file holds the last stats. Writes are atomic;
 * failures are logged, never thrown; the timer does not keep the process
 * alive.
 *
 * For a tree that has joined a group of workers (`joinWorkers`), each
 * periodic dump writes the group's merged view (taken within the group's
 * deadline) unless `merged: false`. The dump at exit is synchronous and
 * cannot wait for the other workers: it writes this worker's current
 * stats merged with the others' as of the last view (the last periodic
 * dump at the latest; `/scales/workers/othersAgeMs` says how old), so its
 * counters are never below the previous dump's.
 *
 * @example
 * ```ts
 * import { PeriodicFileDumper } from "@scales/core";
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * const dumper = new PeriodicFileDumper(path, { periodMs: 10_000 });
 * await dumper.start();
 * await dumper.stop();
 * assert.deepEqual(typeof JSON.parse(await Deno.readTextFile(path))["last-updated"], "string");
 * await Deno.remove(path);
 * ```
 */
export class PeriodicFileDumper implements AsyncDisposable {
  /** The file kept current. */
  readonly path: string;
  /** Time between dumps, in milliseconds. */
  readonly periodMs: number;
  readonly #dumpOnExit: boolean;
  readonly #signals: boolean;
  readonly #tree: StatTree;
  readonly #merged: boolean | undefined;
  #runtime: RuntimeAdapter | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #removeExitListeners: (() => void) | undefined;
  #writing: Promise<void> | undefined;
  #running = false;
  #finalDone = false;

  /**
   * Makes a dumper for `path`; call {@linkcode PeriodicFileDumper.start} to begin.
   *
   * @param path Where the JSON goes; a temporary file next to it is renamed over it.
   * @param options `periodMs` (default one minute), `dumpOnExit` and `signals` (default `true`).
   */
  constructor(path: string, options: PeriodicFileDumperOptions = {}) {
    this.path = checkPath(path, "PeriodicFileDumper");
    this.periodMs = checkPeriodMs(options.periodMs);
    this.#dumpOnExit = options.dumpOnExit ?? true;
    this.#signals = options.signals ?? true;
    this.#tree = options.tree ?? defaultTree;
    this.#merged = options.merged;
  }

  /**
   * Writes a first dump, then one every period, and arms the dump at exit.
   * Resolves once the first dump is written (or failed, which is logged).
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#finalDone = false;
    this.#runtime = runtime();
    if (this.#dumpOnExit) {
      this.#removeExitListeners = this.#runtime.onExit(
        (reason) => this.#final(reason),
        this.#signals,
      );
    }
    this.#timer = unrefInterval(() => void this.dump(), this.periodMs);
    await this.dump();
  }

  /**
   * Writes a dump now. Resolves once written; never rejects (a failure is
   * logged). Overlapping calls share one write.
   */
  dump(): Promise<void> {
    if (this.#writing !== undefined) return this.#writing;
    const writer = this.#runtime;
    if (writer === undefined) return Promise.resolve();
    this.#writing = (async () => {
      try {
        const tree = await viewOf(this.#tree, this.#merged);
        await writer.writeFileAtomic(this.path, render(new Date(), tree));
      } catch (error) {
        log(`forensics: cannot write the stats dump to ${this.path}`, error);
      }
    })().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  /** Stops the timer and the exit listeners, after a last dump. Never rejects. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#removeExitListeners?.();
    this.#removeExitListeners = undefined;
    await this.#writing;
    await this.dump();
  }

  /** Same as {@linkcode PeriodicFileDumper.stop}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** The last, synchronous write as the process ends. */
  #final(reason: string): void {
    if (this.#finalDone || this.#runtime === undefined) return;
    this.#finalDone = true;
    try {
      const tree = viewNow(this.#tree, this.#merged);
      this.#runtime.writeFileAtomicSync(this.path, render(new Date(), tree));
    } catch (error) {
      log(`forensics: cannot write the last stats dump (${reason}) to ${this.path}`, error);
    }
  }
}
