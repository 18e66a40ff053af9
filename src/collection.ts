/**
 * Binding stat declarations to containers: module-level collections
 * ({@linkcode collection}) and per-object stats ({@linkcode init},
 * {@linkcode initChild}, {@linkcode release}).
 *
 * @module
 */

import { checkName } from "./path.ts";
import type { StatSpec, StatValueOf } from "./stat.ts";
import { bindStat, ensureChild, ensureNode, removeNode, type StatNode } from "./tree.ts";

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

function bindAll<S extends readonly StatSpec[]>(
  node: StatNode,
  specs: S,
  target: object,
): Stats<S> {
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) {
      throw new TypeError(`stat ${JSON.stringify(spec.name)} is declared twice for ${node.path}`);
    }
    seen.add(spec.name);
  }
  for (const spec of specs) {
    const cell = bindStat(node, spec);
    Object.defineProperty(target, spec.name, {
      get: () => cell.get(),
      set: (value: unknown) => cell.set(value),
      enumerable: true,
      configurable: false,
    });
  }
  return target as Stats<S>;
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
  const node = ensureNode(path);
  for (let up: StatNode | null = node; up !== null && !up.pinned; up = up.parent) up.pinned = true;
  return bindAll(node, specs, {});
}

const owned = new WeakMap<object, StatNode>();

function dropOwner(node: StatNode): void {
  node.owners -= 1;
  if (node.owners === 0 && !node.pinned) removeNode(node);
}

const finalizer = new FinalizationRegistry<StatNode>(dropOwner);

function own<S extends readonly StatSpec[]>(obj: object, node: StatNode, specs: S): OwnedStats<S> {
  if (typeof obj !== "object" && typeof obj !== "function" || obj === null) {
    throw new TypeError(
      `init needs an object to own the stats, got ${obj === null ? "null" : typeof obj}`,
    );
  }
  const current = owned.get(obj);
  if (current !== undefined) {
    throw new TypeError(
      `this object already has stats at ${current.path}; call release(obj) before init again`,
    );
  }
  const view = {};
  bindAll(node, specs, view);
  Object.defineProperty(view, Symbol.dispose, { value: () => release(obj) });
  owned.set(obj, node);
  node.owners += 1;
  finalizer.register(obj, node, obj);
  return view as OwnedStats<S>;
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
  return own(obj, ensureNode(path), specs);
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
  checkName(name, "child container");
  let parentNode: StatNode | undefined;
  if (typeof parent === "string") parentNode = ensureNode(parent);
  else {
    parentNode = owned.get(parent);
    if (parentNode === undefined) {
      throw new TypeError(
        `initChild: the parent object has no stats; call init(parent, path, ...) first or pass a path`,
      );
    }
  }
  return own(obj, ensureChild(parentNode, name), specs);
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
  const node = owned.get(obj);
  if (node === undefined) return false;
  owned.delete(obj);
  finalizer.unregister(obj);
  dropOwner(node);
  return true;
}
