/**
 * The seam between a group of workers and the way its members talk: a
 * transport gathers every other member's tree state within a deadline.
 *
 * @module
 */

import type { StatTree } from "../src/tree.ts";
import type { NodeState } from "../src/worker_state.ts";

/** One member's answer. */
export interface Answer {
  /** The member's name. */
  readonly worker: string;
  /** Its tree's state. */
  readonly state: NodeState;
}

/** A member that did not answer in time, with its last known state (if any). */
export interface Missing {
  /** The member's name. */
  readonly worker: string;
  /** Its last state a view saw or it saved, if any. */
  readonly state: NodeState | undefined;
}

/** What one round of gathering found. */
export interface Gathered {
  /** Members that answered in time. */
  readonly answers: readonly Answer[];
  /** Members that are alive (or not known to be gone) but did not answer in time. */
  readonly missing: readonly Missing[];
  /** Members known to have left, with the totals they leave behind (see `retiredState`). */
  readonly departed: readonly Answer[];
}

/** How a group's members reach each other. */
export interface Transport {
  /** This member's name in the group. */
  readonly worker: string;
  /**
   * Asks every other member for its state; settles within `deadlineMs`.
   * Never rejects. `self` is this member's state, which the view includes.
   */
  gather(deadlineMs: number, self: NodeState): Promise<Gathered>;
  /**
   * The names of the members alive now (this one included): those that
   * answer a ping within `deadlineMs`. Cheap (no states are read).
   */
  alive(deadlineMs: number): Promise<readonly string[]>;
  /** Leaves the group, leaving this member's totals behind; safe to call twice. */
  close(): Promise<void>;
}

/** What a transport is made from. */
export interface TransportContext {
  /** The tree whose state this member gives. */
  readonly tree: StatTree;
  /** This member's name, when chosen by the application. */
  readonly name: string | undefined;
  /** The group's name. */
  readonly group: string;
}
