/**
 * Turning a snapshot into Graphite plaintext lines: the walk, the rules and
 * the name sanitizer. No I/O here, so it is easy to test and to benchmark.
 *
 * @module
 */

import type { Snapshot, SnapshotValue } from "../src/stat.ts";

/** Decides whether one value is pushed, given its stat path (such as `/web/hits`) and value. */
export type StatRule = (path: string, value: SnapshotValue) => boolean;

/** Decides whether a whole branch (such as `/web/byPath`) is skipped, given its path. */
export type PruneRule = (path: string) => boolean;

/** One rule as kept by a pusher: allow or forbid, and what it matches. */
export interface PushRule {
  /** `true` for `allow`, `false` for `forbid`. */
  readonly allow: boolean;
  /** The compiled matcher. */
  readonly matches: StatRule;
}

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
 * Compiles an fnmatch-style glob, matched against the whole stat path
 * without its leading `/`: `*` (and `**`) match any characters including
 * `/`, `?` one character, `[abc]` / `[!abc]` a class. So `web/*`,
 * `/web/*` and `*latency*` work as in the original scales.
 */
export function compileGlob(glob: string): (path: string) => boolean {
  const source = stripSlash(glob);
  let pattern = "^";
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === "*") {
      while (source[i + 1] === "*") i++;
      pattern += "[\\s\\S]*";
    } else if (char === "?") {
      pattern += "[\\s\\S]";
    } else if (char === "[") {
      const end = source.indexOf("]", i + 2);
      if (end === -1) {
        pattern += "\\[";
        continue;
      }
      let body = source.slice(i + 1, end);
      const negate = body.startsWith("!");
      if (negate) body = body.slice(1);
      pattern += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else {
      pattern += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  const regex = new RegExp(pattern + "$", "u");
  return (path) => regex.test(stripSlash(path));
}

function stripSlash(path: string): string {
  return path.startsWith("/") ? path.slice(1) : path;
}

/** Whether the newest matching rule forbids `path` (no match: allowed). */
function forbidden(rules: readonly PushRule[], path: string, value: SnapshotValue): boolean {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i];
    if (rule.matches(path, value)) return !rule.allow;
  }
  return false;
}

function pruned(prunes: readonly PruneRule[], path: string): boolean {
  for (let i = prunes.length - 1; i >= 0; i--) if (prunes[i](path)) return true;
  return false;
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
