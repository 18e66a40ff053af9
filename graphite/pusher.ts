/**
 * {@linkcode GraphitePusher}: one-shot pushes of the stat tree to Graphite
 * over the plaintext protocol, with a bounded queue that survives outages.
 *
 * @module
 */

import { describeValue, log } from "../src/log.ts";
import type { Snapshot } from "../src/stat.ts";
import { getStats } from "../src/tree.ts";
import { type GraphiteConnection, type GraphiteConnector, loadRuntime } from "./_connect.ts";
import {
  compileGlob,
  formatSnapshot,
  type PruneRule,
  type PushRule,
  sanitizePrefix,
  sanitizeSegment,
  type StatRule,
} from "./_format.ts";
import { graphiteStats, queue as liveQueue } from "./_stats.ts";
import { unrefTimeout } from "./_timers.ts";

export type { GraphiteConnection, GraphiteConnector } from "./_connect.ts";
export type { PruneRule, StatRule } from "./_format.ts";

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
  /** Opens connections; defaults to `Deno.connect` on Deno and `node:net` on Node. */
  connector?: GraphiteConnector;
  /** The clock, in milliseconds since the epoch, for timestamps and backoff. Default `Date.now`. */
  clock?: () => number;
  /** Randomness for the backoff jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

interface QueuedPush {
  readonly text: string;
  readonly lines: number;
}

const encoder = new TextEncoder();

function checkPositive(value: unknown, what: string, integer = true): number {
  if (
    typeof value !== "number" || !(value > 0) ||
    (integer ? !Number.isSafeInteger(value) : !Number.isFinite(value))
  ) {
    throw new RangeError(
      `${what} must be a positive ${integer ? "integer" : "number"}, got ${describeValue(value)}`,
    );
  }
  return value;
}

function toRule(rule: string | StatRule, method: string): StatRule {
  if (typeof rule === "function") return rule;
  if (typeof rule === "string") {
    const matches = compileGlob(rule);
    return (path) => matches(path);
  }
  throw new TypeError(
    `${method}() takes a glob string or a function, got ${describeValue(rule)}`,
  );
}

/** `promise`, or a rejection after `ms` or as soon as `abandon` aborts, whichever comes first. */
function timeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  abandon: AbortSignal,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    // Kept referenced: it bounds an operation the caller may be awaiting.
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    onAbort = () => reject(new Error(`${what} abandoned: close() passed its deadline`));
    if (abandon.aborted) onAbort();
    else abandon.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, expired]).finally(() => {
    clearTimeout(timer);
    abandon.removeEventListener("abort", onAbort!);
  });
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
export class GraphitePusher implements AsyncDisposable {
  /** The Graphite host. */
  readonly host: string;
  /** The Graphite plaintext port, usually 2003. */
  readonly port: number;
  readonly #prefix: string | undefined;
  #resolvedPrefix: string | undefined;
  readonly #rules: PushRule[] = [];
  readonly #prunes: PruneRule[] = [];
  readonly #maxPushes: number;
  readonly #maxLines: number;
  readonly #connectTimeoutMs: number;
  readonly #writeTimeoutMs: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxWriteBytes: number;
  readonly #connector: GraphiteConnector;
  readonly #clock: () => number;
  readonly #random: () => number;

  #queue: QueuedPush[] = [];
  #inFlight: QueuedPush[] = [];
  /** The last pushes fully written on the current connection. */
  #recent: QueuedPush[] = [];
  /** Pushes to write again after a reconnect (already counted as sent). */
  #resend: QueuedPush[] = [];
  readonly #resendCount: number;
  #queuedLines = 0;
  #connection: GraphiteConnection | undefined;
  #everConnected = false;
  #failures = 0;
  #retryAt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #draining: Promise<boolean> | undefined;
  #closed = false;
  /** Set when close() passed its deadline: the drain loop stops trying. */
  #abandoned = false;
  /** Aborted when close() passes its deadline: a pending connect or write gives up at once. */
  readonly #abandonment = new AbortController();
  #dropping = false;

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
    this.#prefix = prefix;
    if (prefix !== undefined) this.#resolvedPrefix = sanitizePrefix(prefix);
    this.#maxPushes = checkPositive(options.maxQueuedPushes ?? 60, "maxQueuedPushes");
    this.#maxLines = checkPositive(options.maxQueuedLines ?? 1_000_000, "maxQueuedLines");
    this.#connectTimeoutMs = checkPositive(
      options.connectTimeoutMs ?? 5_000,
      "connectTimeoutMs",
      false,
    );
    this.#writeTimeoutMs = checkPositive(options.writeTimeoutMs ?? 10_000, "writeTimeoutMs", false);
    this.#minBackoffMs = checkPositive(options.minBackoffMs ?? 500, "minBackoffMs", false);
    this.#maxBackoffMs = checkPositive(options.maxBackoffMs ?? 30_000, "maxBackoffMs", false);
    const resend = options.resendOnReconnect ?? 2;
    if (!Number.isSafeInteger(resend) || resend < 0) {
      throw new RangeError(
        `resendOnReconnect must be a non-negative integer, got ${describeValue(resend)}`,
      );
    }
    this.#resendCount = resend;
    this.#maxWriteBytes = checkPositive(options.maxWriteBytes ?? 262_144, "maxWriteBytes");
    this.#connector = options.connector ??
      ((h, p, signal) => loadRuntime().then((runtime) => runtime.connect(h, p, signal)));
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? Math.random;
    graphiteStats(); // a pusher shows under /scales/graphite from the start
  }

  /**
   * Pushes the values whose stat path (such as `/web/latency/99percentile`)
   * matches: a glob (`*` matches anything, `/` included; the leading `/` is
   * optional) or a function of path and value. The newest matching rule wins.
   *
   * @example
   * ```ts
   * import { GraphitePusher } from "@scales/core/graphite";
   * const pusher = new GraphitePusher("127.0.0.1", 2003, "app");
   * pusher.forbid("web/*").allow("web/errors");
   * ```
   */
  allow(rule: string | StatRule): this {
    this.#rules.push({ allow: true, matches: toRule(rule, "allow") });
    return this;
  }

  /**
   * Does not push the values whose stat path matches (see
   * {@linkcode GraphitePusher.allow}). The newest matching rule wins.
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
    this.#rules.push({ allow: false, matches: toRule(rule, "forbid") });
    return this;
  }

  /**
   * Skips a whole branch: the walk does not go below a container or dict
   * whose path matches the glob or function. Cheaper than `forbid` for big
   * branches.
   *
   * @example
   * ```ts
   * import { GraphitePusher } from "@scales/core/graphite";
   * const pusher = new GraphitePusher("127.0.0.1", 2003, "app");
   * pusher.prune("web/byPath");
   * ```
   */
  prune(rule: string | PruneRule): this {
    if (typeof rule === "string") this.#prunes.push(compileGlob(rule));
    else if (typeof rule === "function") this.#prunes.push(rule);
    else {throw new TypeError(
        `prune() takes a glob string or a function, got ${describeValue(rule)}`,
      );}
    return this;
  }

  /**
   * Does not push anything at or below the stat path `prefix`, such as
   * `/web/byPath`: the simple form of {@linkcode GraphitePusher.prune}.
   *
   * @example
   * ```ts
   * import { GraphitePusher } from "@scales/core/graphite";
   * const pusher = new GraphitePusher("127.0.0.1", 2003, "app");
   * pusher.doNotLog("/web/byPath");
   * ```
   */
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

  /** Pushes waiting to be sent (queued and being written). */
  get queuedPushes(): number {
    return this.#queue.length + this.#inFlight.length;
  }

  /** Lines waiting to be sent (queued and being written). */
  get queuedLines(): number {
    return this.#queuedLines;
  }

  /** Whether {@linkcode GraphitePusher.close} has been called: later pushes are ignored. */
  get closed(): boolean {
    return this.#closed;
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
      snapshot ?? getStats() ?? {},
      await this.prefix(),
      timestamp,
      this.#rules,
      this.#prunes,
    )
      .text;
  }

  /**
   * Takes a snapshot of the stat tree (or uses `snapshot`), queues it with
   * one timestamp (whole seconds) for all its lines, and sends everything
   * queued. Resolves to `true` when the queue is empty afterwards, `false`
   * when Graphite could not be reached (the push stays queued). Never rejects.
   */
  async push(snapshot?: Snapshot): Promise<boolean> {
    try {
      const timestamp = Math.floor(this.#clock() / 1000);
      if (this.#closed) {
        log(`graphite: push() after close() to ${this.host}:${this.port} is ignored`);
        return false;
      }
      const values: Snapshot = snapshot ?? getStats() ?? {};
      const prefix = await this.prefix();
      const formatted = formatSnapshot(values, prefix, timestamp, this.#rules, this.#prunes);
      graphiteStats().pushes += 1;
      graphiteStats().skipped += formatted.skipped;
      if (formatted.lines > 0) this.#enqueue({ text: formatted.text, lines: formatted.lines });
      return await this.flush();
    } catch (error) {
      this.#error("push failed", error);
      return false;
    }
  }

  /**
   * Sends what is queued now, unless a reconnect is backing off (a timer
   * retries then). Resolves to whether the queue is empty. Never rejects.
   */
  flush(): Promise<boolean> {
    if (this.#draining === undefined) {
      this.#draining = this.#drain().catch((error) => {
        this.#error("sending failed", error);
        return false;
      }).finally(() => {
        this.#draining = undefined;
      });
    }
    return this.#draining;
  }

  /**
   * Stops taking pushes, sends what is queued (trying at once, even during
   * a backoff) within `deadlineMs`, then closes the connection. What could
   * not be sent is dropped and counted. Resolves to whether everything was
   * sent. Never rejects.
   */
  async close(deadlineMs = 5_000): Promise<boolean> {
    if (this.#closed && this.#connection === undefined && this.queuedPushes === 0) return true;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delivered = false;
    try {
      // A bounded wait that is allowed to keep the process alive: a final flush at exit.
      const expired = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      });
      const attempt = (async () => {
        await this.#draining;
        this.#retryAt = 0;
        return await this.flush();
      })();
      delivered = await Promise.race([attempt, expired]);
    } catch (error) {
      this.#error("final flush failed", error);
    } finally {
      clearTimeout(timer);
      this.#abandoned = true;
      this.#abandonment.abort();
      this.#connection?.close();
      this.#connection = undefined;
      this.#recent = [];
      this.#resend = [];
      await this.#draining?.catch(() => false);
      const left = this.#queue.splice(0);
      if (left.length > 0) {
        let lines = 0;
        for (const push of left) lines += push.lines;
        this.#forget(left.length, lines);
        graphiteStats().droppedPushes += left.length;
        graphiteStats().dropped += lines;
        log(
          `graphite: dropped ${left.length} unsent pushes (${lines} lines) to ${this.host}:${this.port} on close`,
        );
      }
    }
    return delivered && this.queuedPushes === 0;
  }

  /** Same as {@linkcode GraphitePusher.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #enqueue(push: QueuedPush): void {
    this.#queue.push(push);
    this.#queuedLines += push.lines;
    liveQueue.pushes += 1;
    liveQueue.lines += push.lines;
    this.#trim();
  }

  /** Drops the oldest queued pushes (never one being written) past the bounds. */
  #trim(): void {
    let droppedPushes = 0;
    let droppedLines = 0;
    while (
      this.#queue.length > 0 &&
      (this.queuedPushes > this.#maxPushes || this.#queuedLines > this.#maxLines)
    ) {
      const oldest = this.#queue.shift()!;
      droppedPushes += 1;
      droppedLines += oldest.lines;
      this.#forget(1, oldest.lines);
    }
    if (droppedPushes === 0) return;
    graphiteStats().droppedPushes += droppedPushes;
    graphiteStats().dropped += droppedLines;
    if (!this.#dropping) {
      this.#dropping = true;
      log(
        `graphite: queue for ${this.host}:${this.port} is full (${this.#maxPushes} pushes or ${this.#maxLines} lines); dropping the oldest pushes`,
      );
    }
  }

  #forget(pushes: number, lines: number): void {
    this.#queuedLines -= lines;
    liveQueue.pushes -= pushes;
    liveQueue.lines -= lines;
  }

  async #drain(): Promise<boolean> {
    while (this.#queue.length > 0 || this.#resend.length > 0) {
      if (this.#abandoned) return false;
      const now = this.#clock();
      if (now < this.#retryAt) {
        this.#scheduleRetry(this.#retryAt - now);
        return false;
      }
      const connection = await this.#connect();
      if (connection === undefined) {
        this.#scheduleRetry(this.#retryAt - this.#clock());
        return false;
      }
      // Join the pushes to repeat and the queued pushes into one large write.
      const resend = this.#resend.splice(0);
      let text = "";
      for (const push of resend) text += push.text;
      let count = 0;
      while (
        count < this.#queue.length && (count === 0 || text.length < this.#maxWriteBytes)
      ) {
        text += this.#queue[count].text;
        count++;
      }
      const batch = this.#queue.splice(0, count);
      this.#inFlight = batch;
      try {
        await this.#writeAll(connection, encoder.encode(text));
      } catch (error) {
        // Written again whole on reconnect: carbon keeps one value per
        // timestamp, so a partly delivered push is simply repeated.
        this.#inFlight = [];
        this.#queue.unshift(...batch);
        this.#trim();
        this.#resend = resend;
        connection.close();
        this.#lost(connection);
        this.#fail(`writing to ${this.host}:${this.port} failed; will reconnect`, error);
        continue;
      }
      this.#inFlight = [];
      let lines = 0;
      for (const push of batch) lines += push.lines;
      this.#forget(batch.length, lines);
      let resentLines = 0;
      for (const push of resend) resentLines += push.lines;
      this.#recent.push(...resend, ...batch);
      this.#recent.splice(0, Math.max(0, this.#recent.length - this.#resendCount));
      graphiteStats().sent += lines;
      graphiteStats().resent += resentLines;
      graphiteStats().sentPushes += batch.length;
      graphiteStats().lastSuccess = Math.floor(this.#clock() / 1000);
      this.#failures = 0;
      this.#dropping = false;
    }
    return true;
  }

  async #writeAll(connection: GraphiteConnection, bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      if (connection.closed) throw new Error("the connection was closed by the peer");
      const written = await timeout(
        connection.write(bytes.subarray(offset)),
        this.#writeTimeoutMs,
        "write",
        this.#abandonment.signal,
      );
      if (!Number.isInteger(written) || written <= 0 || written > bytes.length - offset) {
        throw new Error(`write reported ${describeValue(written)} bytes written`);
      }
      offset += written;
    }
  }

  async #connect(): Promise<GraphiteConnection | undefined> {
    const current = this.#connection;
    if (current !== undefined) {
      if (!current.closed) return current;
      this.#lost(current);
    }
    let connection: GraphiteConnection;
    // Aborted when the attempt times out or is abandoned: the runtime stops
    // connecting, so a peer that never answers holds neither a socket nor the process.
    const cancel = new AbortController();
    try {
      const attempt = this.#connector(this.host, this.port, cancel.signal);
      connection = await timeout(
        attempt,
        this.#connectTimeoutMs,
        "connect",
        this.#abandonment.signal,
      ).catch((error) => {
        cancel.abort();
        // A connection that arrives after the timeout is closed, not leaked.
        attempt.then((late) => late.close(), () => {});
        throw error;
      });
    } catch (error) {
      this.#fail(`cannot connect to ${this.host}:${this.port}`, error);
      return undefined;
    }
    if (
      this.#abandoned ||
      (this.#closed && this.#queue.length === 0 && this.#resend.length === 0)
    ) {
      connection.close();
      return undefined;
    }
    if (this.#everConnected) {
      graphiteStats().reconnects += 1;
      log(`graphite: reconnected to ${this.host}:${this.port}`);
    }
    this.#everConnected = true;
    this.#connection = connection;
    return connection;
  }

  /** The connection is gone: what was written last on it is to be written again. */
  #lost(connection: GraphiteConnection): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    const again = [...this.#resend, ...this.#recent];
    this.#recent = [];
    this.#resend = again.slice(Math.max(0, again.length - this.#resendCount));
  }

  /** Counts a failure and sets the next attempt: exponential backoff with jitter. */
  #fail(message: string, error: unknown): void {
    if (this.#abandoned) return; // close() gave up on purpose: not an error of the peer
    graphiteStats().errors += 1;
    if (this.#failures === 0) log(`graphite: ${message}`, error);
    this.#failures += 1;
    const base = Math.min(
      this.#maxBackoffMs,
      this.#minBackoffMs * 2 ** Math.min(this.#failures - 1, 30),
    );
    this.#retryAt = this.#clock() + base / 2 + this.#random() * base / 2;
  }

  #error(message: string, error: unknown): void {
    graphiteStats().errors += 1;
    log(`graphite: ${message}`, error);
  }

  #scheduleRetry(delayMs: number): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    this.#retryTimer = unrefTimeout(() => {
      this.#retryTimer = undefined;
      this.flush();
    }, Math.max(0, delayMs));
  }
}
