import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DoubleStat,
  type ExponentialHistogramData,
  IntDictStat,
  IntStat,
  MeterDictStat,
  MeterStat,
  NamedPmfDictStat,
  PmfStat,
  Stat,
  STAT_KINDS,
  type StatKind,
  StatTree,
} from "@scales/core";
import { type OtlpProtocol, OtlpPusher, type OtlpPusherOptions } from "@scales/core/otlp";
import { FixedStat, METER_SNAPSHOT, PMF_SNAPSHOT } from "./_prometheus.ts";
import {
  attributesOf,
  captureLog,
  decodeJson,
  decodeProtobuf,
  type ExpHistogramPoint,
  latencies,
  type Metric,
  OtlpReceiver,
} from "./_otlp.ts";

const T = 1_800_000_000_000; // ms
const T_NANOS = "1800000000000000000";
const PROTOCOLS: OtlpProtocol[] = ["http/protobuf", "http/json"];

/** A tree with one stat of every kind, with known values. */
function sampleTree() {
  const tree = new StatTree();
  const web = tree.collection(
    "/web",
    IntStat("hits"),
    IntDictStat("byStatus"),
    Stat("temperature", () => 21.5),
    Stat("up", () => true),
    DoubleStat("ratio"),
    Stat("version", "1.2.3"),
    PmfStat("latencySeconds"),
    NamedPmfDictStat("byPath"),
    MeterStat("requests"),
    MeterDictStat("requestsByMethod"),
  );
  web.hits += 7;
  web.byStatus.inc("200", 5);
  web.byStatus.inc("404", 2);
  web.ratio = 0.25;
  for (const v of latencies(1000, 12345)) web.latencySeconds.add(v);
  web.byPath["/a"].add(0.5);
  web.byPath["/a"].add(1.5);
  web.byPath["/b"].add(2);
  web.requests.mark(9);
  web.requestsByMethod["GET"].mark(4);
  return { tree, web };
}

function byName(metrics: Metric[]): Map<string, Metric> {
  return new Map(metrics.map((m) => [m.name, m]));
}

/** The data field a metric fills. */
function typeOf(metric: Metric): string {
  for (const key of ["gauge", "sum", "histogram", "exponentialHistogram", "summary"] as const) {
    if (metric[key] !== undefined) return key;
  }
  return "none";
}

/** The value at quantile `q` of a decoded exponential histogram: the upper bound of its bucket. */
function quantileOf(point: ExpHistogramPoint, q: number): number {
  const base = 2 ** (2 ** -(point.scale ?? 0));
  const rank = Math.max(1, Math.ceil(q * Number(point.count)));
  let seen = Number(point.zeroCount ?? 0);
  if (seen >= rank) return 0;
  const offset = point.positive?.offset ?? 0;
  const counts = point.positive?.bucketCounts ?? [];
  for (let j = 0; j < counts.length; j++) {
    seen += Number(counts[j]);
    if (seen >= rank) return base ** (offset + j + 1);
  }
  return NaN;
}

function options(receiver: OtlpReceiver, extra: OtlpPusherOptions = {}): OtlpPusherOptions {
  return {
    endpoint: `${receiver.origin}/v1/metrics`,
    env: () => undefined,
    clock: () => T,
    ...extra,
  };
}

describe("OTLP export to a loopback receiver (decoded with the official schema)", () => {
  const receiver = new OtlpReceiver();
  before(async () => {
    await receiver.up();
  });
  after(async () => {
    await receiver.down();
  });
  captureLog();
  beforeEach(() => {
    receiver.received.length = 0;
  });

  for (const protocol of PROTOCOLS) {
    it(`${protocol}: finds every stat with its OTLP type, value and attributes`, async () => {
      const { tree } = sampleTree();
      await using pusher = new OtlpPusher(options(receiver, { protocol, tree }));
      pusher.doNotLog("/scales");
      assert.equal(await pusher.push(), true);
      assert.equal(receiver.received.length, 1);
      assert.deepEqual(receiver.failures, []);
      const got = receiver.received[0];
      assert.equal(got.path, "/v1/metrics");
      assert.equal(
        got.contentType,
        protocol === "http/json" ? "application/json" : "application/x-protobuf",
      );
      const metrics = byName(receiver.metrics());
      assert.deepEqual([...metrics.keys()], [
        "web.hits",
        "web.byStatus",
        "web.temperature",
        "web.up",
        "web.ratio",
        "web.latencySeconds",
        "web.byPath",
        "web.requests",
        "web.requestsByMethod",
      ]);
      const m = (name: string) => metrics.get(name)!;
      const sum = (name: string) => m(name).sum!;
      assert.deepEqual(
        [
          typeOf(m("web.hits")),
          sum("web.hits").aggregationTemporality,
          sum("web.hits").isMonotonic,
        ],
        ["sum", 2, true],
      );
      assert.deepEqual(sum("web.hits").dataPoints.map((p) => [p.asInt, p.timeUnixNano]), [[
        "7",
        T_NANOS,
      ]]);
      assert.deepEqual(
        sum("web.byStatus").dataPoints.map((p) => [attributesOf(p.attributes), p.asInt]),
        [[{ key: "200" }, "5"], [{ key: "404" }, "2"]],
      );
      assert.deepEqual(m("web.temperature").gauge!.dataPoints.map((p) => p.asDouble), [21.5]);
      assert.deepEqual(m("web.up").gauge!.dataPoints.map((p) => p.asDouble), [1]);
      assert.deepEqual(m("web.ratio").gauge!.dataPoints.map((p) => p.asDouble), [0.25]);
      assert.deepEqual(
        [typeOf(m("web.requests")), sum("web.requests").isMonotonic],
        ["sum", true],
      );
      assert.deepEqual(sum("web.requests").dataPoints.map((p) => p.asInt), ["9"]);
      assert.deepEqual(
        sum("web.requestsByMethod").dataPoints.map((p) => [attributesOf(p.attributes), p.asInt]),
        [[{ key: "GET" }, "4"]],
      );
      const latency = m("web.latencySeconds");
      assert.deepEqual(
        [typeOf(latency), latency.unit, latency.exponentialHistogram!.aggregationTemporality],
        ["exponentialHistogram", "s", 2],
      );
      const byPath = m("web.byPath").exponentialHistogram!.dataPoints;
      assert.deepEqual(
        byPath.map((p) => [attributesOf(p.attributes), p.count, p.sum, p.min, p.max]),
        [[{ key: "/a" }, "2", 2, 0.5, 1.5], [{ key: "/b" }, "1", 2, 2, 2]],
      );
      // The string gauge has no number: left out, and counted as skipped.
      assert.equal(metrics.has("web.version"), false);
    });

    it(`${protocol}: sends the histogram bucket for bucket from the sketch`, async () => {
      const { tree, web } = sampleTree();
      web.latencySeconds.add(0);
      web.latencySeconds.add(-0.25);
      await using pusher = new OtlpPusher(options(receiver, { protocol, tree }));
      pusher.allow("web/latencySeconds").forbid((path) => path !== "/web/latencySeconds");
      await pusher.push();
      const [metric] = receiver.metrics();
      const [point] = metric.exponentialHistogram!.dataPoints;
      const data: ExponentialHistogramData = web.latencySeconds.exponentialHistogram();
      assert.deepEqual(point, {
        startTimeUnixNano: point.startTimeUnixNano,
        timeUnixNano: T_NANOS,
        count: String(data.count),
        // No sum once a negative value was recorded, as OTLP asks.
        scale: data.scale,
        zeroCount: String(data.zeroCount),
        zeroThreshold: data.zeroThreshold,
        positive: { offset: data.positive.offset, bucketCounts: data.positive.counts.map(String) },
        negative: { offset: data.negative.offset, bucketCounts: data.negative.counts.map(String) },
        min: -0.25,
        max: data.max,
      });
      assert.deepEqual([data.count, data.zeroCount, data.scale], [1002, 1, 6]);
    });
  }

  it("the decoded histogram's quantiles match the viewer's percentiles within the bucket error", async () => {
    const { tree, web } = sampleTree();
    await using pusher = new OtlpPusher(options(receiver, { tree }));
    await pusher.push();
    const point = byName(receiver.metrics()).get("web.latencySeconds")!.exponentialHistogram!
      .dataPoints[0];
    const viewer = (tree.getStats("/web") as Record<string, Record<string, number>>).latencySeconds;
    const bucketError = 2 ** (2 ** -6) - 1; // scale 6: about 1.09%
    for (
      const [field, q] of [["median", 0.5], ["95percentile", 0.95], ["99percentile", 0.99]] as const
    ) {
      const ours = quantileOf(point, q);
      const relative = Math.abs(ours - viewer[field]) / viewer[field];
      assert.ok(relative <= bucketError, `${field}: ${ours} vs the viewer's ${viewer[field]}`);
    }
    assert.equal(point.sum, web.latencySeconds.exponentialHistogram().sum);
  });

  it("the JSON form is the protobuf form in the OTLP JSON mapping, field for field", () => {
    const { tree } = sampleTree();
    const common = { tree, endpoint: "http://127.0.0.1:4318/v1/metrics", env: () => undefined };
    const binary = new OtlpPusher({ ...common, protocol: "http/protobuf" }).encode(T);
    const text = new TextDecoder().decode(
      new OtlpPusher({ ...common, protocol: "http/json" }).encode(T),
    );
    assert.deepEqual(decodeJson(text), decodeProtobuf(binary));
    // lowerCamelCase keys, 64-bit integers as decimal strings, enums as integers.
    assert.match(text, /"timeUnixNano":"1800000000000000000"/);
    assert.match(text, /"asInt":"7"/);
    assert.match(text, /"count":"1000"/);
    assert.match(text, /"bucketCounts":\["\d+"/);
    assert.match(text, /"aggregationTemporality":2/);
    assert.doesNotMatch(text, /"[a-z]+_[a-z_]+":/);
  });

  for (const protocol of PROTOCOLS) {
    it(`${protocol} with gzip: sends Content-Encoding gzip and the same request`, async () => {
      const { tree } = sampleTree();
      await using plain = new OtlpPusher(options(receiver, { protocol, tree }));
      await using zipped = new OtlpPusher(
        options(receiver, { protocol, tree, compression: "gzip" }),
      );
      plain.doNotLog("/scales");
      zipped.doNotLog("/scales");
      await plain.push();
      await zipped.push();
      const [a, b] = receiver.received;
      assert.deepEqual([a.contentEncoding, b.contentEncoding], ["", "gzip"]);
      assert.ok(b.raw.length < a.raw.length / 2, `${b.raw.length} vs ${a.raw.length} bytes`);
      assert.deepEqual(b.request, a.request);
    });
  }

  it("sends the resource, the scope and the headers it was given", async () => {
    const tree = new StatTree();
    tree.collection("/jobs", IntStat("done")).done = 1;
    await using pusher = new OtlpPusher(options(receiver, {
      tree,
      headers: { "x-api-key": "secret" },
      resource: { "service.name": "checkout", "service.instance.id": "a-1", "host.cpus": 4 },
    }));
    await pusher.push();
    const got = receiver.received[0];
    assert.equal(got.headers["x-api-key"], "secret");
    const [rm] = got.request.resourceMetrics!;
    assert.deepEqual(attributesOf(rm.resource!.attributes), {
      "service.name": "checkout",
      "service.instance.id": "a-1",
      "host.cpus": "4",
    });
    assert.deepEqual(rm.scopeMetrics!.map((sm) => sm.scope), [{ name: "@scales/core" }]);
  });

  it("pushes what allow, forbid, prune and doNotLog let through, by stat path and dict key", async () => {
    const { tree } = sampleTree();
    await using pusher = new OtlpPusher(options(receiver, { tree }));
    pusher.forbid("web/*").allow("web/byStatus/*").forbid("*/404").doNotLog("/scales");
    await pusher.push();
    const metrics = receiver.metrics();
    assert.deepEqual(metrics.map((m) => m.name), ["web.byStatus"]);
    assert.deepEqual(
      metrics[0].sum!.dataPoints.map((p) => attributesOf(p.attributes)),
      [{ key: "200" }],
    );
  });

  it("counts sent data points, pushes and skipped values under /scales/otlp of its tree", async () => {
    const { tree } = sampleTree();
    await using pusher = new OtlpPusher(options(receiver, { tree }));
    pusher.doNotLog("/scales");
    await pusher.push();
    const stats = tree.getStats("/scales/otlp") as Record<string, number>;
    // hits, 2 statuses, temperature, up, ratio, latency, 2 paths, requests, GET.
    assert.deepEqual(
      [stats.pushes, stats.sentPushes, stats.sent, stats.skipped, stats.rejected],
      [1, 1, 11, 1, 0],
    );
  });

  it("names a stat by its path, and replaces what an OTLP name cannot hold", async () => {
    const tree = new StatTree();
    tree.collection("/web server/v1.2", IntStat("hits ö"))["hits ö"] = 1;
    await using pusher = new OtlpPusher(options(receiver, { tree }));
    pusher.doNotLog("/scales");
    await pusher.push();
    assert.deepEqual(receiver.metrics().map((m) => m.name), ["web_server.v1_2.hits__"]);
  });
});

/** The OTLP type each stat kind becomes (`""`: not sent): a type error when a kind is added. */
const OTLP_TYPE: Record<StatKind, { value: unknown; type: string }> = {
  counter: { value: 1, type: "sum" },
  gauge: { value: 2, type: "gauge" },
  sum: { value: 3, type: "gauge" },
  counterDict: { value: { a: 4 }, type: "sum" },
  gaugeDict: { value: { a: 5 }, type: "gauge" },
  stringDict: { value: { a: "text" }, type: "" },
  pmf: { value: PMF_SNAPSHOT, type: "exponentialHistogram" },
  meter: { value: METER_SNAPSHOT, type: "sum" },
  pmfDict: { value: { a: PMF_SNAPSHOT }, type: "exponentialHistogram" },
  meterDict: { value: { a: METER_SNAPSHOT }, type: "sum" },
};

describe("OTLP covers every stat kind", () => {
  it("maps each kind to one OTLP type; text is not sent", () => {
    const histogram: ExponentialHistogramData = {
      scale: 6,
      zeroThreshold: 0,
      zeroCount: 0,
      positive: { offset: 0, counts: [10] },
      negative: { offset: 0, counts: [] },
      count: 10,
      sum: 10.5,
      min: 1,
      max: 1.01,
    };
    const tree = new StatTree();
    tree.collection(
      "/k",
      ...STAT_KINDS.map((kind) =>
        FixedStat(
          `s${kind}`,
          kind,
          kind,
          OTLP_TYPE[kind].value as never,
          kind === "pmf" ? histogram : { a: histogram },
        )
      ),
    );
    const pusher = new OtlpPusher({
      tree,
      endpoint: "http://127.0.0.1:4318/v1/metrics",
      env: () => undefined,
    });
    pusher.doNotLog("/scales");
    const metrics = byName(
      decodeProtobuf(pusher.encode(T)).resourceMetrics![0].scopeMetrics![0].metrics!,
    );
    for (const kind of STAT_KINDS) {
      const metric = metrics.get(`k.s${kind}`);
      assert.equal(metric === undefined ? "" : typeOf(metric), OTLP_TYPE[kind].type, kind);
    }
  });

  it("sends a distribution without buckets as a Summary: count, sum and the percentiles", () => {
    const tree = new StatTree();
    tree.collection("/k", FixedStat("d", "PmfStat", "pmf", PMF_SNAPSHOT));
    const pusher = new OtlpPusher({
      tree,
      endpoint: "http://127.0.0.1:4318/v1/metrics",
      env: () => undefined,
    });
    pusher.doNotLog("/scales");
    const [metric] = decodeProtobuf(pusher.encode(T)).resourceMetrics![0].scopeMetrics![0].metrics!;
    const [point] = metric.summary!.dataPoints;
    assert.deepEqual([point.count, point.sum], [String(PMF_SNAPSHOT.count), PMF_SNAPSHOT.sum]);
    assert.deepEqual(
      point.quantileValues,
      [
        { quantile: 0.5, value: PMF_SNAPSHOT.median },
        { quantile: 0.75, value: PMF_SNAPSHOT["75percentile"] },
        { quantile: 0.95, value: PMF_SNAPSHOT["95percentile"] },
        { quantile: 0.98, value: PMF_SNAPSHOT["98percentile"] },
        { quantile: 0.99, value: PMF_SNAPSHOT["99percentile"] },
        { quantile: 0.999, value: PMF_SNAPSHOT["999percentile"] },
      ],
    );
  });
});
