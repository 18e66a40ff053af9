import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DoubleStat,
  HistogramAggregationStat,
  IntDictStat,
  IntStat,
  LabelledCounterStat,
  LabelledGaugeStat,
  LabelledPmfStat,
  mergeStates,
  MeterStat,
  NamedPmfDictStat,
  Pmf,
  PmfAggregationStat,
  type PmfSnapshot,
  PmfStat,
  Stat,
  StatTree,
  treeState,
  withMetricName,
  withUnit,
  withWorkerMerge,
} from "@scales/core";
import { toPrometheusText } from "@scales/core/http";
import { logNormal, mulberry32 } from "./_random.ts";
import { EXACT_FIELDS } from "./_workers.ts";

const merged = (...trees: StatTree[]) =>
  mergeStates(trees.map((tree, i) => ({ worker: `w${i}`, state: treeState(tree) })));

/** A tree state after a round trip through JSON, as it crosses a process boundary. */
const overJson = (tree: StatTree) => JSON.parse(JSON.stringify(treeState(tree)));

describe("mergeStates", () => {
  it("adds counters and counter dicts key by key", () => {
    const a = new StatTree();
    const b = new StatTree();
    const sa = a.collection("/web", IntStat("requests"), IntDictStat("byStatus"));
    const sb = b.collection("/web", IntStat("requests"), IntDictStat("byStatus"));
    sa.requests += 2;
    sb.requests += 5;
    sa.byStatus.inc("200", 2);
    sb.byStatus.inc("200");
    sb.byStatus.inc("404");
    assert.deepEqual(merged(a, b).getStats(), {
      web: { requests: 7, byStatus: { "200": 3, "404": 1 } },
    });
  });

  it("shows a gauge per worker, or one number when declared with withWorkerMerge", () => {
    const trees = [new StatTree(), new StatTree(), new StatTree()];
    trees.forEach((tree, i) => {
      const s = tree.collection(
        "/net",
        DoubleStat("load"),
        withWorkerMerge(DoubleStat("open"), "sum"),
        withWorkerMerge(DoubleStat("low"), "min"),
        withWorkerMerge(DoubleStat("high"), "max"),
      );
      s.load =
        s.open =
        s.low =
        s.high =
          i + 1;
    });
    assert.deepEqual(merged(...trees).getStats(), {
      net: { load: { w0: 1, w1: 2, w2: 3 }, open: 6, low: 1, high: 3 },
    });
  });

  it("merges distributions into exactly one sketch fed every worker's samples, across JSON", () => {
    const trees = [new StatTree(), new StatTree(), new StatTree()];
    const stats = trees.map((tree) => tree.collection("/web", PmfStat("latency")));
    const together = new Pmf();
    const next = mulberry32(7);
    for (let i = 0; i < 6000; i++) {
      const v = Math.round(logNormal(next, 2, 1.5) * 8) / 8; // sums exact in any order
      stats[i % 3]!.latency.add(v);
      together.add(v);
    }
    const tree = mergeStates(trees.map((t, i) => ({ worker: `w${i}`, state: overJson(t) })));
    const view = tree.getStats("/web")!.latency as unknown as PmfSnapshot;
    const single = together.snapshot();
    for (const field of EXACT_FIELDS) {
      assert.equal(view[field], single[field], field);
    }
    const cell = tree.findNode("/web")!.cells.get("latency")!;
    assert.deepEqual(
      (cell.get() as Pmf).exponentialHistogram(),
      together.exponentialHistogram(),
    );
  });

  it("recomputes a PmfAggregationStat over the merged distributions below it", () => {
    const trees = [new StatTree(), new StatTree()];
    trees.forEach((tree, i) => {
      tree.collection("/web", PmfAggregationStat("latency"));
      tree.collection("/web/a", PmfStat("latency")).latency.add(10 + i);
      tree.collection("/web/b", PmfStat("latency")).latency.add(20 + i);
    });
    const web = merged(...trees).getStats("/web")!;
    assert.deepEqual((web.latency as unknown as PmfSnapshot).count, 4);
    assert.deepEqual((web.latency as unknown as PmfSnapshot).max, 21);
    assert.deepEqual((web.a as unknown as { latency: PmfSnapshot }).latency.count, 2);
  });

  it("adds meter counts and rates, and merges keyed distributions key by key", () => {
    const trees = [new StatTree(), new StatTree()];
    trees.forEach((tree, i) => {
      const s = tree.collection("/web", MeterStat("hits"), NamedPmfDictStat("byPath"));
      s.hits.mark(3 + i);
      s.byPath["/a"]!.add(1 + i);
    });
    const web = merged(...trees).getStats("/web")!;
    assert.deepEqual((web.hits as unknown as { count: number }).count, 7);
    assert.deepEqual((web.byPath as unknown as Record<string, PmfSnapshot>)["/a"]!.count, 2);
    assert.deepEqual((web.byPath as unknown as Record<string, PmfSnapshot>)["/a"]!.max, 2);
  });

  it("adds value histograms: how many gauges in every worker hold each value", () => {
    const trees = [new StatTree(), new StatTree()];
    trees.forEach((tree, i) => {
      tree.collection("/pool", HistogramAggregationStat("state"));
      tree.collection("/pool/x", Stat("state", i === 0 ? "idle" : "busy"));
    });
    assert.deepEqual(merged(...trees).getStats("/pool")!.state, { idle: 1, busy: 1 });
  });

  it("shows one worker alone with plain gauges when asked for a single worker", () => {
    const tree = new StatTree();
    tree.collection("/app", Stat("mode", "up"));
    assert.deepEqual(
      mergeStates([{ worker: "w0", state: treeState(tree) }], { single: true }).getStats(),
      { app: { mode: "up" } },
    );
  });

  it("shows a failing gauge as an error marker of its worker", () => {
    const tree = new StatTree();
    tree.collection(
      "/app",
      Stat("broken", (): number => {
        throw new Error("down");
      }),
    );
    assert.deepEqual(merged(tree).getStats(), { app: { broken: { w0: "<error: down>" } } });
  });

  it("refuses assignment to a merged stat, naming it", () => {
    const tree = new StatTree();
    tree.collection("/web", IntStat("requests"));
    const cell = merged(tree).findNode("/web")!.cells.get("requests")!;
    assert.throws(() => cell.set(1), {
      name: "TypeError",
      message:
        "IntStat /web/requests is a view merged from several workers and cannot be assigned, got 1",
    });
  });
});

describe("mergeStates for exporters", () => {
  it("adds labelled counters combination by combination, keeping their label names", () => {
    const trees = [new StatTree(), new StatTree()];
    trees.forEach((tree, i) => {
      const s = tree.collection("/web", LabelledCounterStat("hits", ["method", "status"]));
      s.hits.labels("GET", "200").inc(i + 1);
      if (i === 1) s.hits.labels("POST", "500").inc();
    });
    const tree = merged(...trees);
    assert.deepEqual(tree.getStats("/web")!.hits, { GET: { "200": 3 }, POST: { "500": 1 } });
    assert.deepEqual(tree.findNode("/web")!.cells.get("hits")!.labelNames, ["method", "status"]);
  });

  it("merges a labelled distribution combination by combination into one sketch fed both sample sets", () => {
    const spec = () => LabelledPmfStat("duration", ["method", "route"]);
    const trees = [new StatTree(), new StatTree()];
    const stats = trees.map((tree) => tree.collection("/http", spec()));
    const single = new StatTree();
    const together = single.collection("/http", spec());
    const routes = [["GET", "/a"], ["GET", "/b"], ["POST", "/a"]] as const;
    const next = mulberry32(11);
    for (let i = 0; i < 3000; i++) {
      const v = Math.round(logNormal(next, 2, 1.5) * 8) / 8; // sums exact in any order
      const [method, route] = routes[i % 3]!;
      stats[i % 2]!.duration.labels(method, route).add(v);
      together.duration.labels(method, route).add(v);
    }
    const tree = mergeStates(trees.map((t, i) => ({ worker: `w${i}`, state: overJson(t) })));
    assert.deepEqual(tree.getStats("/http")!.duration, single.getStats("/http")!.duration);
  });

  it("gives a merged labelled distribution the buckets of each combination", () => {
    const trees = [new StatTree(), new StatTree()];
    trees.forEach((tree, i) => {
      tree.collection("/http", LabelledPmfStat("duration", ["route"])).duration.labels("/a").add(
        i + 1,
      );
    });
    const single = new Pmf();
    single.add(1);
    single.add(2);
    const cell = merged(...trees).findNode("/http")!.cells.get("duration")!;
    assert.deepEqual(cell.labelNames, ["route"]);
    assert.deepEqual(cell.histogram!(["/a"]), single.exponentialHistogram());
    assert.equal(cell.histogram!(["/b"]), undefined);
  });

  it("shows a labelled gauge per worker, the worker as its first dimension", () => {
    const trees = [new StatTree(), new StatTree()];
    trees.forEach((tree, i) => {
      tree.collection("/pool", LabelledGaugeStat("busy", ["pool"])).busy.labels("db").add(i + 2);
    });
    const tree = merged(...trees);
    assert.deepEqual(tree.getStats("/pool")!.busy, { w0: { db: 2 }, w1: { db: 3 } });
    assert.deepEqual(tree.findNode("/pool")!.cells.get("busy")!.labelNames, ["worker", "pool"]);
  });

  it("keeps a stat's unit and metric name, so exporters scale it as the workers' own", () => {
    const tree = new StatTree();
    tree.collection(
      "/web",
      withMetricName(withUnit(PmfStat("latency"), "milliseconds"), "web_latency_seconds"),
    ).latency.add(250);
    const cell = merged(tree, tree).findNode("/web")!.cells.get("latency")!;
    assert.deepEqual([cell.unit, cell.metricName], ["milliseconds", "web_latency_seconds"]);
  });

  it("gives Prometheus a gauge per worker under a worker label", () => {
    const trees = [new StatTree(), new StatTree()];
    trees.forEach((tree, i) => {
      tree.collection("/net", DoubleStat("load")).load = i + 0.5;
    });
    const text = toPrometheusText(merged(...trees).root);
    assert.match(text, /^net_load\{worker="w0"\} 0\.5$/m);
    assert.match(text, /^net_load\{worker="w1"\} 1\.5$/m);
  });
});
