/**
 * {@linkcode GraphitePusher}: one-shot pushes of the stat tree to Graphite
 * over the plaintext protocol: the Graphite format and rules on top of the
 * push pipeline (`push/`), through a TCP transport.
 *
 * @module
 */

import { describeValue, log } from "../src/log.ts";
import type { Snapshot } from "../src/stat.ts";
import { defaultTree, type StatTree } from "../src/tree.ts";
import { checkPositive } from "../push/options.ts";
import { PushPipeline } from "../push/pipeline.ts";
import { attachPipeline, RuledPusher, rulesOf } from "../push/ruled_pusher.ts";
import { TcpTransport } from "../push/tcp.ts";
import { type GraphiteConnector, loadRuntime } from "./_connect.ts";
import { formatSnapshot, sanitizePrefix, sanitizeSegment } from "./_format.ts";

export type { GraphiteConnection, GraphiteConnector } from "./_connect.ts";
export type { PruneRule, StatRule } from "../push/rules.ts";

/** The container path of the pushers' own stats. */
export const GRAPHITE_STATS_PATH = "/scales/graphite";

/** Options of {@linkcode GraphitePusher} (all optional). */
export interface GraphitePusherOptions {
  /** Most pushes kept while Graphite is unreachable; past it the oldest are dropped. Default 60. */
  maxQueuedPushes?: number;
  /** Most lines kept while Graphite is unreachable; past it the oldest pushes are dropped. Default 1,000,000. */
  maxQueuedLines?: number;
  /** How long a connection attempt may take. Default 5,000 ms. */
  connectTimeoutMs?: number;
  /** How long one write may take before the connection is dropped as hung. Default 10,000 ms. */
  writeTimeoutMs?: number;
  /** The first reconnect delay; it doubles per failure, with jitter. Default 500 ms. */
  minBackoffMs?: number;
  /** The longest reconnect delay. Default 30,000 ms. */
  maxBackoffMs?: number;
  /** Queued pushes are joined into writes of about this many bytes. Default 262,144. */
  maxWriteBytes?: number;
  /**
   * How many of the last pushes written on a connection are written again
   * after that connection drops. The plaintext protocol has no
   * acknowledgements: a carbon that stops may lose what it received last
   * (its cache, its socket buffer). Carbon keeps one value per timestamp,
   * so a repeat is harmless. Default 2; 0 turns it off.
   */
  resendOnReconnect?: number;
  /**
   * The tree to push, and where the pusher's own stats go
   * (`/scales/graphite`). Default: the default tree.
   */
  tree?: StatTree;
  /** Opens connections; defaults to `Deno.connect` on Deno and `node:net` on Node. */
  connector?: GraphiteConnector;
  /** The clock, in milliseconds since the epoch, for timestamps and backoff. Default `Date.now`. */
  clock?: () => number;
  /** Randomness for the backoff jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * Pushes the stat tree to a Graphite server (carbon) over the plaintext
 * protocol, one `push()` at a time. Every numeric stat is pushed by default
 * as `prefix` + its path segments joined by `.`, each segment sanitized;
 * {@linkcode GraphitePusher.allow}, {@linkcode GraphitePusher.forbid},
 * {@linkcode GraphitePusher.prune} and {@linkcode GraphitePusher.doNotLog}
 * choose what goes out.
 *
 * When Graphite is unreachable, pushes wait in a bounded queue (60 pushes or
 * 1,000,000 lines by default; past it the oldest are dropped and counted)
 * and are sent on reconnect with their original timestamps. Reconnects back
 * off exponentially with jitter. Nothing here throws into the application:
 * trouble is logged (see `setLogger`) and counted under `/scales/graphite`.
 *
 * @example Push once to a local carbon (it is fine if none is running)
 * ```ts
 * import { collection, IntStat, reset } from "@scales/core";
 * import { GraphitePusher } from "@scales/core/graphite";
 * reset();
 * const STATS = collection("/web", IntStat("hits"));
 * STATS.hits += 1;
 * await using pusher = new GraphitePusher("127.0.0.1", 1, "my.server", { connectTimeoutMs: 200 });
 * pusher.forbid("scales/*");
 * await pusher.push(); // true once delivered; false here: nothing listens on port 1
 * ```
 */
export class GraphitePusher extends RuledPusher {
  /** The Graphite host. */
  readonly host: string;
  /** The Graphite plaintext port, usually 2003. */
  readonly port: number;
  #resolvedPrefix: string | undefined;
  readonly #clock: () => number;
  readonly #tree: StatTree;
  readonly #pipeline: PushPipeline<string>;

  /**
   * Makes a pusher for `host:port`; nothing connects until the first push.
   * Throws a `TypeError` or `RangeError` naming a bad argument.
   *
   * @param host The Graphite host name or address.
   * @param port The plaintext port (carbon's `LINE_RECEIVER_PORT`, usually 2003).
   * @param prefix Prepended to every name, such as `my.server.prefix.` (the
   *   trailing `.` is optional). Default: this machine's host name,
   *   lower-cased and sanitized.
   * @param options Queue bounds, timeouts, backoff and seams.
   */
  constructor(host: string, port: number, prefix?: string, options: GraphitePusherOptions = {}) {
    super();
    if (typeof host !== "string" || host === "") {
      throw new TypeError(`Graphite host must be a non-empty string, got ${describeValue(host)}`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(
        `Graphite port must be an integer from 1 to 65535, got ${describeValue(port)}`,
      );
    }
    if (prefix !== undefined && typeof prefix !== "string") {
      throw new TypeError(`Graphite prefix must be a string, got ${describeValue(prefix)}`);
    }
    this.host = host;
    this.port = port;
    if (prefix !== undefined) this.#resolvedPrefix = sanitizePrefix(prefix);
    const clock = options.clock ?? Date.now;
    this.#clock = clock;
    const tree = options.tree ?? defaultTree;
    this.#tree = tree;
    const transport = new TcpTransport(host, port, {
      connector: options.connector ??
        ((h, p, signal) => loadRuntime().then((runtime) => runtime.connect(h, p, signal))),
      connectTimeoutMs: checkPositive(options.connectTimeoutMs ?? 5_000, "connectTimeoutMs", false),
      writeTimeoutMs: checkPositive(options.writeTimeoutMs ?? 10_000, "writeTimeoutMs", false),
    });
    this.#pipeline = attachPipeline(
      this,
      new PushPipeline("graphite", transport, {
        maxQueuedPushes: options.maxQueuedPushes,
        maxQueuedValues: checkPositive(options.maxQueuedLines ?? 1_000_000, "maxQueuedLines"),
        maxBatchBytes: checkPositive(options.maxWriteBytes ?? 262_144, "maxWriteBytes"),
        minBackoffMs: options.minBackoffMs,
        maxBackoffMs: options.maxBackoffMs,
        resendOnReconnect: options.resendOnReconnect ?? 2,
        unit: "lines",
        tree,
        clock,
        random: options.random,
      }),
    );
  }

  /** Lines waiting to be sent (queued and being written). */
  get queuedLines(): number {
    return this.#pipeline.queuedValues;
  }

  /**
   * The prefix every name gets, sanitized and ending with `.` (or `""`).
   * Resolves the host name on first use when none was given.
   */
  async prefix(): Promise<string> {
    if (this.#resolvedPrefix !== undefined) return this.#resolvedPrefix;
    let name: string | undefined;
    try {
      name = (await loadRuntime()).hostname();
    } catch (error) {
      log("graphite: could not read the host name", error);
    }
    if (name === undefined || name === "") {
      log(
        'graphite: no host name available (on Deno, allow "sys"); using the prefix "unknown-host."',
      );
      name = "unknown-host";
    }
    this.#resolvedPrefix ??= sanitizeSegment(name.toLowerCase()) + ".";
    return this.#resolvedPrefix;
  }

  /**
   * Formats `snapshot` (default: the whole stat tree) as plaintext lines
   * with the timestamp `now` (default: the clock), without sending or
   * counting anything: what a push would send.
   *
   * @example
   * ```ts
   * import { GraphitePusher } from "@scales/core/graphite";
   * const pusher = new GraphitePusher("127.0.0.1", 2003, "app");
   * await pusher.format({ web: { hits: 3, "a b": true } }, 1_800_000_000_000);
   * // "app.web.hits 3 1800000000\napp.web.a-b 1 1800000000\n"
   * ```
   */
  async format(snapshot?: Snapshot, now?: number): Promise<string> {
    const timestamp = Math.floor((now ?? this.#clock()) / 1000);
    return formatSnapshot(
      snapshot ?? this.#tree.getStats() ?? {},
      await this.prefix(),
      timestamp,
      rulesOf(this).rules,
      rulesOf(this).pruneRules,
    ).text;
  }

  /**
   * Takes a snapshot of the stat tree (or uses `snapshot`), queues it with
   * one timestamp (whole seconds) for all its lines, and sends everything
   * queued. Resolves to `true` when the queue is empty afterwards, `false`
   * when Graphite could not be reached (the push stays queued). Never rejects.
   */
  push(snapshot?: Snapshot): Promise<boolean> {
    return this.#pipeline.push(async (now) => {
      const values: Snapshot = snapshot ?? this.#tree.getStats() ?? {};
      const prefix = await this.prefix();
      const timestamp = Math.floor(now / 1000);
      const rules = rulesOf(this);
      const formatted = formatSnapshot(values, prefix, timestamp, rules.rules, rules.pruneRules);
      return {
        payload: formatted.text,
        values: formatted.lines,
        bytes: formatted.text.length,
        skipped: formatted.skipped,
      };
    });
  }
}
