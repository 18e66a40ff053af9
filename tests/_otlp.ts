/**
 * Test harness for OTLP: the official schema (the `.proto` files of
 * open-telemetry/opentelemetry-proto in `fixtures/`, loaded with protobufjs)
 * and a loopback receiver on `node:http` that decodes every request, both
 * protocols, gzip or not, and answers as a test tells it (other signals,
 * such as Deno's traces, are answered and only counted). Uses only `node:`
 * modules and protobufjs, so it runs under Deno and Node alike.
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach } from "node:test";
import protobuf from "protobufjs";
import { setLogger } from "@scales/core";
import { mulberry32 } from "./_random.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/opentelemetry-proto/", import.meta.url));

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(FIXTURES, target);
root.loadSync("opentelemetry/proto/collector/metrics/v1/metrics_service.proto");
root.resolveAll();

/** `ExportMetricsServiceRequest` of the official schema. */
export const REQUEST = root.lookupType(
  "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest",
);
/** `ExportMetricsServiceResponse` of the official schema. */
export const RESPONSE = root.lookupType(
  "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse",
);

/**
 * How decoded messages are turned into plain objects: the proto3 JSON
 * mapping (lowerCamelCase keys, 64-bit integers as decimal strings, enums
 * as numbers), fields left at their defaults left out.
 */
export const AS_JSON: protobuf.IConversionOptions = {
  longs: String,
  enums: Number,
  bytes: String,
  json: true,
  defaults: false,
  oneofs: false,
};

/** A decoded `KeyValue`. */
export interface KeyValue {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string;
    doubleValue?: number;
    boolValue?: boolean;
  };
}

/** A decoded `NumberDataPoint`. */
export interface NumberPoint {
  attributes?: KeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  asDouble?: number;
  asInt?: string;
}

/** A decoded `ExponentialHistogramDataPoint`. */
export interface ExpHistogramPoint {
  attributes?: KeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  count?: string;
  sum?: number;
  scale?: number;
  zeroCount?: string;
  zeroThreshold?: number;
  positive?: { offset?: number; bucketCounts?: string[] };
  negative?: { offset?: number; bucketCounts?: string[] };
  min?: number;
  max?: number;
}

/** A decoded `SummaryDataPoint`. */
export interface SummaryPoint {
  attributes?: KeyValue[];
  timeUnixNano?: string;
  count?: string;
  sum?: number;
  quantileValues?: { quantile?: number; value?: number }[];
}

/** A decoded `Metric`. */
export interface Metric {
  name: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints: NumberPoint[] };
  sum?: { dataPoints: NumberPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  exponentialHistogram?: { dataPoints: ExpHistogramPoint[]; aggregationTemporality?: number };
  summary?: { dataPoints: SummaryPoint[] };
  histogram?: unknown;
}

/** A decoded `ResourceMetrics`. */
export interface ResourceMetrics {
  resource?: { attributes?: KeyValue[] };
  scopeMetrics?: { scope?: { name?: string; version?: string }; metrics?: Metric[] }[];
}

/** A decoded `ExportMetricsServiceRequest`. */
export interface ExportRequest {
  resourceMetrics?: ResourceMetrics[];
}

/** Decodes a binary `ExportMetricsServiceRequest` into its proto3 JSON form. */
export function decodeProtobuf(bytes: Uint8Array): ExportRequest {
  return REQUEST.toObject(REQUEST.decode(bytes), AS_JSON) as ExportRequest;
}

/**
 * Checks a JSON request against the schema and returns it in the same
 * normalized form as {@linkcode decodeProtobuf}: parsed with protobufjs'
 * proto3 JSON reader, encoded, decoded. Throws on what the schema refuses.
 */
export function decodeJson(text: string): ExportRequest {
  const object = JSON.parse(text);
  const message = REQUEST.fromObject(object);
  const problem = REQUEST.verify(message);
  if (problem !== null) throw new Error(`not an ExportMetricsServiceRequest: ${problem}`);
  return decodeProtobuf(REQUEST.encode(message).finish());
}

/** One request the receiver took. */
export interface Received {
  /** The request path, such as `/v1/metrics`. */
  readonly path: string;
  /** The request headers (lower-case names). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** `Content-Type`. */
  readonly contentType: string;
  /** `Content-Encoding`, or `""`. */
  readonly contentEncoding: string;
  /** The body as sent (compressed when it was). */
  readonly raw: Uint8Array;
  /** The body, decompressed. */
  readonly body: Uint8Array;
  /** The request, decoded with the official schema (either protocol). */
  readonly request: ExportRequest;
  /** When it arrived (`Date.now()`). */
  readonly at: number;
}

/** What the receiver answers to one request. */
export interface Answer {
  /** HTTP status. Default 200. */
  readonly status?: number;
  /** Extra response headers (`Retry-After`). */
  readonly headers?: Record<string, string>;
  /** A partial success to report, in a 200 answer. */
  readonly partialSuccess?: { rejectedDataPoints: number; errorMessage: string };
}

function readBody(request: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    request.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    request.on("end", () => {
      let length = 0;
      for (const chunk of chunks) length += chunk.length;
      const body = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        body.set(chunk, at);
        at += chunk.length;
      }
      resolve(body);
    });
    request.on("error", reject);
  });
}

/**
 * An OTLP/HTTP receiver on 127.0.0.1: takes `POST`s on any path, decodes
 * them with the official schema and keeps them in `received`. `answer`
 * decides each response (default: 200 with an empty response message).
 * `down()` stops listening (connections are refused) and `up()` listens
 * again on the same port.
 */
export class OtlpReceiver {
  readonly received: Received[] = [];
  /** Requests that failed to decode, with the error. */
  readonly failures: unknown[] = [];
  /** Paths of requests for other signals (`/v1/traces`, `/v1/logs`): answered 200, not decoded. */
  readonly others: string[] = [];
  answer: (request: Received) => Answer = () => ({});
  port = 0;
  #server: Server | undefined;

  /** Starts listening on `port` (0: any free port). */
  async up(port = this.port): Promise<this> {
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stops listening and closes every connection: the peer is down. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** `http://127.0.0.1:<port>`. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every metric of every request so far, in arrival order. */
  metrics(): Metric[] {
    const out: Metric[] = [];
    for (const r of this.received) out.push(...metricsOf(r.request));
    return out;
  }

  /** Waits until `count` requests have arrived or `ms` passed (bounded), and says whether they did. */
  async waitFor(count: number, ms = 5_000): Promise<boolean> {
    const end = Date.now() + ms;
    while (this.received.length < count && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.received.length >= count;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const raw = await readBody(req);
      if (!(req.url ?? "").endsWith("/v1/metrics")) {
        this.others.push(req.url ?? "");
        res.writeHead(200, { "content-type": String(req.headers["content-type"] ?? "") });
        res.end();
        return;
      }
      const contentEncoding = String(req.headers["content-encoding"] ?? "");
      const body = contentEncoding === "gzip" ? new Uint8Array(gunzipSync(raw)) : raw;
      const contentType = String(req.headers["content-type"] ?? "");
      const request = contentType.startsWith("application/json")
        ? decodeJson(new TextDecoder().decode(body))
        : decodeProtobuf(body);
      const received: Received = {
        path: req.url ?? "",
        headers: req.headers,
        contentType,
        contentEncoding,
        raw,
        body,
        request,
        at: Date.now(),
      };
      this.received.push(received);
      const answer = this.answer(received);
      const status = answer.status ?? 200;
      const json = contentType.startsWith("application/json");
      let payload: Uint8Array | string = json ? "{}" : new Uint8Array(0);
      if (answer.partialSuccess !== undefined) {
        const message = { partialSuccess: answer.partialSuccess };
        payload = json
          ? JSON.stringify(message)
          : RESPONSE.encode(RESPONSE.fromObject(message)).finish();
      }
      if (status !== 200) payload = json ? '{"message":"refused"}' : new Uint8Array(0);
      res.writeHead(status, {
        "content-type": json ? "application/json" : "application/x-protobuf",
        ...answer.headers,
      });
      res.end(payload);
    } catch (error) {
      this.failures.push(error);
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(String(error));
    }
  }
}

/** The metrics of one request. */
export function metricsOf(request: ExportRequest): Metric[] {
  const out: Metric[] = [];
  for (const rm of request.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) out.push(...(sm.metrics ?? []));
  }
  return out;
}

/** A `KeyValue` list as a plain object of its (string, int, double or bool) values. */
export function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
  }
  return out;
}

/** `n` log-uniform samples from 1 ms to 10 s (in seconds), the same for the same `seed`. */
export function latencies(n: number, seed: number): number[] {
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => 10 ** (-3 + 4 * next()));
}

/**
 * Captures the library's log for each test of the enclosing `describe`
 * (the tests provoke trouble on purpose), restoring it even when an
 * assertion fails. The returned array holds the current test's messages.
 */
export function captureLog(): string[] {
  const logged: string[] = [];
  let previous: ReturnType<typeof setLogger> | undefined;
  beforeEach(() => {
    logged.length = 0;
    previous = setLogger((message) => logged.push(message));
  });
  afterEach(() => {
    setLogger(previous);
  });
  return logged;
}
