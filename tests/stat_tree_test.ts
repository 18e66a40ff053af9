import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  collection,
  collectRuntimeStats,
  defaultTree,
  defineStats,
  dumpStatsTo,
  getStats,
  IntStat,
  PeriodicFileDumper,
  PmfAggregationStat,
  PmfStat,
  reset,
  Stat,
  StatTree,
  SumAggregationStat,
} from "@scales/core";
import { serveInBackground, statsHandler, toPrometheusText } from "@scales/core/http";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "scales-tree-"));
}

describe("StatTree", () => {
  it("keeps its stats apart from another tree's", () => {
    const a = new StatTree();
    const b = new StatTree();
    a.collection("/web", IntStat("requests")).requests += 2;
    b.collection("/web", IntStat("requests")).requests += 5;
    assert.deepEqual(a.getStats(), { web: { requests: 2 } });
    assert.deepEqual(b.getStats(), { web: { requests: 5 } });
  });

  it("is not the default tree: the module-level API does not see it", () => {
    reset();
    const tree = new StatTree();
    tree.collection("/private", IntStat("n"));
    assert.deepEqual(getStats(), {});
    collection("/public", IntStat("n"));
    assert.deepEqual(tree.getStats(), { private: { n: 0 } });
  });

  it("module-level functions act on defaultTree", () => {
    reset();
    collection("/web", IntStat("hits")).hits += 1;
    assert.deepEqual(defaultTree.getStats(), { web: { hits: 1 } });
    defaultTree.reset();
    assert.deepEqual(getStats(), {});
  });

  it("init, initChild and release act on their own tree, with roll-ups", () => {
    const a = new StatTree();
    const b = new StatTree();
    const pool = {};
    a.init(pool, "/pool", defineStats(SumAggregationStat("done")));
    const worker = {};
    a.initChild(worker, pool, "w0", defineStats(IntStat("done"))).done += 3;
    assert.deepEqual(a.getStats(), { pool: { done: 3, w0: { done: 3 } } });
    assert.equal(b.release(worker), false);
    assert.equal(a.release(worker), true);
    assert.deepEqual(a.getStats(), { pool: { done: 0 } });
  });

  it("initChild refuses a parent object that has stats only in another tree", () => {
    const a = new StatTree();
    const b = new StatTree();
    const parent = {};
    a.init(parent, "/p", defineStats(IntStat("n")));
    assert.throws(() => b.initChild({}, parent, "c", defineStats(IntStat("n"))), {
      name: "TypeError",
      message:
        "initChild: the parent object has no stats in this tree; call init(parent, path, ...) first or pass a path",
    });
  });

  it("reset of one tree leaves another alone", () => {
    const a = new StatTree();
    const b = new StatTree();
    a.collection("/x", IntStat("n"));
    b.collection("/y", IntStat("n"));
    a.reset();
    assert.deepEqual(a.getStats(), {});
    assert.deepEqual(b.getStats(), { y: { n: 0 } });
  });

  it("reading does not change the tree: missing paths are not created", () => {
    const tree = new StatTree();
    tree.collection("/web", IntStat("n"));
    assert.equal(tree.getStats("/nope/deeper"), undefined);
    assert.equal(tree.findNode("/nope"), undefined);
    const viewer = statsHandler({ tree });
    viewer(new Request("http://localhost/status/nope/deeper?format=json"));
    assert.deepEqual([...tree.root.children.keys()], ["web"]);
    assert.deepEqual(tree.getStats(), tree.getStats());
  });

  it("a failed read is counted in the tree that was read", () => {
    const a = new StatTree();
    const b = new StatTree();
    a.collection(
      "/app",
      Stat("broken", () => {
        throw new Error("down");
      }),
    );
    const restore = quietLogger();
    try {
      a.getStats();
    } finally {
      restore();
    }
    assert.deepEqual(a.getStats("/scales"), { readErrors: 1 });
    assert.equal(b.getStats("/scales"), undefined);
  });
});

describe("every consumer takes a tree option", () => {
  it("statsHandler shows its tree in JSON and Prometheus text", async () => {
    reset();
    collection("/default", IntStat("n"));
    const tree = new StatTree();
    tree.collection("/mine", IntStat("hits")).hits += 4;
    const viewer = statsHandler({ tree });
    const json = await viewer(new Request("http://localhost/status/?format=json")).text();
    assert.deepEqual(JSON.parse(json), { mine: { hits: 4 } });
    const text = await viewer(new Request("http://localhost/metrics")).text();
    assert.match(text, /^mine_hits_total 4$/m);
    assert.doesNotMatch(text, /default/);
  });

  it("toPrometheusText reads the tree of the node it is given", () => {
    const tree = new StatTree();
    tree.collection("/mine", IntStat("hits")).hits += 1;
    assert.match(toPrometheusText(tree.root), /^mine_hits_total 1$/m);
  });

  it("serveInBackground serves its tree", async () => {
    reset();
    const tree = new StatTree();
    tree.collection("/served", IntStat("n")).n += 7;
    await using server = await serveInBackground(0, { tree });
    const response = await fetch(new URL("served?format=json", server.url));
    assert.deepEqual(await response.json(), { n: 7 });
  });

  it("dumpStatsTo writes its tree", async () => {
    reset();
    collection("/default", IntStat("n"));
    const tree = new StatTree();
    tree.collection("/dumped", IntStat("n")).n += 2;
    const dir = tempDir();
    try {
      const path = join(dir, "stats.json");
      await dumpStatsTo(path, { tree });
      const dump = JSON.parse(readFileSync(path, "utf8"));
      delete dump["last-updated"];
      assert.deepEqual(dump, { dumped: { n: 2 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("PeriodicFileDumper writes its tree", async () => {
    reset();
    const tree = new StatTree();
    tree.collection("/periodic", IntStat("n")).n += 3;
    const dir = tempDir();
    const path = join(dir, "stats.json");
    const dumper = new PeriodicFileDumper(path, { tree, dumpOnExit: false });
    try {
      await dumper.start();
      const dump = JSON.parse(readFileSync(path, "utf8"));
      assert.deepEqual(dump.periodic, { n: 3 });
      assert.equal(dump.default, undefined);
    } finally {
      await dumper.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("collectRuntimeStats publishes into its tree, one collector per tree", () => {
    reset();
    const tree = new StatTree();
    using runtime = collectRuntimeStats({ tree });
    assert.equal(collectRuntimeStats({ tree }), runtime);
    assert.equal(typeof tree.getStats("/process")?.uptimeSeconds, "number");
    assert.equal(getStats("/process"), undefined);
    using other = collectRuntimeStats();
    assert.notEqual(other, runtime);
    tree.reset();
    assert.equal(runtime.stopped, true);
    assert.equal(other.stopped, false);
  });

  it("PmfAggregationStat merges only within its tree", () => {
    const a = new StatTree();
    const b = new StatTree();
    a.collection("/t", PmfAggregationStat("latency"));
    b.collection("/t", PmfAggregationStat("latency"));
    a.collection("/t/x", PmfStat("latency")).latency.add(10);
    b.collection("/t/x", PmfStat("latency")).latency.add(99);
    const snapshot = a.getStats("/t")?.latency as { count: number; max: number };
    assert.deepEqual([snapshot.count, snapshot.max], [1, 10]);
  });
});

function quietLogger(): () => void {
  const original = console.warn;
  console.warn = () => {};
  return () => {
    console.warn = original;
  };
}
