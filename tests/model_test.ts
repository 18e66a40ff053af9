import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  DoubleStat,
  findNode,
  IntDictStat,
  IntStat,
  metricFamilies,
  type MetricFamily,
  NamedPmfDictStat,
  PmfAggregationStat,
  PmfStat,
  setLogger,
  Stat,
  STAT_KINDS,
  StatTree,
  withMetricName,
} from "@scales/core";
import {
  FixedStat,
  HISTOGRAM,
  METER_SNAPSHOT,
  PMF_SNAPSHOT,
  resetToEmptyTree,
} from "./_prometheus.ts";

beforeEach(() => resetToEmptyTree());

function families(): MetricFamily[] {
  return metricFamilies(findNode("/")!);
}

/** `[name, kind, labelNames]` of each family. */
function shapes(list: readonly MetricFamily[]): Array<[string, string, readonly string[]]> {
  return list.map((f) => [f.name, f.kind, f.labelNames]);
}

describe("metricFamilies of a tree", () => {
  it("gives each stat kind its family kind and labels", () => {
    collection(
      "/all",
      FixedStat("counter", "IntStat", "counter", 1),
      FixedStat("gauge", "DoubleStat", "gauge", 0.5),
      FixedStat("sum", "SumAggregationStat", "sum", 3),
      FixedStat("counterDict", "IntDictStat", "counterDict", { a: 1 }),
      FixedStat("gaugeDict", "HistogramAggregationStat", "gaugeDict", { idle: 2 }),
      FixedStat("stringDict", "StringDictStat", "stringDict", { a: "x" }),
      FixedStat("pmf", "PmfStat", "pmf", PMF_SNAPSHOT),
      FixedStat("meter", "MeterStat", "meter", METER_SNAPSHOT),
      FixedStat("pmfDict", "NamedPmfDictStat", "pmfDict", { a: PMF_SNAPSHOT }),
      FixedStat("meterDict", "MeterDictStat", "meterDict", { a: METER_SNAPSHOT }),
    );
    assert.deepEqual(shapes(families()), [
      ["counter", "counter", []],
      ["gauge", "gauge", []],
      ["sum", "gauge", []],
      ["counterDict", "counter", ["key"]],
      ["gaugeDict", "gauge", ["key"]],
      ["stringDict", "text", ["key"]],
      ["pmf", "distribution", []],
      ["meter", "rate", []],
      ["pmfDict", "distribution", ["key"]],
      ["meterDict", "rate", ["key"]],
    ]);
    assert.deepEqual(STAT_KINDS.length, 10);
  });

  it("names each family by its container segments, name and full path", () => {
    collection("/web/api", IntStat("hits")).hits = 2;
    const [family] = families();
    assert.deepEqual(
      [family.container, family.name, family.path, family.type, family.help],
      [["web", "api"], "hits", "/web/api/hits", "IntStat", "/web/api/hits (IntStat)"],
    );
    assert.deepEqual(family.points, [{ labelValues: [], value: 2 }]);
  });

  it("shares one container array between the families of one container", () => {
    collection("/web", IntStat("a"), IntStat("b"));
    const [a, b] = families();
    assert.equal(a.container, b.container);
  });

  it("keeps full paths for a subtree", () => {
    collection("/web/api", IntStat("hits"));
    assert.deepEqual(metricFamilies(findNode("/web/api")!)[0].container, ["web", "api"]);
  });

  it("turns booleans into 1 and 0 and strings into text families, and leaves out null", () => {
    collection("/g", Stat("up", true), Stat("down", false), Stat("mode", "fast"), Stat("x", null));
    assert.deepEqual(
      families().map((f) => [f.name, f.kind, f.points.map((p) => p.value)]),
      [["up", "gauge", [1]], ["down", "gauge", [0]], ["mode", "text", ["fast"]]],
    );
  });

  it("gives a PmfStat's distribution its summary fields and its all-time buckets", () => {
    collection("/web", PmfStat("latency")).latency.add(4);
    const [family] = families();
    assert.equal(family.kind, "distribution");
    if (family.kind !== "distribution") return;
    const value = family.points[0].value;
    assert.deepEqual([value.summary.count, value.summary.sum, value.summary.max], [1, 4, 4]);
    assert.deepEqual(Object.keys(value.summary).length, 12);
    assert.deepEqual([value.histogram?.count, value.histogram?.sum], [1, 4]);
  });

  it("gives a PmfAggregationStat the buckets of its children together", () => {
    collection("/web", PmfAggregationStat("latency"));
    collection("/web/a", PmfStat("latency")).latency.add(1);
    collection("/web/b", PmfStat("latency")).latency.add(3);
    const [family] = families();
    assert.deepEqual(
      family.kind === "distribution" && [family.path, family.points[0].value.histogram?.count],
      ["/web/latency", 2],
    );
  });

  it("gives each key of a NamedPmfDictStat its own buckets", () => {
    const stats = collection("/web", NamedPmfDictStat("byPath"));
    stats.byPath["/a"].add(1);
    stats.byPath["/b"].add(2);
    stats.byPath["/b"].add(2);
    const [family] = families();
    assert.deepEqual(
      family.kind === "distribution" && family.points.map((p) => p.value.histogram?.count),
      [1, 2],
    );
  });

  it("gives a distribution no buckets when the stat keeps none", () => {
    collection("/web", FixedStat("latency", "PmfStat", "pmf", PMF_SNAPSHOT));
    const [family] = families();
    assert.deepEqual(family.kind === "distribution" && family.points[0].value.histogram, undefined);
  });

  it("gives a distribution the all-time buckets of a stat that keeps them", () => {
    collection("/web", FixedStat("latency", "PmfStat", "pmf", PMF_SNAPSHOT, HISTOGRAM));
    const [family] = families();
    assert.equal(family.kind === "distribution" && family.points[0].value.histogram, HISTOGRAM);
  });

  it("asks a distribution dict for the buckets of each key", () => {
    collection(
      "/web",
      FixedStat(
        "byPath",
        "NamedPmfDictStat",
        "pmfDict",
        { "/a": PMF_SNAPSHOT, "/b": PMF_SNAPSHOT },
        {
          "/a": HISTOGRAM,
        },
      ),
    );
    const [family] = families();
    assert.deepEqual(
      family.kind === "distribution" && family.points.map((p) => p.value.histogram),
      [HISTOGRAM, undefined],
    );
  });

  it("gives a rate its count and rates, without the unit", () => {
    collection("/web", FixedStat("hits", "MeterStat", "meter", METER_SNAPSHOT));
    assert.deepEqual(families()[0].points[0].value, {
      count: 42,
      m1: 1.5,
      m5: 1.25,
      m15: 1,
      mean: 2,
    });
  });

  it("makes a stat that fails to read an error family", () => {
    const previous = setLogger(() => {});
    try {
      collection("/g", FixedStat("bad", "Stat", "gauge", new Error("boom")));
      const [family] = families();
      assert.deepEqual(
        [family.kind, family.kind === "error" && family.message, family.points],
        ["error", "<error: boom>", []],
      );
    } finally {
      setLogger(previous);
    }
  });

  it("reads the unit from the end of the stat's name or metric name", () => {
    collection(
      "/p",
      DoubleStat("eventLoopDelaySeconds"),
      withMetricName(IntStat("cpu"), "process_cpu_user_seconds_total"),
      DoubleStat("heap_bytes"),
      DoubleStat("bytes"),
    );
    assert.deepEqual(families().map((f) => f.unit), ["seconds", "seconds", "bytes", ""]);
  });

  it("carries the withMetricName name", () => {
    collection("/web", withMetricName(IntStat("errors"), "http_errors"));
    assert.equal(families()[0].metricName, "http_errors");
  });
});

describe("metricFamilies of a tree with a given snapshot", () => {
  it("uses exactly the snapshot's values, with the tree's kinds", () => {
    const stats = collection("/web", IntStat("a"), IntDictStat("b"));
    stats.b.inc("x", 5);
    stats.b.inc("y", 6);
    const list = metricFamilies(findNode("/")!, { web: { b: { y: 6 } } });
    assert.deepEqual(shapes(list), [["b", "counter", ["key"]]]);
    assert.deepEqual(list[0].points, [{ labelValues: ["y"], value: 6 }]);
  });

  it("does not read stats or containers named like Object.prototype members from it", () => {
    collection("/x", IntStat("constructor"), IntStat("toString"));
    collection("/x/hasOwnProperty", IntStat("n"));
    assert.deepEqual(metricFamilies(findNode("/")!, { x: {} }), []);
  });
});

describe("metricFamilies of a plain snapshot", () => {
  it("makes objects containers, numbers and booleans gauges, and strings text", () => {
    const list = metricFamilies({ web: { hits: 3, up: true, mode: "x", none: null } });
    assert.deepEqual(
      list.map((f) => [f.container, f.name, f.kind, f.statKind, f.points[0]?.value]),
      [
        [["web"], "hits", "gauge", undefined, 3],
        [["web"], "up", "gauge", undefined, 1],
        [["web"], "mode", "text", undefined, "x"],
      ],
    );
  });

  it("makes an error marker an error family", () => {
    const [family] = metricFamilies({ bad: "<error: boom>" });
    assert.deepEqual([family.kind, family.path], ["error", "/bad"]);
  });
});

describe("metricFamilies of a StatTree", () => {
  it("reads that tree from its root, and no other", () => {
    const tree = new StatTree();
    tree.collection("/mine", IntStat("n")).n = 7;
    collection("/global", IntStat("n"));
    assert.deepEqual(metricFamilies(tree).map((f) => [f.path, f.points[0].value]), [[
      "/mine/n",
      7,
    ]]);
  });
});
