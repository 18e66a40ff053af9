import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  DoubleStat,
  findNode,
  IntDictStat,
  IntStat,
  setLogger,
  Stat,
  StringDictStat,
  withMetricName,
} from "@scales/core";
import { sanitizeMetricName, toPrometheusText } from "@scales/core/http";
import {
  FixedStat,
  METER_SNAPSHOT,
  PMF_SNAPSHOT,
  promtoolCheck,
  resetToEmptyTree,
  skipUnless,
} from "./_prometheus.ts";

const ODD = 'quote " back \\ slash\nnewline naïve 日本語';

function text(): string {
  return toPrometheusText(findNode("/")!);
}

/** The `# TYPE` lines of the output, as `name type`. */
function types(output: string): string[] {
  return output.split("\n").filter((line) => line.startsWith("# TYPE ")).map((line) =>
    line.slice(7)
  );
}

beforeEach(() => resetToEmptyTree());

describe("sanitizeMetricName", () => {
  it("keeps snake_case names", () => {
    assert.equal(sanitizeMetricName("requests_total:rate"), "requests_total:rate");
  });

  it("turns camelCase into snake_case", () => {
    assert.equal(sanitizeMetricName("latencyByPath"), "latency_by_path");
    assert.equal(sanitizeMetricName("HTTPServer"), "http_server");
  });

  it("replaces characters outside [a-zA-Z0-9_:] by _", () => {
    assert.equal(sanitizeMetricName("a-b.c d/é"), "a_b_c_d__");
  });
});

describe("toPrometheusText", () => {
  it("exports an IntStat as a counter named _total", () => {
    collection("/web", IntStat("errors")).errors = 4;
    assert.equal(
      text(),
      "# HELP web_errors_total /web/errors (IntStat)\n# TYPE web_errors_total counter\nweb_errors_total 4\n",
    );
  });

  it("does not double a _total suffix", () => {
    collection("/web", IntStat("requests_total")).requests_total = 1;
    assert.deepEqual(types(text()), ["web_requests_total counter"]);
  });

  it("exports numeric and boolean gauges, as 1 and 0 for booleans", () => {
    collection("/g", DoubleStat("load"), Stat("up", true), Stat("down", false)).load = 0.5;
    assert.equal(
      text(),
      "# HELP g_load /g/load (DoubleStat)\n# TYPE g_load gauge\ng_load 0.5\n" +
        "# HELP g_up /g/up (Stat)\n# TYPE g_up gauge\ng_up 1\n" +
        "# HELP g_down /g/down (Stat)\n# TYPE g_down gauge\ng_down 0\n",
    );
  });

  it("leaves out string and null gauges and string dicts", () => {
    collection("/g", Stat("mode", "fast"), Stat("owner", null), StringDictStat("labels")).labels.a =
      "b";
    assert.equal(text(), "");
  });

  it("writes infinities and NaN as the format spells them", () => {
    collection(
      "/g",
      FixedStat("a", "DoubleStat", "gauge", Infinity),
      FixedStat("b", "DoubleStat", "gauge", -Infinity),
      FixedStat("c", "DoubleStat", "gauge", NaN),
    );
    assert.deepEqual(text().split("\n").filter((l) => !l.startsWith("#")), [
      "g_a +Inf",
      "g_b -Inf",
      "g_c NaN",
      "",
    ]);
  });

  it("exports a counter dict as one counter family with a key label", () => {
    const stats = collection("/web", IntDictStat("byPath"));
    stats.byPath.inc("/a", 2);
    stats.byPath.inc("/b");
    assert.equal(
      text(),
      "# HELP web_by_path_total /web/byPath (IntDictStat)\n# TYPE web_by_path_total counter\n" +
        'web_by_path_total{key="/a"} 2\nweb_by_path_total{key="/b"} 1\n',
    );
  });

  it("exports a gauge dict as one gauge family with a key label", () => {
    collection(
      "/w",
      FixedStat("state", "HistogramAggregationStat", "gaugeDict", { idle: 2, busy: 1 }),
    );
    assert.equal(
      text(),
      "# HELP w_state /w/state (HistogramAggregationStat)\n# TYPE w_state gauge\n" +
        'w_state{key="idle"} 2\nw_state{key="busy"} 1\n',
    );
  });

  it("exports a distribution as a summary with six quantiles, _sum and _count", () => {
    collection("/web", FixedStat("latency", "PmfStat", "pmf", PMF_SNAPSHOT));
    assert.equal(
      text(),
      "# HELP web_latency /web/latency (PmfStat)\n# TYPE web_latency summary\n" +
        'web_latency{quantile="0.5"} 12\nweb_latency{quantile="0.75"} 20\n' +
        'web_latency{quantile="0.95"} 30\nweb_latency{quantile="0.98"} 35\n' +
        'web_latency{quantile="0.99"} 38\nweb_latency{quantile="0.999"} 40\n' +
        "web_latency_sum 150\nweb_latency_count 10\n",
    );
  });

  it("exports a meter as a counter of events and a gauge of its rates", () => {
    collection("/web", FixedStat("hits", "MeterStat", "meter", METER_SNAPSHOT));
    assert.equal(
      text(),
      "# HELP web_hits_total /web/hits (MeterStat), events\n# TYPE web_hits_total counter\nweb_hits_total 42\n" +
        "# HELP web_hits_rate /web/hits (MeterStat), events per second\n# TYPE web_hits_rate gauge\n" +
        'web_hits_rate{window="1m"} 1.5\nweb_hits_rate{window="5m"} 1.25\n' +
        'web_hits_rate{window="15m"} 1\nweb_hits_rate{window="mean"} 2\n',
    );
  });

  it("exports a distribution dict as one summary with a key label", () => {
    collection("/web", FixedStat("byPath", "NamedPmfDictStat", "pmfDict", { "/a": PMF_SNAPSHOT }));
    const lines = text().split("\n");
    assert.equal(lines[1], "# TYPE web_by_path summary");
    assert.equal(lines[2], 'web_by_path{key="/a",quantile="0.5"} 12');
    assert.equal(lines[8], 'web_by_path_sum{key="/a"} 150');
    assert.equal(lines[9], 'web_by_path_count{key="/a"} 10');
  });

  it("exports a meter dict as a counter and a rate gauge with a key label", () => {
    collection("/web", FixedStat("hits", "MeterDictStat", "meterDict", { "/a": METER_SNAPSHOT }));
    const samples = text().split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    assert.deepEqual(samples, [
      'web_hits_total{key="/a"} 42',
      'web_hits_rate{key="/a",window="1m"} 1.5',
      'web_hits_rate{key="/a",window="5m"} 1.25',
      'web_hits_rate{key="/a",window="15m"} 1',
      'web_hits_rate{key="/a",window="mean"} 2',
    ]);
  });

  it("escapes label values and HELP text", () => {
    collection(`/o${"\\"}dd`, IntDictStat("k")).k.inc(ODD);
    assert.equal(
      text(),
      "# HELP o_dd_k_total /o\\\\dd/k (IntDictStat)\n# TYPE o_dd_k_total counter\n" +
        'o_dd_k_total{key="quote \\" back \\\\ slash\\nnewline naïve 日本語"} 1\n',
    );
  });

  it("prefixes a name that starts with a digit with _", () => {
    collection("/2xx", IntStat("n"));
    assert.deepEqual(types(text()), ["_2xx_n_total counter"]);
  });

  it("gives two stats that sanitize to the same name distinct families, in tree order", () => {
    collection("/a-b", IntStat("n")).n = 1;
    collection("/a_b", IntStat("n")).n = 2;
    collection("/a.b", IntStat("n")).n = 3;
    const output = text();
    assert.deepEqual(types(output), [
      "a_b_n_total counter",
      "a_b_n_2_total counter",
      "a_b_n_3_total counter",
    ]);
    assert.match(output, /^a_b_n_2_total 2$/m);
  });

  it("moves a summary aside when a gauge already took its _sum name", () => {
    collection("/x", DoubleStat("lat_sum"), FixedStat("lat", "PmfStat", "pmf", PMF_SNAPSHOT));
    assert.deepEqual(types(text()), ["x_lat_sum gauge", "x_lat_2 summary"]);
  });

  it("declares every family once in a large tree with many clashes", () => {
    for (let i = 0; i < 50; i++) {
      collection(`/s-${i % 5}/t.${i % 7}`, IntStat("n"), DoubleStat("n_total"), IntDictStat("d")).d
        .inc("k");
    }
    const names = types(text()).map((line) => line.split(" ")[0]);
    assert.equal(new Set(names).size, names.length);
  });

  it("names metrics by full path when exporting a subtree", () => {
    collection("/web/api", IntStat("n"));
    assert.deepEqual(types(toPrometheusText(findNode("/web/api")!)), ["web_api_n_total counter"]);
  });

  it("writes a comment in place of a stat that fails to read, and counts the failure", () => {
    const previous = setLogger(() => {});
    try {
      collection("/g", FixedStat("bad", "Stat", "gauge", new Error("no\nway")));
      assert.equal(
        text(),
        "# scales: /g/bad failed to read: <error: no\\nway>\n" +
          "# HELP scales_read_errors_total /scales/readErrors (IntStat)\n" +
          "# TYPE scales_read_errors_total counter\n" +
          "scales_read_errors_total 1\n",
      );
    } finally {
      setLogger(previous);
    }
  });

  it("exports exactly the values of a given snapshot", () => {
    collection("/web", IntStat("a"), IntStat("b")).b = 9;
    assert.equal(
      toPrometheusText(findNode("/")!, { web: { b: 9 } }),
      "# HELP web_b_total /web/b (IntStat)\n# TYPE web_b_total counter\nweb_b_total 9\n",
    );
  });
});

const skip = await skipUnless("/usr/bin/promtool");

describe("promtool check metrics", () => {
  it("accepts a tree with every kind of stat and awkward names and keys", { skip }, async () => {
    const previous = setLogger(() => {});
    try {
      const web = collection(
        "/web-server",
        IntStat("requests"),
        IntDictStat("byPath"),
        DoubleStat("load", 0.25),
      );
      web.requests = 10;
      web.byPath.inc(ODD);
      web.byPath.inc("<img src=x onerror=alert(1)>");
      collection(
        "/web-server/dists",
        FixedStat("latency", "PmfStat", "pmf", PMF_SNAPSHOT),
        FixedStat("hits", "MeterStat", "meter", METER_SNAPSHOT),
        FixedStat("latencyByPath", "NamedPmfDictStat", "pmfDict", { [ODD]: PMF_SNAPSHOT }),
        FixedStat("hitsByPath", "MeterDictStat", "meterDict", { [ODD]: METER_SNAPSHOT }),
        FixedStat("state", "HistogramAggregationStat", "gaugeDict", { idle: 1 }),
        FixedStat("broken", "Stat", "gauge", new Error("boom")),
      );
      collection("/2nd", IntStat("x"), DoubleStat("x_total"));
      collection("/2nd", Stat("up", true));
      const { code, output } = await promtoolCheck(text());
      assert.equal(output, "");
      assert.equal(code, 0);
    } finally {
      setLogger(previous);
    }
  });
});

describe("withMetricName", () => {
  it("exports a stat under the given family name instead of its path", () => {
    resetToEmptyTree();
    const STATS = collection("/web", withMetricName(IntStat("errors"), "http_errors"));
    STATS.errors = 4;
    assert.equal(
      toPrometheusText(findNode("/")!),
      "# HELP http_errors_total /web/errors (IntStat)\n# TYPE http_errors_total counter\nhttp_errors_total 4\n",
    );
  });

  it("rejects a name Prometheus would not accept", () => {
    assert.throws(() => withMetricName(IntStat("errors"), "http-errors"), {
      name: "TypeError",
      message: 'metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*, got "http-errors"',
    });
  });
});
