/**
 * What every pusher shares: the rules that choose which values go out
 * (allow, forbid, prune, doNotLog), newest matching rule first.
 *
 * @module
 */

import { type PruneRule, PushRules, type StatRule } from "./rules.ts";

let readRules: (pusher: RuledPusher) => PushRules;

/** The rules of `pusher`, in the order given, for the subclass to apply as it walks the tree. */
export function rulesOf(pusher: RuledPusher): PushRules {
  return readRules(pusher);
}

/**
 * The base of the pushers (`GraphitePusher`, `OtlpPusher`): the rules that
 * choose what is pushed. A rule matches the path of each pushed value,
 * such as `/web/latency/99percentile` for Graphite, or a stat's path plus
 * its dict key (`/web/byStatus/200`) for OTLP: a glob (`*` matches
 * anything, `/` included; the leading `/` is optional) or a function of path
 * and value. The newest matching rule wins; with none, a value is pushed.
 *
 * @example
 * ```ts
 * import { GraphitePusher, RuledPusher } from "@scales/core/graphite";
 * import assert from "node:assert/strict";
 * const pusher = new GraphitePusher("127.0.0.1", 2003, "app");
 * assert.ok(pusher instanceof RuledPusher);
 * pusher.forbid("web/*").allow("web/errors").doNotLog("/web/byPath");
 * ```
 */
export abstract class RuledPusher {
  readonly #rules = new PushRules();

  static {
    readRules = (pusher) => pusher.#rules;
  }

  /**
   * Pushes the values whose path matches `rule`.
   *
   * @example
   * ```ts
   * import { GraphitePusher } from "@scales/core/graphite";
   * const pusher = new GraphitePusher("127.0.0.1", 2003, "app");
   * pusher.forbid("web/*").allow("web/errors");
   * ```
   */
  allow(rule: string | StatRule): this {
    this.#rules.allow(rule);
    return this;
  }

  /**
   * Does not push the values whose path matches `rule`.
   *
   * @example
   * ```ts
   * import { GraphitePusher } from "@scales/core/graphite";
   * const pusher = new GraphitePusher("127.0.0.1", 2003, "app");
   * pusher.forbid("*percentile").allow("*99percentile");
   * pusher.forbid((_path, value) => value === 0);
   * ```
   */
  forbid(rule: string | StatRule): this {
    this.#rules.forbid(rule);
    return this;
  }

  /**
   * Skips a whole branch: nothing at or below a container, stat or dict key
   * whose path matches the glob or function is read or pushed. Cheaper than
   * `forbid` for big branches.
   *
   * @example
   * ```ts
   * import { GraphitePusher } from "@scales/core/graphite";
   * const pusher = new GraphitePusher("127.0.0.1", 2003, "app");
   * pusher.prune("web/byPath");
   * ```
   */
  prune(rule: string | PruneRule): this {
    this.#rules.prune(rule);
    return this;
  }

  /**
   * Does not push anything at or below the stat path `prefix`, such as
   * `/web/byPath`: the simple form of {@linkcode RuledPusher.prune}.
   *
   * @example
   * ```ts
   * import { GraphitePusher } from "@scales/core/graphite";
   * const pusher = new GraphitePusher("127.0.0.1", 2003, "app");
   * pusher.doNotLog("/web/byPath");
   * ```
   */
  doNotLog(prefix: string): this {
    this.#rules.doNotLog(prefix);
    return this;
  }
}
