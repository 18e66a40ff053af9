import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  IntDictStat,
  IntStat,
  MeterStat,
  NamedPmfDictStat,
  PmfStat,
  Stat,
  StatTree,
} from "@scales/core";
import { OtlpPusher } from "@scales/core/otlp";
import { ValueType } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { attributesOf, latencies, type Metric, OtlpReceiver } from "./_otlp.ts";

const SAMPLES = latencies(2000, 4242);
const PATHS: [string, number][] = [["/a", 0.5], ["/a", 1.5], ["/b", 2]];

/** Records the data set in a scales tree and pushes it once. */
async function pushScales(receiver: OtlpReceiver): Promise<void> {
  const tree = new StatTree();
  const web = tree.collection(
    "/web",
    IntStat("hits"),
    IntDictStat("byStatus"),
    Stat("temperature", () => 21.5),
    PmfStat("latencySeconds"),
    NamedPmfDictStat("byPath"),
    MeterStat("requests"),
  );
  web.hits += 7;
  web.byStatus.inc("200", 5);
  web.byStatus.inc("404", 2);
  for (const v of SAMPLES) web.latencySeconds.add(v);
  for (const [path, v] of PATHS) web.byPath[path].add(v);
  web.requests.mark(9);
  await using pusher = new OtlpPusher({
    endpoint: `${receiver.origin}/v1/metrics`,
    env: () => undefined,
    tree,
    protocol: "http/json",
    resource: { "service.name": "compare" },
  });
  pusher.doNotLog("/scales");
  assert.equal(await pusher.push(), true);
}

/**
 * Records the same data with the official SDK and exports it once with the
 * official OTLP/HTTP exporter. Its exponential histograms may hold 1,200
 * buckets, so that the SDK settles on the same scale as the sketch (6) for
 * this data (1 ms to 10 s needs 851 buckets at scale 6, 1,701 at scale 7).
 */
async function pushSdk(receiver: OtlpReceiver): Promise<void> {
  const exporter = new OTLPMetricExporter({ url: `${receiver.origin}/v1/metrics` });
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const exponential = {
    type: AggregationType.EXPONENTIAL_HISTOGRAM,
    options: { maxSize: 1200, recordMinMax: true },
  } as const;
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "compare" }),
    readers: [reader],
    views: [
      { instrumentName: "web.latencySeconds", aggregation: exponential },
      { instrumentName: "web.byPath", aggregation: exponential },
    ],
  });
  const meter = provider.getMeter("sdk");
  meter.createCounter("web.hits", { valueType: ValueType.INT }).add(7);
  const byStatus = meter.createCounter("web.byStatus", { valueType: ValueType.INT });
  byStatus.add(5, { key: "200" });
  byStatus.add(2, { key: "404" });
  meter.createObservableGauge("web.temperature").addCallback((result) => result.observe(21.5));
  const latency = meter.createHistogram("web.latencySeconds", { unit: "s" });
  for (const v of SAMPLES) latency.record(v);
  const byPath = meter.createHistogram("web.byPath");
  for (const [path, v] of PATHS) byPath.record(v, { key: path });
  meter.createCounter("web.requests", { valueType: ValueType.INT }).add(9);
  await provider.shutdown(); // one last collection, exported
}

/** Buckets as index → count at `scale` (at most the run's own): exact down-scaling, zeros left out. */
function bucketsAt(
  run: { offset?: number; bucketCounts?: string[] } | undefined,
  from: number,
  scale: number,
): Record<number, number> {
  const out: Record<number, number> = {};
  const shift = from - scale;
  (run?.bucketCounts ?? []).forEach((count, j) => {
    if (count === "0") return;
    const index = ((run?.offset ?? 0) + j) >> shift;
    out[index] = (out[index] ?? 0) + Number(count);
  });
  return out;
}

/** What both must agree on: type, temporality, monotonicity, attributes and values; not timestamps or what the SDK adds. */
function comparable(metric: Metric, scale: number) {
  const numbers = (points: { attributes?: unknown; asInt?: string; asDouble?: number }[]) =>
    points.map((p) => ({
      attributes: attributesOf(p.attributes as never),
      asInt: p.asInt,
      asDouble: p.asDouble,
    }));
  if (metric.sum !== undefined) {
    return {
      type: "sum",
      temporality: metric.sum.aggregationTemporality,
      monotonic: metric.sum.isMonotonic,
      points: numbers(metric.sum.dataPoints),
    };
  }
  if (metric.gauge !== undefined) {
    return { type: "gauge", points: numbers(metric.gauge.dataPoints) };
  }
  if (metric.exponentialHistogram !== undefined) {
    return {
      type: "exponentialHistogram",
      temporality: metric.exponentialHistogram.aggregationTemporality,
      points: metric.exponentialHistogram.dataPoints.map((p) => ({
        attributes: attributesOf(p.attributes),
        count: p.count,
        // Summation order may differ in the last bit.
        sum: p.sum === undefined ? undefined : Number(p.sum.toPrecision(12)),
        zeroCount: p.zeroCount ?? "0",
        positive: bucketsAt(p.positive, p.scale ?? 0, scale),
        negative: bucketsAt(p.negative, p.scale ?? 0, scale),
        min: p.min,
        max: p.max,
      })),
    };
  }
  return { type: "other" };
}

describe("OTLP next to the official SDK (@opentelemetry/sdk-metrics + exporter-metrics-otlp-http)", () => {
  const ours = new OtlpReceiver();
  const theirs = new OtlpReceiver();
  before(async () => {
    await ours.up();
    await theirs.up();
  });
  after(async () => {
    await ours.down();
    await theirs.down();
  });

  it("the same recorded data decodes to the same metric types and values, field by field", async () => {
    await pushScales(ours);
    await pushSdk(theirs);
    assert.equal(theirs.received.length, 1, "the SDK exported once");
    const sdk = new Map(theirs.metrics().map((m) => [m.name, m]));
    const scales = ours.metrics();
    assert.deepEqual(scales.map((m) => m.name).sort(), [...sdk.keys()].sort());
    for (const metric of scales) {
      const other = sdk.get(metric.name)!;
      // The SDK picks the finest scale its bucket budget allows; the sketch
      // keeps scale 6. Compare at the coarser of the two (exact down-scaling).
      const scaleOf = (m: Metric) => m.exponentialHistogram?.dataPoints[0]?.scale ?? 0;
      const scale = Math.min(scaleOf(metric), scaleOf(other));
      assert.deepEqual(comparable(metric, scale), comparable(other, scale), metric.name);
    }
    // With enough buckets, the SDK chose the sketch's own scale for the latency.
    assert.deepEqual(
      [ours, theirs].map((r) =>
        r.metrics().find((m) => m.name === "web.latencySeconds")!.exponentialHistogram!
          .dataPoints[0]
          .scale
      ),
      [6, 6],
    );
    // Both name the service the same way.
    assert.equal(
      attributesOf(
        ours.received[0].request.resourceMetrics![0].resource!.attributes,
      )["service.name"],
      attributesOf(
        theirs.received[0].request.resourceMetrics![0].resource!.attributes,
      )["service.name"],
    );
  });
});
