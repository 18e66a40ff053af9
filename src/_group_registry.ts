/**
 * Which trees have joined a group of workers: the seam through which the
 * viewer server answers with the group's merged view without depending on
 * how the group talks (see `workers/`).
 *
 * @module
 */

import type { StatTree } from "./tree.ts";

/** What a view needs from a joined group. */
export interface GroupViews {
  /**
   * The merged tree of the whole group, or of one worker alone when
   * `worker` is given (`undefined` when no worker has that name). Settles
   * within the group's deadline.
   */
  view(worker?: string): Promise<StatTree | undefined>;
  /**
   * The merged tree at once, without waiting for anyone: this worker's
   * current state with the others' as of the last view.
   */
  lastKnownView(): StatTree;
  /** Every worker's name that the last view saw, for error messages. */
  readonly workers: readonly string[];
}

const groups = new WeakMap<StatTree, GroupViews>();
const missingByView = new WeakMap<StatTree, readonly string[]>();

/** Records which workers did not answer in time for `view`, a tree a group's view returned. */
export function setMissingOf(view: StatTree, missing: readonly string[]): void {
  missingByView.set(view, missing);
}

/** The workers that did not answer in time for `view` (none for a tree no group's view returned). */
export function missingOf(view: StatTree): readonly string[] {
  return missingByView.get(view) ?? [];
}

/** Records that `tree` has joined a group (or left it, with `undefined`). */
export function setGroupOf(tree: StatTree, group: GroupViews | undefined): void {
  if (group === undefined) groups.delete(tree);
  else groups.set(tree, group);
}

/** The group `tree` has joined, if any. */
export function groupOf(tree: StatTree): GroupViews | undefined {
  return groups.get(tree);
}
