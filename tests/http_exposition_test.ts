import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  DoubleStat,
  type ExponentialHistogramData,
  findNode,
  IntStat,
  metricFamilies,
  PmfStat,
  setLogger,
  STAT_KINDS,
  type StatKind,
  withMetricName,
} from "@scales/core";
import {
  formatOpenMetricsText,
  formatPrometheusProtobuf,
  formatPrometheusText,
  negotiateExposition,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  PROMETHEUS_PROTOBUF_CONTENT_TYPE,
  statsHandler,
  toOpenMetricsText,
  toPrometheusProtobuf,
} from "@scales/core/http";
import { formatFamilies } from "../graphite/_format.ts";
import {
  FixedStat,
  HISTOGRAM,
  METER_SNAPSHOT,
  PMF_SNAPSHOT,
  promtoolCheck,
  resetToEmptyTree,
  skipUnless,
} from "./_prometheus.ts";
import { decodeFamilies } from "./_prometheus_proto.ts";

beforeEach(() => resetToEmptyTree());

const skip = await skipUnless("/usr/bin/promtool");

const NATIVE_ACCEPT =
  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7," +
  "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4," +
  "text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
const DEFAULT_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75," +
  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

describe("negotiateExposition", () => {
  const cases: Array<[string | null, string]> = [
    [NATIVE_ACCEPT, "protobuf"],
    [DEFAULT_ACCEPT, "openmetrics"],
    ["application/openmetrics-text", "openmetrics"],
    ["text/plain;version=0.0.4", "prometheus"],
    ["*/*", "prometheus"],
    [null, "prometheus"],
    ["", "prometheus"],
    ["application/json", "prometheus"],
    ["application/vnd.google.protobuf", "prometheus"],
    [
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
      "prometheus",
    ],
    ["application/openmetrics-text;version=0.0.1", "prometheus"],
    ["application/openmetrics-text;q=0.2, text/plain;q=0.9", "prometheus"],
    ["text/plain, application/openmetrics-text", "prometheus"],
    ["application/openmetrics-text;q=0", "prometheus"],
    [
      'application/vnd.google.protobuf; proto="io.prometheus.client.MetricFamily"; encoding=delimited',
      "protobuf",
    ],
  ];
  for (const [accept, format] of cases) {
    it(`answers ${format} to ${JSON.stringify(accept)}`, () => {
      assert.equal(negotiateExposition(accept), format);
    });
  }
});

describe("/metrics content negotiation", () => {
  function get(url: string, accept?: string): Response {
    const headers: Record<string, string> = accept === undefined ? {} : { accept };
    return statsHandler()(new Request(url, { headers }));
  }

  beforeEach(() => void (collection("/web", IntStat("errors")).errors = 3));

  it("answers Prometheus text 0.0.4 by default, varying by Accept", async () => {
    const response = get("http://localhost/metrics");
    assert.equal(response.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
    assert.equal(response.headers.get("vary"), "Accept");
    assert.match(await response.text(), /^web_errors_total 3$/m);
  });

  it("answers OpenMetrics to Prometheus' default Accept", async () => {
    const response = get("http://localhost/metrics", DEFAULT_ACCEPT);
    assert.equal(response.headers.get("content-type"), OPENMETRICS_CONTENT_TYPE);
    assert.match(await response.text(), /^web_errors_total 3\n# EOF\n$/m);
  });

  it("answers delimited protobuf to a scraper with native histograms", async () => {
    const response = get("http://localhost/metrics", NATIVE_ACCEPT);
    assert.equal(response.headers.get("content-type"), PROMETHEUS_PROTOBUF_CONTENT_TYPE);
    const families = decodeFamilies(new Uint8Array(await response.arrayBuffer()));
    assert.deepEqual(families, [{
      name: "web_errors_total",
      help: "/web/errors (IntStat)",
      metric: [{ counter: { value: 3 } }],
    }]);
  });

  it("negotiates ?format=prometheus with a query the same way", async () => {
    collection("/db", IntStat("errors"));
    const response = get("http://localhost/status/?format=prometheus&query=web", NATIVE_ACCEPT);
    const families = decodeFamilies(new Uint8Array(await response.arrayBuffer()));
    assert.deepEqual(families.map((f) => f.name), ["web_errors_total"]);
  });

  it("sends HEAD with the negotiated type and no body", async () => {
    const response = statsHandler()(
      new Request("http://localhost/metrics", {
        method: "HEAD",
        headers: { accept: NATIVE_ACCEPT },
      }),
    );
    assert.equal(response.headers.get("content-type"), PROMETHEUS_PROTOBUF_CONTENT_TYPE);
    assert.equal(await response.text(), "");
  });
});

describe("toOpenMetricsText", () => {
  it("writes TYPE, UNIT and HELP, counters named without _total, and # EOF", () => {
    collection(
      "/p",
      withMetricName(IntStat("cpu"), "process_cpu_user_seconds_total"),
      DoubleStat("heapBytes", 5),
    ).cpu = 2;
    assert.equal(
      toOpenMetricsText(findNode("/")!),
      "# TYPE process_cpu_user_seconds counter\n# UNIT process_cpu_user_seconds seconds\n" +
        "# HELP process_cpu_user_seconds /p/cpu (IntStat)\nprocess_cpu_user_seconds_total 2\n" +
        "# TYPE p_heap_bytes gauge\n# UNIT p_heap_bytes bytes\n# HELP p_heap_bytes /p/heapBytes (DoubleStat)\n" +
        "p_heap_bytes 5\n# EOF\n",
    );
  });

  it("writes a distribution as a summary and a meter as a counter and a rate gauge", () => {
    collection(
      "/web",
      FixedStat("latency", "PmfStat", "pmf", PMF_SNAPSHOT),
      FixedStat("hits", "MeterStat", "meter", METER_SNAPSHOT),
    );
    assert.equal(
      toOpenMetricsText(findNode("/")!),
      "# TYPE web_latency summary\n# HELP web_latency /web/latency (PmfStat)\n" +
        'web_latency{quantile="0.5"} 12\nweb_latency{quantile="0.75"} 20\n' +
        'web_latency{quantile="0.95"} 30\nweb_latency{quantile="0.98"} 35\n' +
        'web_latency{quantile="0.99"} 38\nweb_latency{quantile="0.999"} 40\n' +
        "web_latency_sum 150\nweb_latency_count 10\n" +
        "# TYPE web_hits counter\n# HELP web_hits /web/hits (MeterStat), events\nweb_hits_total 42\n" +
        "# TYPE web_hits_rate gauge\n# HELP web_hits_rate /web/hits (MeterStat), events per second\n" +
        'web_hits_rate{window="1m"} 1.5\nweb_hits_rate{window="5m"} 1.25\n' +
        'web_hits_rate{window="15m"} 1\nweb_hits_rate{window="mean"} 2\n# EOF\n',
    );
  });

  it("escapes quotes in HELP, and leaves out a stat that fails to read (no comments allowed)", () => {
    const previous = setLogger(() => {});
    try {
      collection('/say "hi"', IntStat("n"), FixedStat("bad", "Stat", "gauge", new Error("boom")));
      assert.equal(
        toOpenMetricsText(findNode("/")!),
        '# TYPE say__hi__n counter\n# HELP say__hi__n /say \\"hi\\"/n (IntStat)\nsay__hi__n_total 0\n' +
          // The failed read is counted (the counter appears with it).
          "# TYPE scales_read_errors counter\n# HELP scales_read_errors /scales/readErrors (IntStat)\n" +
          "scales_read_errors_total 1\n# EOF\n",
      );
    } finally {
      setLogger(previous);
    }
  });

  it("gives a unit only to a family whose name still ends with it", () => {
    collection("/a", DoubleStat("sizeBytes"), DoubleStat("size_bytes"));
    const text = toOpenMetricsText(findNode("/")!);
    assert.deepEqual(text.split("\n").filter((l) => l.startsWith("# UNIT")), [
      "# UNIT a_size_bytes bytes",
    ]);
  });

  it("parses with promtool, which lints it as 0.0.4 text", { skip }, async () => {
    collection("/web", IntStat("errors"), DoubleStat("loadRatio"));
    collection("/web", FixedStat("latency", "PmfStat", "pmf", PMF_SNAPSHOT));
    const { code, output } = await promtoolCheck(toOpenMetricsText(findNode("/")!));
    // A parse error would say so; the only findings are 0.0.4's lint of the
    // OpenMetrics counter naming (HELP is on the family, not on `_total`).
    assert.equal(output, "web_errors_total no help text\n");
    assert.equal(code, 3);
  });
});

/** Decodes the protobuf exposition of the whole tree. */
function decoded(): Record<string, unknown>[] {
  return decodeFamilies(toPrometheusProtobuf(findNode("/")!));
}

function histogramOf(data: ExponentialHistogramData): Record<string, unknown> {
  collection("/h", FixedStat("d", "PmfStat", "pmf", PMF_SNAPSHOT, data));
  const [family] = decoded();
  assert.equal(family.type, 4); // HISTOGRAM
  return (family.metric as Array<{ histogram: Record<string, unknown> }>)[0].histogram;
}

function data(overrides: Partial<ExponentialHistogramData>): ExponentialHistogramData {
  return {
    scale: 6,
    zeroThreshold: 0,
    zeroCount: 0,
    positive: { offset: 0, counts: [] },
    negative: { offset: 0, counts: [] },
    count: 0,
    sum: 0,
    min: NaN,
    max: NaN,
    ...overrides,
  };
}

describe("toPrometheusProtobuf", () => {
  it("encodes counters, gauges and dicts with their labels", () => {
    const stats = collection("/web", IntStat("errors"), DoubleStat("load", 0.5));
    stats.errors = 4;
    collection(
      "/web",
      FixedStat("state", "HistogramAggregationStat", "gaugeDict", { "naïve ☃": 2 }),
    );
    assert.deepEqual(decoded(), [
      {
        name: "web_errors_total",
        help: "/web/errors (IntStat)",
        metric: [{ counter: { value: 4 } }],
      },
      {
        name: "web_load",
        help: "/web/load (DoubleStat)",
        type: 1,
        metric: [{ gauge: { value: 0.5 } }],
      },
      {
        name: "web_state",
        help: "/web/state (HistogramAggregationStat)",
        type: 1,
        metric: [{ label: [{ name: "key", value: "naïve ☃" }], gauge: { value: 2 } }],
      },
    ]);
  });

  it("encodes a meter as a counter family and a rate gauge family with window labels", () => {
    collection("/web", FixedStat("hits", "MeterStat", "meter", METER_SNAPSHOT));
    const [total, rate] = decoded();
    assert.deepEqual(total, {
      name: "web_hits_total",
      help: "/web/hits (MeterStat), events",
      metric: [{ counter: { value: 42 } }],
    });
    assert.deepEqual(
      (rate.metric as Array<{ label: unknown; gauge: unknown }>).map((m) => [m.label, m.gauge]),
      [
        [[{ name: "window", value: "1m" }], { value: 1.5 }],
        [[{ name: "window", value: "5m" }], { value: 1.25 }],
        [[{ name: "window", value: "15m" }], { value: 1 }],
        [[{ name: "window", value: "mean" }], { value: 2 }],
      ],
    );
  });

  it("encodes a distribution without buckets as a summary with its quantiles", () => {
    collection("/web", FixedStat("latency", "PmfStat", "pmf", PMF_SNAPSHOT));
    const [family] = decoded();
    assert.equal(family.type, 2); // SUMMARY
    const summary = (family.metric as Array<{ summary: Record<string, unknown> }>)[0].summary;
    assert.deepEqual(summary.sampleCount, 10);
    assert.deepEqual(summary.sampleSum, 150);
    assert.deepEqual((summary.quantile as unknown[])[4], { quantile: 0.99, value: 38 });
  });

  it("encodes buckets as a native histogram: spans shifted by one, delta-encoded counts", () => {
    assert.deepEqual(histogramOf(HISTOGRAM), {
      sampleCount: 5,
      sampleSum: 9,
      schema: 3,
      zeroThreshold: 2 ** -128,
      zeroCount: 1,
      // OpenTelemetry buckets -1, 7 and 15 are Prometheus' 0, 8 and 16.
      positiveSpan: [{ length: 1 }, { offset: 7, length: 1 }, { offset: 7, length: 1 }],
      positiveDelta: [1, 1, -1],
    });
  });

  it("keeps up to two empty buckets inside a span and starts a new span after more", () => {
    const h = histogramOf(data({
      positive: { offset: 10, counts: [3, 0, 0, 5, 0, 0, 0, 1] },
      count: 9,
      sum: 9,
    }));
    assert.deepEqual(h.positiveSpan, [{ offset: 11, length: 4 }, { offset: 3, length: 1 }]);
    assert.deepEqual(h.positiveDelta, [3, -3, 0, 5, -4]);
  });

  it("encodes negative buckets by magnitude, and keeps the zero threshold given", () => {
    const h = histogramOf(data({
      zeroThreshold: 1e-9,
      zeroCount: 2,
      negative: { offset: -3, counts: [4, 1] },
      count: 7,
      sum: -5,
    }));
    assert.deepEqual(
      [h.zeroThreshold, h.zeroCount, h.negativeSpan, h.negativeDelta, h.positiveSpan],
      [1e-9, 2, [{ offset: -2, length: 2 }], [4, -3], undefined],
    );
  });

  it("merges buckets exactly down to schema 8 for a finer scale", () => {
    // At scale 10, buckets 0..3 are bucket 0 at scale 8, and 4 is bucket 1.
    const h = histogramOf(data({
      scale: 10,
      positive: { offset: 0, counts: [1, 2, 3, 4, 5] },
      count: 15,
      sum: 15,
    }));
    assert.deepEqual([h.schema, h.positiveSpan, h.positiveDelta], [8, [{ offset: 1, length: 2 }], [
      10,
      -5,
    ]]);
  });

  it("marks an empty histogram native with the smallest positive zero threshold", () => {
    const h = histogramOf(data({}));
    assert.deepEqual(h, { schema: 6, zeroThreshold: 2 ** -128 });
  });

  it("falls back to a summary for a scale Prometheus cannot take", () => {
    collection("/h", FixedStat("d", "PmfStat", "pmf", PMF_SNAPSHOT, data({ scale: -5 })));
    assert.equal(decoded()[0].type, 2);
  });

  it("encodes the all-time buckets of a real PmfStat, their count and sum equal to the summary's", () => {
    const latency = collection("/web", PmfStat("latency")).latency;
    for (let i = 1; i <= 1000; i++) latency.add(i);
    const h = (decoded()[0].metric as Array<{ histogram: Record<string, unknown> }>)[0].histogram;
    const text = formatPrometheusText(metricFamilies(findNode("/")!));
    assert.match(text, new RegExp(`^web_latency_count ${h.sampleCount}$`, "m"));
    assert.match(text, new RegExp(`^web_latency_sum ${h.sampleSum}$`, "m"));
    const deltas = h.positiveDelta as number[];
    let running = 0;
    let total = 0;
    for (const delta of deltas) total += running += delta;
    assert.equal(total, 1000);
  });

  it("writes lengths past 127 bytes as multi-byte varints", () => {
    const long = "x".repeat(300);
    collection("/web", FixedStat("byKey", "IntDictStat", "counterDict", { [long]: 1 }));
    const [family] = decoded();
    assert.deepEqual(family.metric, [{
      label: [{ name: "key", value: long }],
      counter: { value: 1 },
    }]);
  });
});

/** What each format must show of a stat of each kind, by name: a type error when a kind is added. */
const EVERY_KIND: Record<StatKind, { value: unknown; inPrometheus: boolean }> = {
  counter: { value: 1, inPrometheus: true },
  gauge: { value: 2, inPrometheus: true },
  sum: { value: 3, inPrometheus: true },
  counterDict: { value: { a: 4 }, inPrometheus: true },
  gaugeDict: { value: { a: 5 }, inPrometheus: true },
  stringDict: { value: { a: "text" }, inPrometheus: false },
  pmf: { value: PMF_SNAPSHOT, inPrometheus: true },
  meter: { value: METER_SNAPSHOT, inPrometheus: true },
  pmfDict: { value: { a: PMF_SNAPSHOT }, inPrometheus: true },
  meterDict: { value: { a: METER_SNAPSHOT }, inPrometheus: true },
};

describe("every format covers every stat kind", () => {
  function build(): void {
    const specs = STAT_KINDS.map((kind) =>
      FixedStat(`s${kind}`, kind, kind, EVERY_KIND[kind].value as never)
    );
    collection("/k", ...specs);
  }

  it("lists every StatKind once", () => {
    assert.deepEqual([...STAT_KINDS].sort(), Object.keys(EVERY_KIND).sort());
  });

  const formats: Array<[string, () => string]> = [
    ["Prometheus text", () => formatPrometheusText(metricFamilies(findNode("/")!))],
    ["OpenMetrics", () => formatOpenMetricsText(metricFamilies(findNode("/")!))],
    [
      "Prometheus protobuf",
      () => new TextDecoder().decode(formatPrometheusProtobuf(metricFamilies(findNode("/")!))),
    ],
  ];
  for (const [format, render] of formats) {
    it(`${format} exports each kind with a number, and no other`, () => {
      build();
      const output = render();
      for (const kind of STAT_KINDS) {
        const name = `k_s${kind.replace(/([A-Z])/g, "_$1").toLowerCase()}`;
        assert.equal(output.includes(name), EVERY_KIND[kind].inPrometheus, `${format}: ${kind}`);
      }
    });
  }

  it("Graphite pushes each kind with a number and counts the text as skipped", () => {
    build();
    const { text, skipped } = formatFamilies(metricFamilies(findNode("/")!), "", 0);
    for (const kind of STAT_KINDS) {
      assert.equal(text.includes(`k.s${kind}`), EVERY_KIND[kind].inPrometheus, kind);
    }
    assert.equal(skipped, 1);
  });
});
