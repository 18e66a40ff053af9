/**
 * {@linkcode OtlpPusher}: one-shot pushes of a stat tree to an
 * OpenTelemetry receiver (the Collector, a hosted backend) over OTLP/HTTP:
 * the OTLP mapping and encodings on top of the push pipeline (`push/`),
 * through an HTTP transport.
 *
 * @module
 */

import { metricFamilies } from "../src/model.ts";
import { defaultTree, type StatTree } from "../src/tree.ts";
import { PushPipeline } from "../push/pipeline.ts";
import { attachPipeline, RuledPusher, rulesOf } from "../push/ruled_pusher.ts";
import { runtime } from "../runtime/mod.ts";
import {
  type OtlpCompression,
  type OtlpConfig,
  type OtlpProtocol,
  resolveConfig,
} from "./_config.ts";
import { JsonEncoding } from "./_encode_json.ts";
import { ProtobufEncoding } from "./_encode_protobuf.ts";
import type { AttributeValue, OtlpEncoding } from "./_encoding.ts";
import { otlpTransport } from "./_http.ts";
import { mapFamilies, type MappedPush } from "./_mapping.ts";

export type { PruneRule, StatRule } from "../push/rules.ts";
export type { OtlpCompression, OtlpProtocol } from "./_config.ts";
export type { AttributeValue } from "./_encoding.ts";

/**
 * The container path of the pushers' own stats (in the tree they push).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StatTree } from "@scales/core";
 * import { OTLP_STATS_PATH, OtlpPusher } from "@scales/core/otlp";
 * const tree = new StatTree();
 * new OtlpPusher({ tree, endpoint: "http://127.0.0.1:4318/v1/metrics" });
 * assert.equal((tree.getStats(OTLP_STATS_PATH) as { pushes: number }).pushes, 0);
 * ```
 */
export const OTLP_STATS_PATH = "/scales/otlp";

/**
 * The instrumentation scope name of every metric the pushers send: how a
 * backend tells them from the metrics of Deno's built-in telemetry or of
 * the OpenTelemetry SDK.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OTLP_SCOPE_NAME } from "@scales/core/otlp";
 * assert.equal(OTLP_SCOPE_NAME, "@scales/core");
 * ```
 */
export const OTLP_SCOPE_NAME = "@scales/core";

/**
 * Options of {@linkcode OtlpPusher} (all optional). What an option leaves
 * out comes from the standard OpenTelemetry environment variables, then
 * from the defaults (see the README's table).
 */
export interface OtlpPusherOptions {
  /**
   * The full metrics URL. Default: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, or
   * `OTEL_EXPORTER_OTLP_ENDPOINT` plus `/v1/metrics`, or
   * `http://localhost:4318/v1/metrics`.
   */
  endpoint?: string;
  /** Extra request headers, such as an API key. Default: `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Readonly<Record<string, string>>;
  /** `"http/protobuf"` or `"http/json"`. Default: `OTEL_EXPORTER_OTLP_PROTOCOL`, or `"http/protobuf"`. */
  protocol?: OtlpProtocol;
  /** `"gzip"` or `"none"`. Default: `OTEL_EXPORTER_OTLP_COMPRESSION`, or `"none"`. */
  compression?: OtlpCompression;
  /** How long one request may take. Default: `OTEL_EXPORTER_OTLP_TIMEOUT`, or 10,000 ms. */
  timeoutMs?: number;
  /**
   * Resource attributes, over `OTEL_RESOURCE_ATTRIBUTES` and
   * `OTEL_SERVICE_NAME` (`service.name`, default `unknown_service`).
   */
  resource?: Readonly<Record<string, AttributeValue>>;
  /**
   * The tree to push, and where the pusher's own stats go (`/scales/otlp`).
   * Default: the default tree (the module-level functions').
   */
  tree?: StatTree;
  /** Most pushes kept while the receiver is unreachable; past it the oldest are dropped. Default 60. */
  maxQueuedPushes?: number;
  /** Most data points kept while the receiver is unreachable. Default 1,000,000. */
  maxQueuedDataPoints?: number;
  /** Queued pushes are joined into requests of about this many bytes (before compression). Default 4 MiB. */
  maxRequestBytes?: number;
  /** The first retry delay; it doubles per failure, with jitter. Default 500 ms. */
  minBackoffMs?: number;
  /** The longest retry delay. Default 30,000 ms. */
  maxBackoffMs?: number;
  /** Reads an environment variable. Default: the runtime's (`undefined` without permission). */
  env?: (name: string) => string | undefined;
  /** The clock, in milliseconds since the epoch, for timestamps and backoff. Default `Date.now`. */
  clock?: () => number;
  /** Randomness for the backoff jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** Nanoseconds since the epoch of a time in milliseconds (fractions kept to the microsecond). */
function nanos(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1000)) * 1000n;
}

/**
 * The time every cumulative series starts: when the process started
 * (`performance.timeOrigin`), the same for every pusher of the process.
 */
function processStartMs(): number {
  const origin = globalThis.performance?.timeOrigin;
  return typeof origin === "number" && Number.isFinite(origin) ? origin : Date.now();
}

/**
 * Pushes a stat tree to an OpenTelemetry receiver over OTLP/HTTP, one
 * `push()` at a time: counters as monotonic sums, gauges as gauges,
 * distributions as exponential histograms taken bucket for bucket from the
 * sketch, meters as monotonic sums of their count, all cumulative, each
 * named after its stat path (`/web/latency` → `web.latency`), dict keys as
 * the attribute `key`. {@linkcode OtlpPusher.allow},
 * {@linkcode OtlpPusher.forbid}, {@linkcode OtlpPusher.prune} and
 * {@linkcode OtlpPusher.doNotLog} choose what goes out, as for Graphite.
 *
 * When the receiver is unreachable or answers 429, 502, 503 or 504, pushes
 * wait in a bounded queue and go out later with their original timestamps,
 * after the receiver's `Retry-After` or an exponential backoff. Other
 * refusals (400, 401, 413, ...) drop the push, counted and logged once.
 * Nothing here throws into the application: trouble is logged (see
 * `setLogger`) and counted under `/scales/otlp`.
 *
 * @example Push once to a local collector (it is fine if none is running)
 * ```ts
 * import { collection, IntStat, StatTree } from "@scales/core";
 * import { OtlpPusher } from "@scales/core/otlp";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * tree.collection("/web", IntStat("hits")).hits += 1;
 * await using pusher = new OtlpPusher({
 *   endpoint: "http://127.0.0.1:1/v1/metrics",
 *   resource: { "service.name": "checkout" },
 *   tree,
 * });
 * assert.equal(await pusher.push(), false); // nothing listens on port 1: the push stays queued
 * assert.equal(pusher.queuedPushes, 1);
 * ```
 */
export class OtlpPusher extends RuledPusher {
  /** The metrics URL. */
  readonly endpoint: string;
  /** The wire format. */
  readonly protocol: OtlpProtocol;
  /** The settings in force: options, then environment variables, then defaults. */
  readonly config: OtlpConfig;
  readonly #tree: StatTree;
  readonly #encoding: OtlpEncoding;
  readonly #clock: () => number;
  readonly #startNs: bigint;
  readonly #pipeline: PushPipeline<Uint8Array>;

  /**
   * Makes a pusher; nothing is sent until the first push. Throws a
   * `TypeError` or `RangeError` naming a bad option.
   *
   * @param options Endpoint, protocol, resource, tree, queue bounds and seams.
   */
  constructor(options: OtlpPusherOptions = {}) {
    super();
    const env = options.env ?? ((name: string) => runtime().env(name));
    this.config = resolveConfig(options, env);
    this.endpoint = this.config.endpoint;
    this.protocol = this.config.protocol;
    this.#tree = options.tree ?? defaultTree;
    const clock = options.clock ?? Date.now;
    this.#clock = clock;
    this.#startNs = nanos(processStartMs());
    const scope = { name: OTLP_SCOPE_NAME, version: "" };
    this.#encoding = this.protocol === "http/json"
      ? new JsonEncoding(this.config.resource, scope)
      : new ProtobufEncoding(this.config.resource, scope);
    const transport = otlpTransport(this.#encoding, {
      endpoint: this.endpoint,
      headers: this.config.headers,
      compression: this.config.compression,
      timeoutMs: this.config.timeoutMs,
      clock,
    });
    this.#pipeline = attachPipeline(
      this,
      new PushPipeline("otlp", transport, {
        maxQueuedPushes: options.maxQueuedPushes,
        maxQueuedValues: options.maxQueuedDataPoints,
        maxBatchBytes: options.maxRequestBytes ?? 4 * 1024 * 1024,
        minBackoffMs: options.minBackoffMs,
        maxBackoffMs: options.maxBackoffMs,
        unit: "data points",
        tree: this.#tree,
        clock,
        random: options.random,
      }),
    );
  }

  /** Data points waiting to be sent (queued and being sent). */
  get queuedDataPoints(): number {
    return this.#pipeline.queuedValues;
  }

  #map(): MappedPush {
    const rules = rulesOf(this);
    return mapFamilies(metricFamilies(this.#tree.root), rules.rules, rules.pruneRules);
  }

  /**
   * The request body one push would send at `now` (default: the clock), in
   * the pusher's protocol and uncompressed, without sending or counting
   * anything: an `ExportMetricsServiceRequest`.
   *
   * @example
   * ```ts
   * import { IntStat, StatTree } from "@scales/core";
   * import { OtlpPusher } from "@scales/core/otlp";
   * import assert from "node:assert/strict";
   * const tree = new StatTree();
   * tree.collection("/web", IntStat("hits")).hits += 3;
   * const pusher = new OtlpPusher({ protocol: "http/json", tree, endpoint: "http://127.0.0.1:4318/v1/metrics" });
   * const request = JSON.parse(new TextDecoder().decode(pusher.encode(1_800_000_000_000)));
   * const [metric] = request.resourceMetrics[0].scopeMetrics[0].metrics;
   * assert.equal(metric.name, "web.hits");
   * assert.deepEqual(metric.sum.dataPoints[0].asInt, "3");
   * assert.equal(metric.sum.dataPoints[0].timeUnixNano, "1800000000000000000");
   * ```
   */
  encode(now?: number): Uint8Array {
    const { metrics } = this.#map();
    const part = this.#encoding.encode(metrics, this.#startNs, nanos(now ?? this.#clock()));
    return this.#encoding.join([part]);
  }

  /**
   * Reads the tree, queues its data points with one timestamp, and sends
   * everything queued. Resolves to `true` when nothing is left queued
   * afterwards (delivered, or refused for good and dropped: see
   * `/scales/otlp/rejected`), `false` when the receiver could not take it
   * now (the push stays queued) or after `close()`. Never rejects.
   */
  push(): Promise<boolean> {
    return this.#pipeline.push((now) => {
      const mapped = this.#map();
      const payload = this.#encoding.encode(mapped.metrics, this.#startNs, nanos(now));
      return {
        payload,
        values: mapped.dataPoints,
        bytes: payload.length,
        skipped: mapped.skipped,
      };
    });
  }
}
