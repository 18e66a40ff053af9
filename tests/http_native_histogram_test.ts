/**
 * A real Prometheus 2.42 scrapes two viewers. With native histograms on, it
 * negotiates protobuf and stores each distribution as a native histogram
 * that PromQL can count, take quantiles of, and add across instances. With
 * its default `Accept` (OpenMetrics), it stores every series the text
 * formats carry.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  IntDictStat,
  IntStat,
  MeterStat,
  NamedPmfDictStat,
  Pmf,
  PmfStat,
  StatTree,
} from "@scales/core";
import { serveInBackground, type StatsServer, toPrometheusText } from "@scales/core/http";
import { mulberry32 } from "./_random.ts";
import {
  PROMETHEUS,
  type PrometheusServer,
  type QueryResult,
  startPrometheus,
} from "./_prometheus_server.ts";
import { skipUnless } from "./_system.ts";

const skip = await skipUnless(PROMETHEUS);

/** The sketch's bucket ratio at its default scale 6. */
const BASE = 2 ** (2 ** -6);
/**
 * How far apart two estimates of one quantile from the same buckets may be:
 * each lies in the bucket holding the rank, and the two ways of counting the
 * rank (Prometheus' and the sketch's) may pick neighbouring buckets.
 */
const TOLERANCE = BASE ** 2 - 1;

/** Latency-like samples (log-uniform from 1 to 1,000 ms, times `scale`). */
function samples(seed: number, n: number, scale: number): number[] {
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => scale * Math.exp(next() * Math.log(1000)));
}

const A = samples(1, 3_000, 1);
const B = samples(2, 2_000, 3);

function tree(values: readonly number[]): StatTree {
  const t = new StatTree();
  const web = t.collection(
    "/web",
    PmfStat("latency"),
    IntStat("errors"),
    IntDictStat("byStatus"),
    MeterStat("hits"),
    NamedPmfDictStat("latencyByPath"),
  );
  for (const v of values) {
    web.latency.add(v);
    web.latencyByPath["/api"].add(v);
  }
  web.errors = 7;
  web.byStatus.inc("200", values.length);
  web.hits.mark(values.length);
  return t;
}

function value(result: QueryResult[]): number {
  assert.equal(result.length, 1, `expected one series, got ${JSON.stringify(result)}`);
  return Number(result[0].value[1]);
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual / expected - 1) <= TOLERANCE,
    `${what}: ${actual} is not within ${(TOLERANCE * 100).toFixed(2)}% of ${expected}`,
  );
}

describe("Prometheus with native histograms scraping two viewers", { skip }, () => {
  const treeA = tree(A);
  const treeB = tree(B);
  let viewerA: StatsServer;
  let viewerB: StatsServer;
  let prometheus: PrometheusServer | undefined;
  let a = "";
  let b = "";

  before(async () => {
    viewerA = await serveInBackground(0, { tree: treeA });
    viewerB = await serveInBackground(0, { tree: treeB });
    a = `127.0.0.1:${viewerA.addr.port}`;
    b = `127.0.0.1:${viewerB.addr.port}`;
    prometheus = await startPrometheus({
      jobs: { native: [a, b] },
      features: ["native-histograms"],
    });
  });

  after(async () => {
    try {
      await prometheus?.stop();
    } finally {
      await viewerA?.shutdown();
      await viewerB?.shutdown();
    }
  });

  it("stores each distribution as a native histogram whose count is the samples recorded", async () => {
    const result = await prometheus!.waitFor(
      `histogram_count(web_latency{instance="${a}"})`,
      (r) => r.length === 1,
    );
    assert.equal(value(result), A.length, prometheus!.log());
    const sum = await prometheus!.query(`histogram_sum(web_latency{instance="${a}"})`);
    assertClose(value(sum), A.reduce((x, y) => x + y, 0), "histogram_sum");
  });

  it("gives histogram_quantile(0.99) within the bucket error of the viewer's p99", async () => {
    const result = await prometheus!.waitFor(
      `histogram_quantile(0.99, web_latency{instance="${a}"})`,
      (r) => r.length === 1,
    );
    const p99 = treeA.getStats("/web")!.latency as { "99percentile": number };
    assertClose(value(result), p99["99percentile"], "p99 of one instance");
  });

  it("adds two instances' histograms: the p99 of the sum is that of one sketch fed both", async () => {
    const both = new Pmf();
    for (const v of [...A, ...B]) both.add(v);
    const count = await prometheus!.waitFor(
      "histogram_count(sum(web_latency))",
      (r) => r.length === 1 && Number(r[0].value[1]) === A.length + B.length,
    );
    assert.equal(value(count), A.length + B.length, prometheus!.log());
    const result = await prometheus!.query("histogram_quantile(0.99, sum(web_latency))");
    assertClose(value(result), both.snapshot()["99percentile"], "p99 across instances");
  });

  it("stores a distribution dict as one native histogram per key", async () => {
    const result = await prometheus!.waitFor(
      `histogram_count(web_latency_by_path{instance="${b}", key="/api"})`,
      (r) => r.length === 1,
    );
    assert.equal(value(result), B.length);
  });

  it("stores the counters, dicts and rates of the protobuf exposition", async () => {
    const errors = await prometheus!.waitFor(
      `web_errors_total{instance="${a}"}`,
      (r) => r.length === 1,
    );
    assert.equal(value(errors), 7);
    const byStatus = await prometheus!.query(`web_by_status_total{instance="${a}", key="200"}`);
    assert.equal(value(byStatus), A.length);
    const hits = await prometheus!.query(`web_hits_total{instance="${b}"}`);
    assert.equal(value(hits), B.length);
    const rates = await prometheus!.query(`web_hits_rate{instance="${b}"}`);
    assert.deepEqual(rates.map((r) => r.metric.window).sort(), ["15m", "1m", "5m", "mean"]);
  });
});

describe("Prometheus with its default Accept (OpenMetrics) scraping a viewer", { skip }, () => {
  const treeA = tree(A);
  let viewer: StatsServer;
  let prometheus: PrometheusServer | undefined;

  before(async () => {
    viewer = await serveInBackground(0, { tree: treeA });
    prometheus = await startPrometheus({ jobs: { classic: [`127.0.0.1:${viewer.addr.port}`] } });
  });

  after(async () => {
    try {
      await prometheus?.stop();
    } finally {
      await viewer?.shutdown();
    }
  });

  it("stores every series of the text exposition", async () => {
    const expected = new Set<string>();
    for (const line of toPrometheusText(treeA.root).split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      expected.add(line.slice(0, line.search(/[ {]/)));
    }
    const result = await prometheus!.waitFor(
      'count by (__name__) ({job="classic", __name__=~"web_.*"})',
      (r) => r.length >= expected.size,
    );
    assert.deepEqual(
      result.map((r) => r.metric.__name__).sort(),
      [...expected].sort(),
      prometheus!.log(),
    );
  });

  it("keeps a summary's _count consistent with the samples recorded, and its p99", async () => {
    const count = await prometheus!.waitFor("web_latency_count", (r) => r.length === 1);
    assert.equal(value(count), A.length);
    const p99 = await prometheus!.query('web_latency{quantile="0.99"}');
    const viewer99 =
      (treeA.getStats("/web")!.latency as { "99percentile": number })["99percentile"];
    assert.equal(value(p99), viewer99);
  });
});
