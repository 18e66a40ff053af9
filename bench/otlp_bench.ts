/**
 * Encoding one OTLP push of the 10,000-stat tree (the mix of
 * `render_bench.ts`: 1,000 containers of counters, gauges, a string gauge,
 * a dict counter, a distribution and a meter), protobuf and JSON, beside
 * the official SDK (`@opentelemetry/sdk-metrics`) collecting the equivalent
 * instruments and its exporters' serializers (`@opentelemetry/otlp-transformer`,
 * what `exporter-metrics-otlp-proto` and `-http` send) encoding them.
 *
 * Groups: `push` (ours reads the tree, maps it and encodes it in one
 * `encode()`; the SDK collects and serializes: the same work), `encode`
 * (the encoders alone on what was read once, with protobufjs encoding the
 * same request from prepared message objects as the library alternative)
 * and `read` (reading the tree into the model and the OTLP mapping,
 * against the SDK's `collect()`).
 * Bytes per push are printed once at start.
 *
 * ```sh
 * deno bench -A bench/otlp_bench.ts
 * ```
 *
 * @module
 */

import { metricFamilies, StatTree } from "@scales/core";
import { OtlpPusher } from "@scales/core/otlp";
import { ValueType } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { benchContainerStats } from "../tests/_big_tree.ts";
import { mulberry32 as random } from "../tests/_random.ts";
import { JsonEncoding } from "../otlp/_encode_json.ts";
import { ProtobufEncoding } from "../otlp/_encode_protobuf.ts";
import { mapFamilies } from "../otlp/_mapping.ts";
import { decodeProtobuf, REQUEST } from "../tests/_otlp.ts";

const CONTAINERS = 1_000;
const STATUSES = ["200", "304", "404", "500"];
const SAMPLES = 100;
const T = 1_800_000_000_000;

/** A reader the benchmark collects from by hand. */
class ManualReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const tree = new StatTree();
const reader = new ManualReader();
const provider = new MeterProvider({
  resource: resourceFromAttributes({ "service.name": "bench" }),
  readers: [reader],
  views: [{
    instrumentName: "*.latency",
    aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
  }],
});
const meter = provider.getMeter("bench");
const next = random(42);
const SPECS = benchContainerStats();
let statCount = 0;
for (let i = 0; i < CONTAINERS; i++) {
  const path = `/service${i % 10}/handler${i}`;
  const name = `service${i % 10}.handler${i}`;
  const stats = tree.collection(path, ...SPECS);
  statCount += SPECS.length;
  const requests = Math.floor(next() * 1e6);
  stats.requests = requests;
  stats.errors = Math.floor(requests / 100);
  stats.timeouts = 3;
  stats.retries = 7;
  stats.load = next();
  stats.queueDepth = Math.floor(next() * 50);
  const counter = (field: string, value: number) =>
    meter.createCounter(`${name}.${field}`, { valueType: ValueType.INT }).add(value);
  counter("requests", stats.requests);
  counter("errors", stats.errors);
  counter("timeouts", 3);
  counter("retries", 7);
  const load = stats.load;
  const depth = stats.queueDepth;
  meter.createObservableGauge(`${name}.load`).addCallback((r) => r.observe(load));
  meter.createObservableGauge(`${name}.queueDepth`).addCallback((r) => r.observe(depth));
  const byStatus = meter.createCounter(`${name}.byStatus`, { valueType: ValueType.INT });
  for (const status of STATUSES) {
    const n = Math.floor(next() * 1000);
    stats.byStatus.inc(status, n);
    byStatus.add(n, { key: status });
  }
  const latency = meter.createHistogram(`${name}.latency`);
  for (let s = 0; s < SAMPLES; s++) {
    const ms = Math.exp(3 + next());
    stats.latency.add(ms);
    latency.record(ms);
  }
  stats.hits.mark(requests);
  counter("hits", requests);
}
if (statCount !== 10_000) throw new Error(`expected 10,000 stats, built ${statCount}`);

const common = { tree, endpoint: "http://127.0.0.1:4318/v1/metrics", env: () => undefined };
const protobuf = new OtlpPusher({ ...common, protocol: "http/protobuf" }).doNotLog("/scales");
const json = new OtlpPusher({ ...common, protocol: "http/json" }).doNotLog("/scales");

async function collect(): Promise<ResourceMetrics> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw errors[0];
  return resourceMetrics;
}

const collected = await collect();
const sdkProtobuf = ProtobufMetricsSerializer.serializeRequest(collected)!;
const sdkJson = JsonMetricsSerializer.serializeRequest(collected)!;
console.log(
  `bytes per push of 10,000 stats: scales protobuf ${protobuf.encode(T).length}, ` +
    `scales JSON ${json.encode(T).length}, SDK protobuf ${sdkProtobuf.length}, ` +
    `SDK JSON ${sdkJson.length}`,
);

// The tree as the model reads it, mapped once: the encoders alone, beside the SDK's serializers.
const mapped = mapFamilies(metricFamilies(tree.root)).metrics;
const scope = { name: "@scales/core", version: "" };
const protobufEncoding = new ProtobufEncoding({ "service.name": "bench" }, scope);
const jsonEncoding = new JsonEncoding({ "service.name": "bench" }, scope);
const START = 1_700_000_000_000_000_000n;
const NOW = 1_800_000_000_000_000_000n;

Deno.bench("scales encode(): read, map, protobuf", { group: "push", baseline: true }, () => {
  protobuf.encode(T);
});

Deno.bench("scales encode(): read, map, JSON", { group: "push" }, () => {
  json.encode(T);
});

Deno.bench("SDK collect() + ProtobufMetricsSerializer", { group: "push" }, async () => {
  ProtobufMetricsSerializer.serializeRequest(await collect());
});

Deno.bench("SDK collect() + JsonMetricsSerializer", { group: "push" }, async () => {
  JsonMetricsSerializer.serializeRequest(await collect());
});

Deno.bench("scales protobuf encoder alone", { group: "encode", baseline: true }, () => {
  protobufEncoding.join([protobufEncoding.encode(mapped, START, NOW)]);
});

Deno.bench("scales JSON encoder alone", { group: "encode" }, () => {
  jsonEncoding.join([jsonEncoding.encode(mapped, START, NOW)]);
});

// protobufjs with the official schema, given the message already built as
// objects (its lower bound: building them is extra): the library option.
const prepared = REQUEST.fromObject(decodeProtobuf(protobuf.encode(T)));
Deno.bench("protobufjs Type.encode (message prepared beforehand)", { group: "encode" }, () => {
  REQUEST.encode(prepared).finish();
});

Deno.bench("SDK ProtobufMetricsSerializer alone", { group: "encode" }, () => {
  ProtobufMetricsSerializer.serializeRequest(collected);
});

Deno.bench("SDK JsonMetricsSerializer alone", { group: "encode" }, () => {
  JsonMetricsSerializer.serializeRequest(collected);
});

Deno.bench(
  "scales metricFamilies(tree.root) + mapFamilies",
  { group: "read", baseline: true },
  () => {
    mapFamilies(metricFamilies(tree.root));
  },
);

Deno.bench("SDK collect()", { group: "read" }, async () => {
  await collect();
});
