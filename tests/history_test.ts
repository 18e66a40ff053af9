/**
 * StatHistory: an opt-in, bounded record of the numbers the viewer charts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  IntDictStat,
  IntStat,
  MeterStat,
  PmfStat,
  setLogger,
  Stat,
  StatHistory,
  StatTree,
} from "@scales/core";

describe("StatHistory", () => {
  it("keeps counters, gauges and dict entries as they are, named path + keys", () => {
    const tree = new StatTree();
    const web = tree.collection(
      "/web",
      IntStat("requests"),
      Stat("load", 0.5),
      IntDictStat("byStatus"),
    );
    web.requests = 3;
    web.byStatus.inc("404", 2);
    const history = new StatHistory({ tree, intervalMs: 1_000 });
    history.sample(5_000);
    assert.deepEqual(history.read("/").series, {
      "/web/requests ": [3],
      "/web/load ": [0.5],
      '/web/byStatus ["404"]': [2],
    });
  });

  it("keeps a distribution's p50, p99 and p99.9 and a meter's m1, m5 and m15, nothing else", () => {
    const tree = new StatTree();
    const web = tree.collection("/web", PmfStat("latency"), MeterStat("hits"));
    web.latency.add(10);
    web.hits.mark();
    const history = new StatHistory({ tree, intervalMs: 1_000 });
    history.sample(5_000);
    assert.deepEqual(Object.keys(history.read("/").series).sort(), [
      '/web/hits ["m1"]',
      '/web/hits ["m15"]',
      '/web/hits ["m5"]',
      '/web/latency ["999percentile"]',
      '/web/latency ["99percentile"]',
      '/web/latency ["median"]',
    ]);
  });

  it("reads only the series under the path asked for", () => {
    const tree = new StatTree();
    tree.collection("/a", IntStat("x")).x = 1;
    tree.collection("/ab", IntStat("y")).y = 2;
    const history = new StatHistory({ tree, intervalMs: 1_000 });
    history.sample(1_000);
    assert.deepEqual(history.read("/a").series, { "/a/x ": [1] });
  });

  it("samples only the paths given", () => {
    const tree = new StatTree();
    tree.collection("/a", IntStat("x")).x = 1;
    tree.collection("/b", IntStat("y")).y = 2;
    const history = new StatHistory({ tree, paths: ["/b"], intervalMs: 1_000 });
    history.sample(1_000);
    assert.deepEqual(history.read("/").series, { "/b/y ": [2] });
  });

  it("keeps the last `keep` samples, then the long ring's older ones before them", () => {
    const tree = new StatTree();
    const s = tree.collection("/s", IntStat("n"));
    const history = new StatHistory({
      tree,
      intervalMs: 1_000,
      keep: 3,
      longIntervalMs: 2_000,
      longKeep: 2,
    });
    for (let i = 0; i < 8; i++) {
      s.n = i;
      history.sample(i * 1_000);
    }
    // Long ring: samples 0, 2, 4, 6 taken, the last two kept (4, 6); recent: 5, 6, 7.
    assert.deepEqual(history.read("/"), {
      intervalMs: 1_000,
      t: [4_000, 5_000, 6_000, 7_000],
      series: { "/s/n ": [4, 5, 6, 7] },
      unsampled: 0,
    });
  });

  it("writes null where a series had no value, and forgets a series gone from every ring", () => {
    const tree = new StatTree();
    const d = tree.collection("/d", IntDictStat("byKey"));
    d.byKey.inc("a");
    const history = new StatHistory({ tree, intervalMs: 1_000, keep: 2, longKeep: 0 });
    history.sample(1_000);
    tree.reset();
    tree.collection("/d", IntDictStat("byKey")).byKey.inc("b");
    history.sample(2_000);
    assert.deepEqual(history.read("/").series, {
      '/d/byKey ["a"]': [1, null],
      '/d/byKey ["b"]': [null, 1],
    });
    history.sample(3_000);
    history.sample(4_000);
    assert.equal(history.seriesCount, 1);
  });

  it("keeps at most maxSeries series and counts the numbers it could not keep", () => {
    const tree = new StatTree();
    tree.collection("/x", IntStat("a"), IntStat("b"), IntStat("c"));
    const history = new StatHistory({ tree, intervalMs: 1_000, maxSeries: 2 });
    history.sample(1_000);
    assert.equal(history.seriesCount, 2);
    assert.equal(history.read("/").unsampled, 1);
  });

  it("leaves a stat that fails to read out of the sample, and does not throw", () => {
    const tree = new StatTree();
    tree.collection(
      "/x",
      Stat("broken", (): number => {
        throw new Error("down");
      }),
      IntStat("ok"),
    );
    const history = new StatHistory({ tree, intervalMs: 1_000 });
    const logged: string[] = [];
    const previous = setLogger((message) => logged.push(message));
    try {
      history.sample(1_000);
    } finally {
      setLogger(previous);
    }
    assert.deepEqual(Object.keys(history.read("/x").series), ["/x/ok "]);
    assert.deepEqual(logged, ["stat /x/broken failed to read"]);
  });

  it("rejects a longIntervalMs that is not a multiple of intervalMs, naming both", () => {
    assert.throws(
      () => new StatHistory({ intervalMs: 1_000, longIntervalMs: 2_500 }),
      /longIntervalMs must be a multiple of intervalMs \(1000\), got 2500/,
    );
  });

  it("rejects an interval under 100 ms", () => {
    assert.throws(
      () => new StatHistory({ intervalMs: 10 }),
      /intervalMs must be an integer of at least 100, got 10/,
    );
  });

  it("samples nothing until started: a gauge function is never called", async () => {
    const tree = new StatTree();
    let calls = 0;
    tree.collection("/x", Stat("g", () => ++calls));
    const history = new StatHistory({ tree, intervalMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(calls, 0);
    assert.equal(history.seriesCount, 0);
  });

  it("samples every intervalMs once started, and stops", async () => {
    const tree = new StatTree();
    let calls = 0;
    tree.collection("/x", Stat("g", () => ++calls));
    using history = new StatHistory({ tree, intervalMs: 100 }).start();
    await new Promise((resolve) => setTimeout(resolve, 450));
    history.stop();
    const after = calls;
    assert.ok(after >= 3 && after <= 6, `${after} samples in 450 ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(calls, after);
  });

  it("states its memory bound: about 2.1 MB with the defaults", () => {
    assert.equal(new StatHistory().byteBound, 2_097_200);
  });

  it("stays under its stated bound with every series and every slot full", () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) throw new Error("run with --expose-gc");
    const tree = new StatTree();
    const maxSeries = 2_000;
    const names = Array.from({ length: maxSeries + 500 }, (_, i) => `stat_${"x".repeat(90)}_${i}`);
    const stats = tree.collection("/flood/container", ...names.map((n) => IntStat(n))) as Record<
      string,
      number
    >;
    const history = new StatHistory({ tree, intervalMs: 1_000, maxSeries });
    const used = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const before = used();
    const ticks = history.keep + history.longKeep * (history.longIntervalMs / history.intervalMs);
    for (let t = 0; t < ticks; t++) {
      stats[names[t % names.length]] += 1;
      history.sample(t * 1_000);
    }
    const grown = used() - before;
    assert.equal(history.seriesCount, maxSeries);
    assert.ok(grown <= history.byteBound, `grew ${grown} bytes, bound ${history.byteBound}`);
  });
});
