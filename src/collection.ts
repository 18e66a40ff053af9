/**
 * The module-level API for binding stat declarations to containers of the
 * default tree: collections ({@linkcode collection}) and per-object stats
 * ({@linkcode init}, {@linkcode initChild}, {@linkcode release}). Each is
 * the method of the same name of {@linkcode defaultTree}.
 *
 * @module
 */

import type { StatSpec, StatValueOf } from "./stat.ts";
import { defaultTree } from "./tree.ts";

/**
 * The typed object a list of stat declarations produces: one property per
 * stat, named and typed after it. `STATS.errors` is a `number` for an
 * `IntStat("errors")`, and `STATS.nope` does not compile.
 */
export type Stats<S extends readonly StatSpec[]> = {
  -readonly [P in S[number] as P["name"]]: StatValueOf<P>;
};

/** The stats of one object made by {@linkcode init}: disposing them releases the object. */
export type OwnedStats<S extends readonly StatSpec[]> = Stats<S> & Disposable;

/**
 * Declares a list of stats once, to be bound to many objects by
 * {@linkcode init} or {@linkcode initChild}. It only keeps the literal types
 * of the names; a plain `as const` array works too.
 *
 * @example
 * ```ts
 * import { defineStats, IntStat, Stat } from "@scales/core";
 * import assert from "node:assert/strict";
 * const HANDLER_STATS = defineStats(IntStat("requests"), Stat("state"));
 * assert.deepEqual(HANDLER_STATS.length, 2);
 * ```
 */
export function defineStats<const S extends readonly StatSpec[]>(...specs: S): S {
  return specs;
}

/**
 * Makes the container at `path` (with its ancestors) and binds `specs` to it.
 * Returns an object with one typed property per stat. Collections at the same
 * path share the stats they both declare.
 *
 * @example
 * ```ts
 * import { collection, getStats, IntStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const STATS = collection("/web", IntStat("errors"), IntStat("success"));
 * STATS.success += 1;
 * assert.deepEqual(getStats(), { web: { errors: 0, success: 1 } });
 * ```
 */
export function collection<const S extends readonly StatSpec[]>(
  path: string,
  ...specs: S
): Stats<S> {
  return defaultTree.collection(path, ...specs);
}

/**
 * Gives an object its own container at `path` with the stats `specs`, and
 * returns them as a typed object (keep it in a field, such as `this.stats`).
 * Objects initialised at the same path share the container. The object's
 * stats leave the tree when it is released ({@linkcode release}, or
 * disposing the returned object), or else when it is garbage-collected.
 * The tree holds the stats strongly: a gauge function that refers to the
 * object (`Stat("queued", () => obj.queue.length)`) keeps it alive until
 * it is released explicitly.
 *
 * @example
 * ```ts
 * import { defineStats, getStats, init, IntStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * class Handler {
 *   static readonly STATS = defineStats(IntStat("requests"));
 *   readonly stats = init(this, "/handler", Handler.STATS);
 *   handle(): void {
 *     this.stats.requests += 1;
 *   }
 * }
 * new Handler().handle();
 * assert.deepEqual(getStats(), { handler: { requests: 1 } });
 * ```
 */
export function init<const S extends readonly StatSpec[]>(
  obj: object,
  path: string,
  specs: S,
): OwnedStats<S> {
  return defaultTree.init(obj, path, specs);
}

/**
 * Like {@linkcode init}, for an object that lives under another: its
 * container is `name` inside the container of `parent` (an object given to
 * `init` or `initChild`, or a path). Aggregation stats of the parent roll up
 * the child's same-named stats.
 *
 * @example
 * ```ts
 * import {
 *   defineStats, getStats, init, initChild, IntStat, release, reset, SumAggregationStat,
 * } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const pool = {};
 * init(pool, "/pool", defineStats(SumAggregationStat("done")));
 * const worker = {};
 * const stats = initChild(worker, pool, "worker-0", defineStats(IntStat("done")));
 * stats.done += 4;
 * assert.deepEqual(getStats(), { pool: { done: 4, "worker-0": { done: 4 } } });
 * release(worker);
 * assert.deepEqual(getStats(), { pool: { done: 0 } });
 * ```
 */
export function initChild<const S extends readonly StatSpec[]>(
  obj: object,
  parent: object | string,
  name: string,
  specs: S,
): OwnedStats<S> {
  return defaultTree.initChild(obj, parent, name, specs);
}

/**
 * Takes an object's stats out of the tree (once no other object shares its
 * container), subtracting them from every aggregation above. Returns whether
 * the object had stats. A container that a {@linkcode collection} also uses
 * (at its path or below) stays, with its stats.
 *
 * @example
 * ```ts
 * import { defineStats, getStats, init, IntStat, release, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * const conn = {};
 * init(conn, "/conn-1", defineStats(IntStat("bytes")));
 * assert.deepEqual(release(conn), true);
 * assert.deepEqual(getStats(), {});
 * ```
 */
export function release(obj: object): boolean {
  return defaultTree.release(obj);
}
