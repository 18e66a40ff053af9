/**
 * The OTLP exporter's settings: its options, with the standard
 * OpenTelemetry environment variables filling in what they leave out, and
 * the defaults after that. A bad option throws (a programming error); a bad
 * environment variable is logged once and its default used, as the
 * OpenTelemetry specification asks.
 *
 * @module
 */

import { describeValue, log } from "../src/log.ts";
import { checkPeriodMs, checkPositive } from "../push/options.ts";
import type { AttributeValue } from "./_encoding.ts";
import type { OtlpPeriodicPusherOptions } from "./periodic.ts";

/** The wire formats of OTLP/HTTP. */
export type OtlpProtocol = "http/protobuf" | "http/json";

/** Request compression. */
export type OtlpCompression = "gzip" | "none";

/** The options the settings come from: those of the (periodic) pusher that the environment can also give. */
export type ConfigOptions = Pick<
  OtlpPeriodicPusherOptions,
  "endpoint" | "headers" | "protocol" | "compression" | "timeoutMs" | "resource" | "periodMs"
>;

/** The settings of one exporter. */
export interface OtlpConfig {
  /** The full metrics URL, such as `http://localhost:4318/v1/metrics`. */
  readonly endpoint: string;
  /** Extra request headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** The wire format. */
  readonly protocol: OtlpProtocol;
  /** Request compression. */
  readonly compression: OtlpCompression;
  /** How long one request may take. */
  readonly timeoutMs: number;
  /** Resource attributes, `service.name` always among them. */
  readonly resource: Readonly<Record<string, AttributeValue>>;
  /** The export interval. */
  readonly periodMs: number;
}

/** The endpoint when neither option nor environment gives one. */
export const DEFAULT_ENDPOINT = "http://localhost:4318/v1/metrics";
/** `service.name` when nothing sets it, as the OpenTelemetry resource conventions say. */
export const UNKNOWN_SERVICE = "unknown_service";
const DEFAULT_TIMEOUT_MS = 10_000;

const PROTOCOLS: readonly string[] = ["http/protobuf", "http/json"];
const COMPRESSIONS: readonly string[] = ["gzip", "none"];

function isUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function badEnv(name: string, value: string, expected: string): void {
  log(`otlp: ${name}=${JSON.stringify(value)} is not ${expected}; using the default`);
}

/**
 * A `key=value,key2=value2` list (`OTEL_EXPORTER_OTLP_HEADERS`,
 * `OTEL_RESOURCE_ATTRIBUTES`): keys and values trimmed, values
 * percent-decoded. An entry without `=` or with an empty key is logged and
 * left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseKeyValues } from "./_config.ts";
 * assert.deepEqual(parseKeyValues("a=1, b = x%20y", "X"), { a: "1", b: "x y" });
 * ```
 */
export function parseKeyValues(text: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split(",")) {
    if (entry.trim() === "") continue;
    const at = entry.indexOf("=");
    const key = at < 0 ? "" : entry.slice(0, at).trim();
    if (key === "") {
      log(`otlp: ${name} has an entry without a key=value form: ${JSON.stringify(entry)}`);
      continue;
    }
    let value = entry.slice(at + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not percent-encoded after all: kept as written.
    }
    out[key] = value;
  }
  return out;
}

function checkString(value: unknown, what: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`${what} must be a string, got ${describeValue(value)}`);
  }
  return value;
}

function checkChoice<T extends string>(
  value: unknown,
  what: string,
  choices: readonly string[],
): T {
  if (typeof value !== "string" || !choices.includes(value)) {
    throw new RangeError(
      `${what} must be ${choices.map((c) => JSON.stringify(c)).join(" or ")}, got ${
        describeValue(value)
      }`,
    );
  }
  return value as T;
}

function checkRecord<V>(
  value: unknown,
  what: string,
  valid: (v: unknown) => v is V,
  expected: string,
): Record<string, V> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object, got ${describeValue(value)}`);
  }
  const out: Record<string, V> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!valid(v)) {
      throw new TypeError(`${what}.${key} must be ${expected}, got ${describeValue(v)}`);
    }
    out[key] = v;
  }
  return out;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isAttribute = (v: unknown): v is AttributeValue =>
  typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

/** The first of `names` that is set (and not blank) in the environment. */
function first(
  env: (name: string) => string | undefined,
  ...names: string[]
): [string, string] | undefined {
  for (const name of names) {
    const value = env(name)?.trim();
    if (value !== undefined && value !== "") return [name, value];
  }
  return undefined;
}

function endpointOf(options: ConfigOptions, env: (name: string) => string | undefined): string {
  if (options.endpoint !== undefined) {
    const endpoint = checkString(options.endpoint, "endpoint");
    if (!isUrl(endpoint)) {
      throw new TypeError(
        `endpoint must be an http: or https: URL such as "${DEFAULT_ENDPOINT}", got ${
          JSON.stringify(endpoint)
        }`,
      );
    }
    return endpoint;
  }
  const specific = first(env, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
  if (specific !== undefined) {
    if (isUrl(specific[1])) return specific[1];
    badEnv(specific[0], specific[1], "an http: or https: URL");
  }
  const base = first(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  if (base !== undefined) {
    if (isUrl(base[1])) {
      return base[1].endsWith("/") ? `${base[1]}v1/metrics` : `${base[1]}/v1/metrics`;
    }
    badEnv(base[0], base[1], "an http: or https: URL");
  }
  return DEFAULT_ENDPOINT;
}

function choiceOf<T extends string>(
  option: unknown,
  what: string,
  choices: readonly string[],
  fallback: T,
  env: (name: string) => string | undefined,
  ...names: string[]
): T {
  if (option !== undefined) return checkChoice<T>(option, what, choices);
  const set = first(env, ...names);
  if (set === undefined) return fallback;
  if (choices.includes(set[1])) return set[1] as T;
  badEnv(set[0], set[1], choices.map((c) => JSON.stringify(c)).join(" or "));
  return fallback;
}

function numberOf(
  option: unknown,
  check: (value: unknown) => number,
  fallback: number,
  env: (name: string) => string | undefined,
  ...names: string[]
): number {
  if (option !== undefined) return check(option);
  const set = first(env, ...names);
  if (set === undefined) return fallback;
  const n = Number(set[1]);
  if (Number.isFinite(n) && n >= 1) return n;
  badEnv(set[0], set[1], "a number of milliseconds of at least 1");
  return fallback;
}

/**
 * The settings from `options`, the environment (`env`) and the defaults:
 *
 * | setting | option | environment variable (first set wins) | default |
 * | --- | --- | --- | --- |
 * | endpoint | `endpoint` | `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (as is), `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/metrics`) | `http://localhost:4318/v1/metrics` |
 * | headers | `headers` (over the variables) | `OTEL_EXPORTER_OTLP_HEADERS`, then `OTEL_EXPORTER_OTLP_METRICS_HEADERS` over it | none |
 * | protocol | `protocol` | `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` |
 * | compression | `compression` | `OTEL_EXPORTER_OTLP_METRICS_COMPRESSION`, `OTEL_EXPORTER_OTLP_COMPRESSION` | `none` |
 * | timeout | `timeoutMs` | `OTEL_EXPORTER_OTLP_METRICS_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT` | 10,000 ms |
 * | resource | `resource` (over the variables) | `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME` over its `service.name` | `service.name=unknown_service` |
 * | period | `periodMs` | `OTEL_METRIC_EXPORT_INTERVAL` | 60,000 ms |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveConfig } from "./_config.ts";
 * const env: Record<string, string> = {
 *   OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
 *   OTEL_SERVICE_NAME: "checkout",
 * };
 * const config = resolveConfig({ protocol: "http/json" }, (name) => env[name]);
 * assert.equal(config.endpoint, "http://collector:4318/v1/metrics");
 * assert.equal(config.protocol, "http/json");
 * assert.deepEqual(config.resource, { "service.name": "checkout" });
 * ```
 */
export function resolveConfig(
  options: ConfigOptions,
  env: (name: string) => string | undefined,
): OtlpConfig {
  const headers: Record<string, string> = {};
  for (const name of ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"]) {
    const set = first(env, name);
    if (set !== undefined) Object.assign(headers, parseKeyValues(set[1], name));
  }
  if (options.headers !== undefined) {
    Object.assign(headers, checkRecord(options.headers, "headers", isString, "a string"));
  }

  const resource: Record<string, AttributeValue> = {};
  const attributes = first(env, "OTEL_RESOURCE_ATTRIBUTES");
  if (attributes !== undefined) {
    Object.assign(resource, parseKeyValues(attributes[1], attributes[0]));
  }
  const service = first(env, "OTEL_SERVICE_NAME");
  if (service !== undefined) resource["service.name"] = service[1];
  if (options.resource !== undefined) {
    Object.assign(
      resource,
      checkRecord(
        options.resource,
        "resource",
        isAttribute,
        "a string, a finite number or a boolean",
      ),
    );
  }
  resource["service.name"] ??= UNKNOWN_SERVICE;

  return {
    endpoint: endpointOf(options, env),
    headers,
    protocol: choiceOf<OtlpProtocol>(
      options.protocol,
      "protocol",
      PROTOCOLS,
      "http/protobuf",
      env,
      "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
    ),
    compression: choiceOf<OtlpCompression>(
      options.compression,
      "compression",
      COMPRESSIONS,
      "none",
      env,
      "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
      "OTEL_EXPORTER_OTLP_COMPRESSION",
    ),
    timeoutMs: numberOf(
      options.timeoutMs,
      (v) => checkPositive(v, "timeoutMs", false),
      DEFAULT_TIMEOUT_MS,
      env,
      "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
      "OTEL_EXPORTER_OTLP_TIMEOUT",
    ),
    resource,
    periodMs: numberOf(
      options.periodMs,
      checkPeriodMs,
      checkPeriodMs(undefined),
      env,
      "OTEL_METRIC_EXPORT_INTERVAL",
    ),
  };
}
