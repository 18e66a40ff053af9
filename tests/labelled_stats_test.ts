import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  IntDictStat,
  LabelledCounterStat,
  LabelledGaugeStat,
  LabelledPmfStat,
  metricFamilies,
  PmfStat,
  setLogger,
  StatTree,
  withMetricName,
  withUnit,
} from "@scales/core";
import { toPrometheusText } from "@scales/core/http";
import { formatFamilies } from "../graphite/_format.ts";
import { promtoolCheck, skipUnless } from "./_prometheus.ts";

const skipPromtool = await skipUnless("/usr/bin/promtool");

describe("labelled stats", () => {
  it("nest their snapshot one level per label, in label order", () => {
    const tree = new StatTree();
    const s = tree.collection("/web", LabelledCounterStat("requests", ["method", "status"]));
    s.requests.labels("GET", "200").inc();
    s.requests.labels("GET", "200").inc(2);
    s.requests.labels("POST", "500").inc();
    assert.deepEqual(tree.getStats(), {
      web: { requests: { GET: { "200": 3 }, POST: { "500": 1 } } },
    });
  });

  it("give the same entry for the same combination", () => {
    const tree = new StatTree();
    const s = tree.collection("/web", LabelledGaugeStat("active", ["method"]));
    assert.equal(s.active.labels("GET"), s.active.labels("GET"));
    assert.deepEqual(s.active.labelNames, ["method"]);
  });

  it("cap the combinations, not each label: past maxKeys every new one shares one (other) entry", () => {
    const logged: string[] = [];
    const previous = setLogger((message) => logged.push(message));
    try {
      const tree = new StatTree();
      const s = tree.collection(
        "/web",
        LabelledCounterStat("requests", ["method", "route"], { maxKeys: 2 }),
      );
      s.requests.labels("GET", "/a").inc();
      s.requests.labels("GET", "/b").inc();
      s.requests.labels("GET", "/c").inc();
      s.requests.labels("POST", "/d").inc();
      assert.deepEqual(tree.getStats("/web"), {
        requests: { GET: { "/a": 1, "/b": 1 }, "(other)": { "(other)": 2 } },
      });
      assert.equal(s.requests.size, 3);
      assert.deepEqual(logged, [
        'dict stat /web/requests reached its cap of 2 keys; further new keys count under "(other)"',
      ]);
    } finally {
      setLogger(previous);
    }
  });

  it("stay bounded under 100,000 unique values", () => {
    const previous = setLogger(() => {});
    try {
      const tree = new StatTree();
      const s = tree.collection("/web", LabelledPmfStat("duration", ["route"], { maxKeys: 100 }));
      for (let i = 0; i < 100_000; i++) s.duration.labels(`/users/${i}`).add(1);
      assert.equal(s.duration.size, 101);
      const other =
        (tree.getStats("/web")!.duration as Record<string, { count: number }>)["(other)"];
      assert.equal(other.count, 99_900);
    } finally {
      setLogger(previous);
    }
  });

  it("reject a call with the wrong number of label values, naming the labels", () => {
    const tree = new StatTree();
    const s = tree.collection("/web", LabelledCounterStat("requests", ["method", "status"]));
    assert.throws(() => (s.requests.labels as (...v: string[]) => unknown)("GET"), {
      name: "TypeError",
      message: "LabelledCounterStat /web/requests takes 2 label values (method, status), got 1",
    });
  });

  it("reject label names Prometheus cannot take", () => {
    assert.throws(() => LabelledCounterStat("x", ["bad-name"]), {
      name: "TypeError",
      message:
        'labelled stat "x": a label name must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__", got "bad-name"',
    });
    assert.throws(() => LabelledCounterStat("x", []), {
      name: "TypeError",
      message: 'labelled stat "x": labelNames must be a non-empty array, got an array',
    });
  });

  it("reach the model with their label names and one label value per name", () => {
    const tree = new StatTree();
    const s = tree.collection("/web", LabelledCounterStat("requests", ["method", "status"]));
    s.requests.labels("GET", "200").inc(4);
    const [family] = metricFamilies(tree.findNode("/web")!);
    assert.deepEqual([family.kind, family.labelNames, family.points], [
      "counter",
      ["method", "status"],
      [{ labelValues: ["GET", "200"], value: 4 }],
    ]);
  });

  it("keep a dict stat's single label named key", () => {
    const tree = new StatTree();
    tree.collection("/web", IntDictStat("byPath")).byPath.inc("/", 2);
    const [family] = metricFamilies(tree.findNode("/web")!);
    assert.deepEqual([family.labelNames, family.points], [["key"], [{
      labelValues: ["/"],
      value: 2,
    }]]);
  });

  it("give Prometheus real label names", () => {
    const tree = new StatTree();
    const s = tree.collection("/web", LabelledCounterStat("requests", ["method", "status"]));
    s.requests.labels("GET", "200").inc(4);
    assert.equal(
      toPrometheusText(tree.root),
      "# HELP web_requests_total /web/requests (LabelledCounterStat)\n" +
        "# TYPE web_requests_total counter\n" +
        'web_requests_total{method="GET",status="200"} 4\n',
    );
  });

  it("give Graphite one sanitized path segment per label", () => {
    const tree = new StatTree();
    const s = tree.collection("/web", LabelledCounterStat("requests", ["method", "route"]));
    s.requests.labels("GET", "/users/:id").inc(4);
    assert.equal(
      formatFamilies(metricFamilies(tree.root), "", 10).text,
      "web.requests.GET._users__id 4 10\n",
    );
  });
});

describe("withUnit", () => {
  it("exports a distribution in milliseconds as seconds, its count unscaled", () => {
    const tree = new StatTree();
    tree.collection("/web", withUnit(PmfStat("latency"), "milliseconds")).latency.add(250);
    const [family] = metricFamilies(tree.findNode("/web")!);
    assert.equal(family.unit, "seconds");
    assert.equal(family.kind, "distribution");
    if (family.kind !== "distribution") return;
    const summary = family.points[0].value.summary;
    assert.deepEqual([summary.count, summary.sum, summary.max], [1, 0.25, 0.25]);
    assert.deepEqual((tree.getStats("/web")!.latency as { sum: number }).sum, 250);
  });

  it("rejects an unknown unit", () => {
    assert.throws(() => withUnit(PmfStat("x"), "minutes" as "seconds"), {
      name: "TypeError",
      message: 'unit must be "milliseconds", "seconds" or "bytes", got "minutes"',
    });
  });

  it("passes promtool with labelled distributions in seconds", { skip: skipPromtool }, async () => {
    const tree = new StatTree();
    const s = tree.collection(
      "/http",
      withMetricName(
        withUnit(LabelledPmfStat("duration", ["http_route", "code"]), "milliseconds"),
        "http_server_request_duration_seconds",
      ),
    );
    s.duration.labels("/a", "200").add(5);
    s.duration.labels("/b", "404").add(7);
    const { code, output } = await promtoolCheck(toPrometheusText(tree.root));
    assert.equal(output, "");
    assert.equal(code, 0);
  });
});
