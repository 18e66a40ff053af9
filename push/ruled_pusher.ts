/**
 * What every pusher shares: the rules that choose which values go out
 * (allow, forbid, prune, doNotLog), newest matching rule first, and the
 * queue, flush and close of its push pipeline.
 *
 * @module
 */

import type { PushPipeline } from "./pipeline.ts";
import { type PruneRule, PushRules, type StatRule } from "./rules.ts";

let readRules: (pusher: RuledPusher) => PushRules;
let setPipeline: (pusher: RuledPusher, pipeline: PushPipeline<unknown>) => void;

/** Gives `pusher` the pipeline its queue, flush and close go through (once, in its constructor). */
export function attachPipeline<P>(pusher: RuledPusher, pipeline: PushPipeline<P>): PushPipeline<P> {
  setPipeline(pusher, pipeline as PushPipeline<unknown>);
  return pipeline;
}

/** The rules of `pusher`, in the order given, for the subclass to apply as it walks the tree. */
export function rulesOf(pusher: RuledPusher): PushRules {
  return readRules(pusher);
}

/**
 * The base of the pushers (`GraphitePusher`, `OtlpPusher`): the rules that
 * choose what is pushed, and the queue, `flush` and `close` they share. A rule matches the path of each pushed value,
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
export abstract class RuledPusher implements AsyncDisposable {
  readonly #rules = new PushRules();
  #pipeline: PushPipeline<unknown> | undefined;

  static {
    readRules = (pusher) => pusher.#rules;
    setPipeline = (pusher, pipeline) => {
      pusher.#pipeline = pipeline;
    };
  }

  #attached(): PushPipeline<unknown> {
    if (this.#pipeline === undefined) {
      throw new Error("a pusher's constructor attaches its pipeline");
    }
    return this.#pipeline;
  }

  /** Pushes waiting to be sent (queued and being sent). */
  get queuedPushes(): number {
    return this.#attached().queuedPushes;
  }

  /** Whether {@linkcode RuledPusher.close} has been called: later pushes are ignored. */
  get closed(): boolean {
    return this.#attached().closed;
  }

  /**
   * Sends what is queued now, unless a retry is backing off (a timer
   * retries then). Resolves to whether the queue is empty. Never rejects.
   */
  flush(): Promise<boolean> {
    return this.#attached().flush();
  }

  /**
   * Stops taking pushes, sends what is queued (trying at once, even during
   * a backoff) within `deadlineMs`, then closes the connection. What could
   * not be sent is dropped and counted. Resolves to whether everything was
   * sent. Never rejects.
   */
  close(deadlineMs = 5_000): Promise<boolean> {
    return this.#attached().close(deadlineMs);
  }

  /** Same as {@linkcode RuledPusher.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
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
