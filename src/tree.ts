/**
 * The stat tree: containers with stats and child containers, the
 * {@linkcode StatTree} that holds them, the default tree behind the
 * module-level API, and the snapshot that every exporter starts from.
 *
 * @module
 */

import { IntStat } from "./basic_stats.ts";
import { log } from "./log.ts";
import type { OwnedStats, Stats } from "./collection.ts";
import { checkName, joinPath, parsePath } from "./path.ts";
import {
  type Aggregator,
  setSnapshotKey,
  type Snapshot,
  type SnapshotValue,
  type StatCell,
  type StatSpec,
} from "./stat.ts";

/** A container in the stat tree: its stats and its child containers. */
export class StatNode {
  /** The container's own name (`""` for the root). */
  readonly name: string;
  /** The full path, such as `/web` (`/` for the root). */
  readonly path: string;
  /** The parent container, or `null` for the root and for removed containers. */
  parent: StatNode | null;
  /** Child containers by name. */
  readonly children: Map<string, StatNode> = new Map();
  /** Stats by name. */
  readonly cells: Map<string, StatCell> = new Map();
  /** Whether viewers show this container as a link only (see {@linkcode setCollapsed}). */
  collapsed = false;
  /** How many owners (`init` objects) share this container; 0 for plain collections. */
  owners = 0;
  /**
   * Whether a `collection()` lives here or below: such a container stays in
   * the tree when its last owner is released.
   */
  pinned = false;

  /** The tree this container belongs to. */
  readonly tree: StatTree;

  /** Makes a container; use {@linkcode StatTree.ensureNode} to place one in a tree. */
  constructor(tree: StatTree, name: string, path: string, parent: StatNode | null) {
    this.tree = tree;
    this.name = name;
    this.path = path;
    this.parent = parent;
  }
}

/** The child container `name` of `parent`, created when missing. */
export function ensureChild(parent: StatNode, name: string): StatNode {
  let child = parent.children.get(name);
  if (child === undefined) {
    if (parent.cells.has(name)) {
      throw new TypeError(
        `cannot create container ${joinPath(parent.path, name)}: a stat of that name exists there`,
      );
    }
    child = new StatNode(parent.tree, name, joinPath(parent.path, name), parent);
    parent.children.set(name, child);
  }
  return child;
}

/**
 * Binds `spec` to `node`: makes its cell, or reuses the existing cell of the
 * same name and kind (two collections, or two objects, sharing a path share
 * their stats). Links the cell to same-named aggregators above it, and an
 * aggregation cell to the same-named stats below it.
 */
export function bindStat(node: StatNode, spec: StatSpec): StatCell {
  const existing = node.cells.get(spec.name);
  if (existing !== undefined) {
    if (existing.type !== spec.type) {
      throw new TypeError(
        `stat ${
          joinPath(node.path, spec.name)
        } is already declared as ${existing.type}, not ${spec.type}`,
      );
    }
    return existing;
  }
  if (node.children.has(spec.name)) {
    throw new TypeError(
      `cannot create stat ${joinPath(node.path, spec.name)}: a container of that name exists there`,
    );
  }
  const cell = spec.create({ path: node.path });
  node.cells.set(spec.name, cell);
  for (let up = node.parent; up !== null; up = up.parent) {
    const aggregator = up.cells.get(cell.name)?.aggregator;
    if (aggregator !== undefined) link(cell, aggregator);
  }
  if (cell.aggregator !== undefined) {
    const aggregator = cell.aggregator;
    forEachCellBelow(node, (below) => {
      if (below.name === cell.name) link(below, aggregator);
    });
  }
  return cell;
}

function link(cell: StatCell, aggregator: Aggregator): void {
  if (cell.aggregator !== undefined || !aggregator.accepts(cell)) return;
  (cell.aggregators ??= []).push(aggregator);
  aggregator.attach(cell);
}

function forEachCellBelow(node: StatNode, visit: (cell: StatCell) => void): void {
  for (const child of node.children.values()) {
    for (const cell of child.cells.values()) visit(cell);
    forEachCellBelow(child, visit);
  }
}

/**
 * Takes `node` and everything below it out of the tree. Every stat in it
 * stops feeding the aggregators above, which subtract what it contributed.
 */
export function removeNode(node: StatNode): void {
  const parent = node.parent;
  if (parent === null || parent.children.get(node.name) !== node) return;
  parent.children.delete(node.name);
  node.parent = null;
  const detach = (cell: StatCell) => {
    const aggregators = cell.aggregators;
    if (aggregators === null) return;
    cell.aggregators = null;
    for (const aggregator of aggregators) aggregator.detach(cell);
  };
  for (const cell of node.cells.values()) detach(cell);
  forEachCellBelow(node, detach);
}

/** The message of anything thrown, without ever throwing itself. */
function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    try {
      return Object.prototype.toString.call(error);
    } catch {
      return "unreadable error";
    }
  }
}

/**
 * The text a snapshot shows in place of a stat whose value could not be
 * read. Never throws, whatever was thrown (an object whose `toString`
 * throws, an object with no prototype).
 *
 * @example
 * ```ts
 * import { errorMarker } from "@scales/core";
 * import assert from "node:assert/strict";
 * assert.deepEqual(errorMarker(new Error("down")), "<error: down>");
 * assert.deepEqual(errorMarker(Object.create(null)), "<error: [object Object]>");
 * ```
 */
export function errorMarker(error: unknown): string {
  return `<error: ${messageOf(error)}>`;
}

/**
 * Whether a snapshot value is the marker of a stat that failed to read.
 *
 * @example
 * ```ts
 * import { errorMarker, isErrorMarker } from "@scales/core";
 * import assert from "node:assert/strict";
 * assert.deepEqual(isErrorMarker(errorMarker("x")), true);
 * ```
 */
export function isErrorMarker(value: unknown): boolean {
  return typeof value === "string" && value.startsWith("<error: ") && value.endsWith(">");
}

const reportedCells = new WeakSet<StatCell>();

/** Counts every failed read of a tree, at `/scales/readErrors` of that tree. */
const READ_ERRORS = IntStat("readErrors");

function countReadError(tree: StatTree): void {
  try {
    const cell = bindStat(tree.ensureNode("/scales"), READ_ERRORS);
    cell.set((cell.get() as number) + 1);
  } catch {
    // The application declared its own /scales/readErrors; the log still has it.
  }
}

/**
 * The snapshot of one stat of `node`. Never throws: a stat whose value
 * cannot be read (a gauge function that throws) gives an
 * {@linkcode errorMarker}, the error is logged once per stat, and every
 * failed read is counted at `/scales/readErrors` of the node's tree.
 *
 * @example
 * ```ts
 * import { readCell, Stat, StatTree } from "@scales/core";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * tree.collection("/clock", Stat("now", () => 42));
 * const node = tree.findNode("/clock")!;
 * assert.deepEqual(readCell(node.cells.get("now")!, node), 42);
 * ```
 */
export function readCell(cell: StatCell, node: StatNode): SnapshotValue {
  try {
    return cell.snapshot();
  } catch (error) {
    if (!reportedCells.has(cell)) {
      reportedCells.add(cell);
      log(`stat ${joinPath(node.path, cell.name)} failed to read`, error);
    }
    countReadError(node.tree);
    return errorMarker(error);
  }
}

/** A plain snapshot of `node`: its stats and, nested, its children. */
export function snapshotNode(node: StatNode): Snapshot {
  const out: Snapshot = {};
  for (const [name, cell] of node.cells) setSnapshotKey(out, name, readCell(cell, node));
  for (const [name, child] of node.children) setSnapshotKey(out, name, snapshotNode(child));
  return out;
}

/**
 * A tree of stats: containers at paths, each with named stats. The
 * module-level functions ({@linkcode collection}, {@linkcode getStats},
 * {@linkcode reset}, …) act on {@linkcode defaultTree}; make a tree of your
 * own for a library that should not share the process's tree, for tests,
 * or to expose one set of stats apart from the rest. Every consumer
 * (viewer, Graphite, crash dump, runtime stats) takes a `tree` option.
 * Two trees never see each other's stats, and reading a tree changes
 * nothing in it (except `/scales/readErrors`, which counts failed reads).
 *
 * @example Two independent trees
 * ```ts
 * import { IntStat, StatTree } from "@scales/core";
 * import assert from "node:assert/strict";
 * const a = new StatTree();
 * const b = new StatTree();
 * const stats = a.collection("/web", IntStat("requests"));
 * stats.requests += 1;
 * assert.deepEqual(a.getStats(), { web: { requests: 1 } });
 * assert.deepEqual(b.getStats(), {});
 * ```
 */
export class StatTree {
  #root: StatNode = new StatNode(this, "", "/", null);
  readonly #owned = new WeakMap<object, StatNode>();
  readonly #finalizer = new FinalizationRegistry<StatNode>((node) => this.#dropOwner(node));
  readonly #resetHooks: Array<() => void> = [];

  /** The root container (`/`). It is replaced by {@linkcode StatTree.reset}. */
  get root(): StatNode {
    return this.#root;
  }

  /**
   * The container at `path`, or `undefined` when there is none. Never
   * creates one.
   *
   * @example
   * ```ts
   * import { IntStat, StatTree } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * tree.collection("/web", IntStat("hits"));
   * assert.deepEqual(tree.findNode("/web")?.cells.has("hits"), true);
   * assert.deepEqual(tree.findNode("/nope"), undefined);
   * ```
   */
  findNode(path: string): StatNode | undefined {
    let node: StatNode | undefined = this.#root;
    for (const segment of parsePath(path)) {
      node = node.children.get(segment);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /**
   * The container at `path`, created with its ancestors when missing.
   *
   * @example
   * ```ts
   * import { StatTree } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * assert.deepEqual(tree.ensureNode("/a/b").path, "/a/b");
   * ```
   */
  ensureNode(path: string): StatNode {
    let node = this.#root;
    for (const segment of parsePath(path)) node = ensureChild(node, segment);
    return node;
  }

  /**
   * Makes the container at `path` (with its ancestors) and binds `specs` to
   * it. Returns an object with one typed property per stat. Collections at
   * the same path share the stats they both declare.
   *
   * @example
   * ```ts
   * import { IntStat, StatTree } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * const STATS = tree.collection("/web", IntStat("errors"), IntStat("success"));
   * STATS.success += 1;
   * assert.deepEqual(tree.getStats(), { web: { errors: 0, success: 1 } });
   * ```
   */
  collection<const S extends readonly StatSpec[]>(path: string, ...specs: S): Stats<S> {
    const node = this.ensureNode(path);
    for (let up: StatNode | null = node; up !== null && !up.pinned; up = up.parent) {
      up.pinned = true;
    }
    return bindAll(node, specs, {});
  }

  /**
   * Gives an object its own container at `path` with the stats `specs`,
   * and returns them as a typed object (keep it in a field, such as
   * `this.stats`). Objects initialised at the same path share the
   * container. The object's stats leave the tree when it is released
   * ({@linkcode StatTree.release}, or disposing the returned object), or
   * else when it is garbage-collected. The tree holds the stats strongly: a
   * gauge function that refers to the object keeps it alive until it is
   * released explicitly.
   *
   * @example
   * ```ts
   * import { defineStats, IntStat, StatTree } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * const conn = {};
   * const stats = tree.init(conn, "/conn", defineStats(IntStat("bytes")));
   * stats.bytes += 10;
   * assert.deepEqual(tree.getStats(), { conn: { bytes: 10 } });
   * ```
   */
  init<const S extends readonly StatSpec[]>(
    obj: object,
    path: string,
    specs: S,
  ): OwnedStats<S> {
    return this.#own(obj, this.ensureNode(path), specs);
  }

  /**
   * Like {@linkcode StatTree.init}, for an object that lives under another:
   * its container is `name` inside the container of `parent` (an object
   * given to `init` or `initChild` of this tree, or a path). Aggregation
   * stats of the parent roll up the child's same-named stats.
   *
   * @example
   * ```ts
   * import { defineStats, IntStat, StatTree, SumAggregationStat } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * const pool = {};
   * tree.init(pool, "/pool", defineStats(SumAggregationStat("done")));
   * const worker = {};
   * tree.initChild(worker, pool, "worker-0", defineStats(IntStat("done"))).done += 4;
   * assert.deepEqual(tree.getStats(), { pool: { done: 4, "worker-0": { done: 4 } } });
   * ```
   */
  initChild<const S extends readonly StatSpec[]>(
    obj: object,
    parent: object | string,
    name: string,
    specs: S,
  ): OwnedStats<S> {
    checkName(name, "child container");
    let parentNode: StatNode | undefined;
    if (typeof parent === "string") parentNode = this.ensureNode(parent);
    else {
      parentNode = this.#owned.get(parent);
      if (parentNode === undefined) {
        throw new TypeError(
          `initChild: the parent object has no stats in this tree; call init(parent, path, ...) first or pass a path`,
        );
      }
    }
    return this.#own(obj, ensureChild(parentNode, name), specs);
  }

  /**
   * Takes an object's stats out of the tree (once no other object shares
   * its container), subtracting them from every aggregation above. Returns
   * whether the object had stats in this tree. A container that a
   * {@linkcode StatTree.collection} also uses (at its path or below) stays,
   * with its stats.
   *
   * @example
   * ```ts
   * import { defineStats, IntStat, StatTree } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * const conn = {};
   * tree.init(conn, "/conn-1", defineStats(IntStat("bytes")));
   * assert.deepEqual(tree.release(conn), true);
   * assert.deepEqual(tree.getStats(), {});
   * ```
   */
  release(obj: object): boolean {
    const node = this.#owned.get(obj);
    if (node === undefined) return false;
    this.#owned.delete(obj);
    this.#finalizer.unregister(obj);
    this.#dropOwner(node);
    return true;
  }

  /**
   * A plain, JSON-ready snapshot of every stat under `path` (default: all).
   * Returns `undefined` when no container exists at `path`.
   *
   * @example
   * ```ts
   * import { IntStat, StatTree } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * tree.collection("/web/api", IntStat("calls"));
   * assert.deepEqual(tree.getStats("/web"), { api: { calls: 0 } });
   * assert.deepEqual(tree.getStats("/nope"), undefined);
   * ```
   */
  getStats(path = "/"): Snapshot | undefined {
    const node = this.findNode(path);
    return node === undefined ? undefined : snapshotNode(node);
  }

  /**
   * Marks the container at `path` as collapsed (or not): the viewer shows
   * it as a link to its own page instead of inline. Creates the container
   * when missing, so it can be called before the stats exist.
   *
   * @example
   * ```ts
   * import { StatTree } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * tree.setCollapsed("/web/byPath");
   * assert.deepEqual(tree.findNode("/web/byPath")?.collapsed, true);
   * ```
   */
  setCollapsed(path: string, collapsed = true): void {
    this.ensureNode(path).collapsed = collapsed;
  }

  /**
   * Registers work to do on {@linkcode StatTree.reset} (a running
   * collector stops, internal collections re-create themselves).
   *
   * @example
   * ```ts
   * import { StatTree } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * let resets = 0;
   * tree.onReset(() => resets++);
   * tree.reset();
   * assert.deepEqual(resets, 1);
   * ```
   */
  onReset(hook: () => void): void {
    this.#resetHooks.push(hook);
  }

  /**
   * Forgets every stat of this tree: for tests. Collections made before a
   * reset keep working but are no longer in the tree.
   *
   * @example
   * ```ts
   * import { IntStat, StatTree } from "@scales/core";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * tree.collection("/temporary", IntStat("n"));
   * tree.reset();
   * assert.deepEqual(tree.getStats(), {});
   * ```
   */
  reset(): void {
    this.#root = new StatNode(this, "", "/", null);
    for (const hook of this.#resetHooks) hook();
  }

  #dropOwner(node: StatNode): void {
    node.owners -= 1;
    if (node.owners === 0 && !node.pinned) removeNode(node);
  }

  #own<S extends readonly StatSpec[]>(obj: object, node: StatNode, specs: S): OwnedStats<S> {
    if (typeof obj !== "object" && typeof obj !== "function" || obj === null) {
      throw new TypeError(
        `init needs an object to own the stats, got ${obj === null ? "null" : typeof obj}`,
      );
    }
    const current = this.#owned.get(obj);
    if (current !== undefined) {
      throw new TypeError(
        `this object already has stats at ${current.path}; call release(obj) before init again`,
      );
    }
    const view = {};
    bindAll(node, specs, view);
    Object.defineProperty(view, Symbol.dispose, { value: () => this.release(obj) });
    this.#owned.set(obj, node);
    node.owners += 1;
    this.#finalizer.register(obj, node, obj);
    return view as OwnedStats<S>;
  }
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
 * The process's default tree: what the module-level functions
 * ({@linkcode collection}, {@linkcode getStats}, {@linkcode reset}, …) and
 * every consumer without a `tree` option use.
 *
 * @example
 * ```ts
 * import { collection, defaultTree, IntStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", IntStat("hits"));
 * assert.deepEqual(defaultTree.getStats(), { web: { hits: 0 } });
 * ```
 */
export const defaultTree: StatTree = new StatTree();

/**
 * The container at `path` of the default tree, or `undefined` when there
 * is none.
 *
 * @example
 * ```ts
 * import { collection, findNode, IntStat } from "@scales/core";
 * import assert from "node:assert/strict";
 * collection("/find-node-example", IntStat("hits"));
 * assert.deepEqual(findNode("/find-node-example")?.cells.has("hits"), true);
 * ```
 */
export function findNode(path: string): StatNode | undefined {
  return defaultTree.findNode(path);
}

/**
 * A plain, JSON-ready snapshot of every stat under `path` (default: all)
 * of the default tree. Returns `undefined` when no container exists at
 * `path`.
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
export function getStats(path?: string): Snapshot | undefined {
  return defaultTree.getStats(path);
}

/**
 * Marks the container at `path` of the default tree as collapsed (or not):
 * the viewer shows it as a link to its own page instead of inline. Creates
 * the container when missing, so it can be called before the stats exist.
 *
 * @example
 * ```ts
 * import { findNode, setCollapsed } from "@scales/core";
 * import assert from "node:assert/strict";
 * setCollapsed("/web/byPath");
 * assert.deepEqual(findNode("/web/byPath")?.collapsed, true);
 * ```
 */
export function setCollapsed(path: string, collapsed = true): void {
  defaultTree.setCollapsed(path, collapsed);
}

/**
 * Forgets every stat of the default tree: for tests. Collections made
 * before a reset keep working but are no longer in the tree.
 *
 * @example
 * ```ts
 * import { collection, getStats, IntStat, reset } from "@scales/core";
 * import assert from "node:assert/strict";
 * collection("/temporary", IntStat("n"));
 * reset();
 * assert.deepEqual(getStats(), {});
 * ```
 */
export function reset(): void {
  defaultTree.reset();
}

/** Registers work to do on a reset of the default tree (library-internal state). */
export function onReset(hook: () => void): void {
  defaultTree.onReset(hook);
}
