/**
 * Turning a snapshot into Graphite plaintext lines: the walk, the rules and
 * the name sanitizer. No I/O here, so it is easy to test and to benchmark.
 *
 * @module
 */

import type { Snapshot, SnapshotValue } from "../src/stat.ts";
import { forbidden, pruned, type PruneRule, type PushRule } from "../push/rules.ts";

/** What formatting one push produced. */
export interface FormattedPush {
  /** The plaintext lines, each `name value timestamp\n`. */
  readonly text: string;
  /** How many lines `text` holds. */
  readonly lines: number;
  /** How many values could not be pushed: strings, NaN, Infinity, too-long names. */
  readonly skipped: number;
}

/** Names longer than this are skipped (and counted): Graphite tools cap names near here. */
export const MAX_NAME_LENGTH = 1000;

const SAFE_SEGMENT = /^[A-Za-z0-9_-]+$/;
const UNSAFE_CHARACTERS = /[^A-Za-z0-9_-]/gu;
const SPACES_AND_DOTS = /[ .]/g;

/**
 * Makes one name segment safe for the Graphite plaintext protocol: letters,
 * digits, `_` and `-` only. Spaces and dots become `-` (as the original
 * scales did), every other character (newlines, `/`, `;`, control
 * characters, non-ASCII) becomes `_`, one `_` per code point, and the empty
 * string becomes `_`. The result can neither end a line nor add a level.
 */
export function sanitizeSegment(segment: string): string {
  if (SAFE_SEGMENT.test(segment)) return segment;
  if (segment === "") return "_";
  return segment.replace(SPACES_AND_DOTS, "-").replace(UNSAFE_CHARACTERS, "_");
}

/**
 * Makes a prefix such as `my.server.prefix` safe: each dot-separated part is
 * sanitized and the result ends with one `.`. An empty prefix stays empty.
 */
export function sanitizePrefix(prefix: string): string {
  const trimmed = prefix.endsWith(".") ? prefix.slice(0, -1) : prefix;
  if (trimmed === "") return "";
  return trimmed.split(".").map(sanitizeSegment).join(".") + ".";
}

/**
 * Formats `snapshot` as Graphite plaintext lines, all with `timestamp`
 * (whole seconds). `prefix` must already be sanitized (see
 * {@linkcode sanitizePrefix}). Objects become name segments; finite numbers
 * are pushed, booleans as `1`/`0`; strings, NaN and Infinity are skipped and
 * counted; `null` and the string `unit` of meters are metadata, skipped
 * silently.
 */
export function formatSnapshot(
  snapshot: Snapshot,
  prefix: string,
  timestamp: number,
  rules: readonly PushRule[] = [],
  prunes: readonly PruneRule[] = [],
): FormattedPush {
  const suffix = ` ${Math.floor(timestamp)}\n`;
  const state = { text: "", lines: 0, skipped: 0 };
  const filtering = rules.length > 0 || prunes.length > 0;
  const walk = (object: { readonly [key: string]: SnapshotValue }, name: string, path: string) => {
    for (const key in object) {
      const value = object[key];
      const childPath = path === "/" ? `/${key}` : `${path}/${key}`;
      const childName = name + sanitizeSegment(key);
      if (value !== null && typeof value === "object") {
        if (filtering && pruned(prunes, childPath)) continue;
        walk(value, childName + ".", childPath);
        continue;
      }
      if (filtering && (pruned(prunes, childPath) || forbidden(rules, childPath, value))) continue;
      let text: string;
      if (typeof value === "number") {
        if (!Number.isFinite(value)) {
          state.skipped++;
          continue;
        }
        text = String(value);
      } else if (typeof value === "boolean") {
        text = value ? "1" : "0";
      } else {
        if (typeof value === "string" && key !== "unit") state.skipped++;
        continue;
      }
      if (childName.length > MAX_NAME_LENGTH) {
        state.skipped++;
        continue;
      }
      state.text += childName + " " + text + suffix;
      state.lines++;
    }
  };
  walk(snapshot, prefix, "/");
  return state;
}
