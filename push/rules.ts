/**
 * What an exporter pushes: allow and forbid rules (a glob or a function of
 * path and value, the newest matching rule wins), and prune rules that skip
 * a whole branch. Shared by every push target, so `allow("web/*")` means
 * the same to Graphite as to any other.
 *
 * @module
 */

import { describeValue } from "../src/log.ts";
import type { SnapshotValue } from "../src/stat.ts";

/** Decides whether one value is pushed, given its stat path (such as `/web/hits`) and value. */
export type StatRule = (path: string, value: SnapshotValue) => boolean;

/** Decides whether a whole branch (such as `/web/byPath`) is skipped, given its path. */
export type PruneRule = (path: string) => boolean;

/** One allow or forbid rule as kept by {@linkcode PushRules}. */
export interface PushRule {
  /** `true` for `allow`, `false` for `forbid`. */
  readonly allow: boolean;
  /** The compiled matcher. */
  readonly matches: StatRule;
}

function stripSlash(path: string): string {
  return path.startsWith("/") ? path.slice(1) : path;
}

/**
 * Compiles an fnmatch-style glob, matched against the whole stat path
 * without its leading `/`: `*` (and `**`) match any characters including
 * `/`, `?` one character, `[abc]` / `[!abc]` a class. So `web/*`,
 * `/web/*` and `*latency*` work as in the original scales.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileGlob } from "./rules.ts";
 * const matches = compileGlob("web/*");
 * assert.deepEqual([matches("/web/hits"), matches("/web/a/b"), matches("/db/hits")], [
 *   true,
 *   true,
 *   false,
 * ]);
 * ```
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

/**
 * Whether the newest rule of `rules` that matches forbids `path` (no match:
 * allowed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forbidden } from "./rules.ts";
 * const rules = [{ allow: false, matches: () => true }, {
 *   allow: true,
 *   matches: (path: string) => path === "/a",
 * }];
 * assert.deepEqual([forbidden(rules, "/a", 1), forbidden(rules, "/b", 1)], [false, true]);
 * ```
 */
export function forbidden(rules: readonly PushRule[], path: string, value: SnapshotValue): boolean {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i];
    if (rule.matches(path, value)) return !rule.allow;
  }
  return false;
}

/**
 * Whether any of `prunes` matches the branch at `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pruned } from "./rules.ts";
 * assert.equal(pruned([(path) => path === "/web"], "/web"), true);
 * ```
 */
export function pruned(prunes: readonly PruneRule[], path: string): boolean {
  for (let i = prunes.length - 1; i >= 0; i--) if (prunes[i](path)) return true;
  return false;
}

function toRule(rule: string | StatRule, method: string): StatRule {
  if (typeof rule === "function") return rule;
  if (typeof rule === "string") {
    const matches = compileGlob(rule);
    return (path) => matches(path);
  }
  throw new TypeError(`${method}() takes a glob string or a function, got ${describeValue(rule)}`);
}

/**
 * The rules of one exporter, in the order they were added. An exporter
 * forwards its `allow`, `forbid`, `prune` and `doNotLog` methods here and
 * hands {@linkcode PushRules.rules} and {@linkcode PushRules.prunes} to its
 * format. Bad arguments throw a `TypeError` naming the method and the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PushRules } from "./rules.ts";
 * const rules = new PushRules().forbid("web/*").allow("web/errors").doNotLog("/web/byPath");
 * assert.deepEqual(
 *   [rules.forbids("/web/hits", 1), rules.forbids("/web/errors", 1), rules.prunes("/web/byPath")],
 *   [true, false, true],
 * );
 * ```
 */
export class PushRules {
  readonly #rules: PushRule[] = [];
  readonly #prunes: PruneRule[] = [];

  /** The allow and forbid rules, oldest first (the newest matching one wins). */
  get rules(): readonly PushRule[] {
    return this.#rules;
  }

  /** The prune rules, oldest first. */
  get pruneRules(): readonly PruneRule[] {
    return this.#prunes;
  }

  /** Whether no rule was added: everything is pushed. */
  get empty(): boolean {
    return this.#rules.length === 0 && this.#prunes.length === 0;
  }

  /** Pushes the values whose stat path matches the glob or function. The newest matching rule wins. */
  allow(rule: string | StatRule): this {
    this.#rules.push({ allow: true, matches: toRule(rule, "allow") });
    return this;
  }

  /** Does not push the values whose stat path matches. The newest matching rule wins. */
  forbid(rule: string | StatRule): this {
    this.#rules.push({ allow: false, matches: toRule(rule, "forbid") });
    return this;
  }

  /** Skips a whole branch: nothing at or below a container whose path matches is walked. */
  prune(rule: string | PruneRule): this {
    if (typeof rule === "string") this.#prunes.push(compileGlob(rule));
    else if (typeof rule === "function") this.#prunes.push(rule);
    else {
      throw new TypeError(`prune() takes a glob string or a function, got ${describeValue(rule)}`);
    }
    return this;
  }

  /** Skips everything at or below the stat path `prefix`, such as `/web/byPath`. */
  doNotLog(prefix: string): this {
    if (typeof prefix !== "string" || prefix.trim() === "") {
      throw new TypeError(
        `doNotLog() takes a stat path such as "/web", got ${describeValue(prefix)}`,
      );
    }
    let base = prefix.trim();
    if (!base.startsWith("/")) base = `/${base}`;
    if (base.length > 1 && base.endsWith("/")) base = base.slice(0, -1);
    const below = `${base}/`;
    this.#prunes.push((path) => path === base || path.startsWith(below));
    return this;
  }

  /** Whether the newest matching allow or forbid rule forbids `path` with `value`. */
  forbids(path: string, value: SnapshotValue): boolean {
    return forbidden(this.#rules, path, value);
  }

  /** Whether a prune rule skips the branch at `path`. */
  prunes(path: string): boolean {
    return pruned(this.#prunes, path);
  }
}
