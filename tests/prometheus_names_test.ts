import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  formatSampleValue,
  PrometheusNames,
  RECORDS_LIMIT,
  SAMPLE_TEXT_LIMIT,
  SERIES_CACHE_LIMIT,
  seriesNames,
} from "../http/_prometheus_names.ts";
import { defineStats, DoubleStat, IntStat, metricFamilies, StatTree } from "@scales/core";
import { toPrometheusText } from "@scales/core/http";

const DISTRIBUTION: readonly string[] = ["", "_sum", "_count"];

describe("exposition names and their caches", () => {
  it("seriesNames gives a stem's series names, the same array each time", () => {
    const first = seriesNames("web_latency", DISTRIBUTION);
    assert.deepEqual(first, ["web_latency", "web_latency_sum", "web_latency_count"]);
    assert.equal(seriesNames("web_latency", DISTRIBUTION), first);
  });

  it("seriesNames keys by stem and suffix list: a renamed stat gets its new names", () => {
    assert.deepEqual(seriesNames("web_hits", ["_total"]), ["web_hits_total"]);
    assert.deepEqual(seriesNames("web_hits_2", ["_total"]), ["web_hits_2_total"]);
    assert.deepEqual(seriesNames("web_hits", ["_total", "_rate"]), [
      "web_hits_total",
      "web_hits_rate",
    ]);
  });

  it("seriesNames keeps at most SERIES_CACHE_LIMIT stems per suffix list, then starts over", () => {
    const suffixes: readonly string[] = ["_x"];
    const kept = seriesNames("stem_0", suffixes);
    for (let i = 1; i < SERIES_CACHE_LIMIT; i++) seriesNames(`stem_${i}`, suffixes);
    assert.equal(seriesNames("stem_0", suffixes), kept); // still cached: the cache is full, not over
    seriesNames("one_more", suffixes); // clears, then keeps only "one_more"
    const again = seriesNames("stem_0", suffixes);
    assert.notEqual(again, kept);
    assert.deepEqual(again, ["stem_0_x"]);
  });

  it("the model gives a container the same container array on every walk (what the name caches key by)", () => {
    const tree = new StatTree();
    tree.collection("/web/api", IntStat("calls"));
    const [first] = metricFamilies(tree);
    const [second] = metricFamilies(tree);
    assert.deepEqual(first.container, ["web", "api"]);
    assert.equal(second.container, first.container);
  });

  it("names follow the tree: a container released and made again with other stats is named afresh", () => {
    const tree = new StatTree();
    const a = {};
    tree.init(a, "/conn", defineStats(DoubleStat("bytesIn")));
    assert.equal(
      toPrometheusText(tree.root),
      "# HELP conn_bytes_in /conn/bytesIn (DoubleStat)\n# TYPE conn_bytes_in gauge\nconn_bytes_in 0\n",
    );
    tree.release(a);
    const b = {};
    tree.init(b, "/conn", defineStats(IntStat("bytesIn"), DoubleStat("9lives")));
    assert.equal(
      toPrometheusText(tree.root),
      "# HELP conn_bytes_in_total /conn/bytesIn (IntStat)\n# TYPE conn_bytes_in_total counter\n" +
        "conn_bytes_in_total 0\n" +
        "# HELP conn_9lives /conn/9lives (DoubleStat)\n# TYPE conn_9lives gauge\nconn_9lives 0\n",
    );
  });

  it("a name that two families would share still gets _2 on every exposition (the caches keep stems, not choices)", () => {
    const tree = new StatTree();
    tree.collection("/a", DoubleStat("b_c"));
    tree.collection("/a/b", DoubleStat("c"));
    const expected = "# HELP a_b_c /a/b_c (DoubleStat)\n# TYPE a_b_c gauge\na_b_c 0\n" +
      "# HELP a_b_c_2 /a/b/c (DoubleStat)\n# TYPE a_b_c_2 gauge\na_b_c_2 0\n";
    assert.equal(toPrometheusText(tree.root), expected);
    assert.equal(toPrometheusText(tree.root), expected);
  });

  it("an exposition that matches the last one for a while, then differs, still names every family once", () => {
    const tree = new StatTree();
    tree.collection("/a", DoubleStat("b_c"));
    assert.equal(
      toPrometheusText(tree.root),
      "# HELP a_b_c /a/b_c (DoubleStat)\n# TYPE a_b_c gauge\na_b_c 0\n",
    );
    tree.collection("/a/b", DoubleStat("c")); // the same first family, then one whose name it takes
    const expected = "# HELP a_b_c /a/b_c (DoubleStat)\n# TYPE a_b_c gauge\na_b_c 0\n" +
      "# HELP a_b_c_2 /a/b/c (DoubleStat)\n# TYPE a_b_c_2 gauge\na_b_c_2 0\n";
    assert.equal(toPrometheusText(tree.root), expected);
    // A subtree in between: its family comes first now, so it keeps the plain name.
    assert.equal(
      toPrometheusText(tree.findNode("/a/b")!),
      "# HELP a_b_c /a/b/c (DoubleStat)\n# TYPE a_b_c gauge\na_b_c 0\n",
    );
    assert.equal(toPrometheusText(tree.root), expected);
  });

  it("two expositions formatted at once each name their own families", () => {
    const first = metricFamilies({ a: { b: 1 }, a_b: 2 });
    const second = metricFamilies({ x: 1, x_2: 2, y: { z: 3 } });
    const once = new PrometheusNames();
    assert.deepEqual(first.map((f) => once.stem(f)), ["a_b", "a_b_2"]);
    const outer = new PrometheusNames(); // replays the exposition above
    assert.deepEqual(outer.stem(first[0]), "a_b");
    const inner = new PrometheusNames(); // differs from its first family on
    assert.deepEqual(second.map((f) => inner.stem(f)), ["x", "x_2", "y_z"]);
    assert.deepEqual(outer.stem(first[1]), "a_b_2");
    const after = new PrometheusNames(); // the newest record is the inner one's
    assert.deepEqual(first.map((f) => after.stem(f)), ["a_b", "a_b_2"]);
  });

  it("formatSampleValue spells every value as before, past its cache's bound too", () => {
    assert.deepEqual(
      [0.1, 1 / 3, 1e-7, 2.5e21, 7, -0, NaN, Infinity, -Infinity].map(formatSampleValue),
      ["0.1", "0.3333333333333333", "1e-7", "2.5e+21", "7", "0", "NaN", "+Inf", "-Inf"],
    );
    for (let i = 0; i <= SAMPLE_TEXT_LIMIT; i++) {
      const value = (i + 0.5) / 1024;
      assert.equal(formatSampleValue(value), String(value));
    }
    assert.equal(formatSampleValue(0.1), "0.1"); // the cache started over, the text is the same
  });

  it("more nodes exposed in turn than records kept: every exposition still names its families", () => {
    const tree = new StatTree();
    const nodes = RECORDS_LIMIT + 2;
    for (let i = 0; i < nodes; i++) {
      tree.collection(`/n${i}`, DoubleStat("x_y"));
      tree.collection(`/n${i}/x`, DoubleStat("y"));
    }
    const expected = (i: number) =>
      `# HELP n${i}_x_y /n${i}/x_y (DoubleStat)\n# TYPE n${i}_x_y gauge\nn${i}_x_y 0\n` +
      `# HELP n${i}_x_y_2 /n${i}/x/y (DoubleStat)\n# TYPE n${i}_x_y_2 gauge\nn${i}_x_y_2 0\n`;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < nodes; i++) {
        assert.equal(toPrometheusText(tree.findNode(`/n${i}`)!), expected(i));
      }
    }
  });
});
