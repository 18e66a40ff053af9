/**
 * The stat tree: containers with stats and child containers, one root per
 * process, and the snapshot that every exporter starts from.
 *
 * @module
 */

import { IntStat } from "./basic_stats.ts";
import { log } from "./log.ts";
import { joinPath, parsePath } from "./path.ts";
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

  /** Makes a container; use {@linkcode ensureNode} to place one in the tree. */
  constructor(name: string, path: string, parent: StatNode | null) {
    this.name = name;
    this.path = path;
    this.parent = parent;
  }
}

let root = new StatNode("", "/", null);

/** The root container. */
export function rootNode(): StatNode {
  return root;
}

/**
 * The container at `path`, or `undefined` when there is none.
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
  let node: StatNode | undefined = root;
  for (const segment of parsePath(path)) {
    node = node.children.get(segment);
    if (node === undefined) return undefined;
  }
  return node;
}

/** The container at `path`, created with its ancestors when missing. */
export function ensureNode(path: string): StatNode {
  let node = root;
  for (const segment of parsePath(path)) node = ensureChild(node, segment);
  return node;
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
    child = new StatNode(name, joinPath(parent.path, name), parent);
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

/** The text a snapshot shows in place of a stat whose value could not be read. */
export function errorMarker(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `<error: ${message}>`;
}

/** Whether a snapshot value is the marker of a stat that failed to read. */
export function isErrorMarker(value: unknown): boolean {
  return typeof value === "string" && value.startsWith("<error: ") && value.endsWith(">");
}

const reportedCells = new WeakSet<StatCell>();

/** Counts every failed read, at `/scales/readErrors` (made on the first failure). */
const READ_ERRORS = IntStat("readErrors");

function countReadError(): void {
  try {
    const cell = bindStat(ensureNode("/scales"), READ_ERRORS);
    cell.set((cell.get() as number) + 1);
  } catch {
    // The application declared its own /scales/readErrors; the log still has it.
  }
}

/**
 * The snapshot of one stat. Never throws: a stat whose value cannot be read
 * (a gauge function that throws) gives an {@linkcode errorMarker}, the error
 * is logged once per stat, and every failed read is counted at
 * `/scales/readErrors`.
 */
export function readCell(cell: StatCell, path: string): SnapshotValue {
  try {
    return cell.snapshot();
  } catch (error) {
    if (!reportedCells.has(cell)) {
      reportedCells.add(cell);
      log(`stat ${joinPath(path, cell.name)} failed to read`, error);
    }
    countReadError();
    return errorMarker(error);
  }
}

/** A plain snapshot of `node`: its stats and, nested, its children. */
export function snapshotNode(node: StatNode): Snapshot {
  const out: Snapshot = {};
  for (const [name, cell] of node.cells) setSnapshotKey(out, name, readCell(cell, node.path));
  for (const [name, child] of node.children) setSnapshotKey(out, name, snapshotNode(child));
  return out;
}

/**
 * A plain, JSON-ready snapshot of every stat under `path` (default: all).
 * Returns `undefined` when no container exists at `path`.
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
export function getStats(path?: string): Snapshot | undefined;
export function getStats(path = "/"): Snapshot | undefined {
  const node = findNode(path);
  return node === undefined ? undefined : snapshotNode(node);
}

/**
 * Marks the container at `path` as collapsed (or not): the viewer shows it
 * as a link to its own page instead of inline. Creates the container when
 * missing, so it can be called before the stats exist.
 *
 * @example
 * ```ts
 * import { setCollapsed } from "@scales/core";
 * setCollapsed("/web/byPath");
 * ```
 */
export function setCollapsed(path: string, collapsed = true): void {
  ensureNode(path).collapsed = collapsed;
}

const resetHooks: Array<() => void> = [];

/** Registers work to do on {@linkcode reset} (internal collections re-create themselves). */
export function onReset(hook: () => void): void {
  resetHooks.push(hook);
}

/**
 * Forgets every stat: for tests. Collections made before a reset keep
 * working but are no longer in the tree.
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
  root = new StatNode("", "/", null);
  for (const hook of resetHooks) hook();
}
