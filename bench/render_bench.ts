/**
 * Rendering a 10,000-stat tree (a realistic mix: counters, gauges, a string
 * gauge, a dict counter, a distribution and a meter per container, 1,000
 * containers) to JSON, HTML, Prometheus text, OpenMetrics text and
 * Prometheus protobuf (native histograms), with prom-client's
 * `register.metrics()` on an equivalent registry as the peer; and the
 * hand-written protobuf encoder against protobufjs encoding the same
 * messages.
 *
 * ```sh
 * deno bench -A bench/render_bench.ts
 * deno run -A --v8-flags=--single-threaded bench/render_bench.ts cpu   # CPU time, busy machine
 * ```
 *
 * @module
 */

import { collection, findNode, getStats, metricFamilies, reset } from "@scales/core";
import {
  formatPrometheusProtobuf,
  statsHandler,
  toOpenMetricsText,
  toPrometheusProtobuf,
  toPrometheusText,
} from "@scales/core/http";
import process from "node:process";
import client from "prom-client";
import protobuf from "protobufjs";
import { mulberry32 as random } from "../tests/_random.ts";
import { benchContainerStats } from "../tests/_big_tree.ts";
import { decodeFamilies, MetricFamily } from "../tests/_prometheus_proto.ts";

const CONTAINERS = 1_000;
const STATUSES = ["200", "304", "404", "500"];
const SAMPLES = 100;

reset();
findNode("/")?.children.delete("scales"); // the library's own stats: not part of the 10,000
const registry = new client.Registry();
const next = random(42);
for (let i = 0; i < CONTAINERS; i++) {
  const path = `/service${i % 10}/handler${i}`;
  const prefix = `service${i % 10}_handler${i}`;
  const stats = collection(path, ...benchContainerStats());
  const requests = Math.floor(next() * 1e6);
  stats.requests = requests;
  stats.errors = Math.floor(requests / 100);
  stats.timeouts = 3;
  stats.retries = 7;
  stats.load = next();
  stats.queueDepth = Math.floor(next() * 50);
  const counter = (name: string, value: number) =>
    new client.Counter({
      name: `${prefix}_${name}_total`,
      help: `${path}/${name}`,
      registers: [registry],
    })
      .inc(value);
  const gauge = (name: string, value: number) =>
    new client.Gauge({ name: `${prefix}_${name}`, help: `${path}/${name}`, registers: [registry] })
      .set(value);
  counter("requests", stats.requests);
  counter("errors", stats.errors);
  counter("timeouts", 3);
  counter("retries", 7);
  gauge("load", stats.load);
  gauge("queue_depth", stats.queueDepth);
  const byStatus = new client.Counter({
    name: `${prefix}_by_status_total`,
    help: `${path}/byStatus`,
    labelNames: ["key"],
    registers: [registry],
  });
  for (const status of STATUSES) {
    const n = Math.floor(next() * 1000);
    stats.byStatus.inc(status, n);
    byStatus.inc({ key: status }, n);
  }
  const summary = new client.Summary({
    name: `${prefix}_latency`,
    help: `${path}/latency`,
    percentiles: [0.5, 0.75, 0.95, 0.98, 0.99, 0.999],
    registers: [registry],
  });
  for (let s = 0; s < SAMPLES; s++) {
    const ms = Math.exp(3 + next());
    stats.latency.add(ms);
    summary.observe(ms);
  }
  stats.hits.mark(requests);
  counter("hits", requests);
  const rate = new client.Gauge({
    name: `${prefix}_hits_rate`,
    help: `${path}/hits`,
    labelNames: ["window"],
    registers: [registry],
  });
  for (const window of ["1m", "5m", "15m", "mean"]) rate.set({ window }, next() * 100);
}

const root = findNode("/")!;
const handler = statsHandler();
const statCount = (() => {
  let n = 0;
  const visit = (node: typeof root) => {
    n += node.cells.size;
    for (const child of node.children.values()) visit(child);
  };
  visit(root);
  return n;
})();
if (statCount !== 10_000) throw new Error(`expected 10,000 stats, built ${statCount}`);

const page = await handler(new Request("http://localhost/status/")).text();
const json = await handler(new Request("http://localhost/status/?format=json")).text();
const bytes = (text: string) => new TextEncoder().encode(text).length;
console.log(
  `10,000 stats: HTML page ${bytes(page).toLocaleString("en")} bytes (target under 1,000,000), ` +
    `${(page.match(/data-value=/g) ?? []).length} value cells, ` +
    `${(page.match(/class="c lazy"/g) ?? []).length} containers left out; ` +
    `JSON ${bytes(json).toLocaleString("en")} bytes; ` +
    `?all page ${
      bytes(await handler(new Request("http://localhost/status/?all")).text()).toLocaleString("en")
    } bytes`,
);

Deno.bench("prom-client register.metrics()", { group: "prometheus", baseline: true }, async () => {
  await registry.metrics();
});

Deno.bench("scales toPrometheusText()", { group: "prometheus" }, () => {
  toPrometheusText(root);
});

Deno.bench("JSON.stringify(getStats())", { group: "formats" }, () => {
  JSON.stringify(getStats());
});

// The HTML page's target: within 3x the handler's JSON, in the same run.
Deno.bench("handler ?format=json", { group: "formats", baseline: true }, async () => {
  await handler(new Request("http://localhost/status/?format=json")).text();
});

Deno.bench("handler ?format=html", { group: "formats" }, async () => {
  await handler(new Request("http://localhost/status/")).text();
});

Deno.bench("handler ?format=html&all (no row budget)", { group: "formats" }, async () => {
  await handler(new Request("http://localhost/status/?all")).text();
});

Deno.bench("handler /metrics", { group: "formats" }, async () => {
  await handler(new Request("http://localhost/metrics")).text();
});

// What goes on the wire: the text as UTF-8 bytes, as a Response sends it.
const utf8 = new TextEncoder();
Deno.bench("scales toPrometheusText() as UTF-8 bytes", { group: "prometheus" }, () => {
  utf8.encode(toPrometheusText(root));
});

Deno.bench("scales toOpenMetricsText()", { group: "prometheus" }, () => {
  toOpenMetricsText(root);
});

Deno.bench("scales toPrometheusProtobuf() (native histograms)", { group: "prometheus" }, () => {
  toPrometheusProtobuf(root);
});

// The encoders alone, on the same messages: the model's families, encoded by
// hand, against protobufjs encoding the message objects decoded from them.
const families = metricFamilies(root);
const encoded = formatPrometheusProtobuf(families);
const messages = decodeFamilies(encoded).map((object) => MetricFamily.fromObject(object));
const encodedByProtobufjs = (() => {
  const writer = protobuf.Writer.create();
  for (const message of messages) MetricFamily.encodeDelimited(message, writer);
  return writer.finish();
})();
console.log(
  `protobuf exposition: ${families.length} families, ${encoded.length} bytes by hand, ` +
    `${encodedByProtobufjs.length} bytes by protobufjs; text: ${
      toPrometheusText(root).length
    } bytes`,
);

Deno.bench(
  "encode by hand (formatPrometheusProtobuf)",
  { group: "protobuf", baseline: true },
  () => {
    formatPrometheusProtobuf(families);
  },
);

Deno.bench("encode with protobufjs (prebuilt messages)", { group: "protobuf" }, () => {
  const writer = protobuf.Writer.create();
  for (const message of messages) MetricFamily.encodeDelimited(message, writer);
  writer.finish();
});

Deno.bench("handler /metrics, Accept: protobuf", { group: "formats" }, async () => {
  await handler(
    new Request("http://localhost/metrics", {
      headers: {
        accept:
          "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
      },
    }),
  ).arrayBuffer();
});

/**
 * With `cpu` as argument (under `deno run`): the expositions timed in CPU
 * time (user + system of the process), median and minimum of 30 rounds,
 * which a machine shared with other jobs disturbs far less than wall time.
 * Run it with V8's `--single-threaded`, so that the garbage collector's and
 * compiler's work, done on the main thread, is charged to the case that
 * caused it and not to whichever case runs while a helper thread works.
 */
async function cpuTimes(): Promise<void> {
  const accept =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
  const cases: Array<[string, () => unknown]> = [
    ["toPrometheusText()", () => toPrometheusText(root)],
    ["toPrometheusText() as UTF-8 bytes", () => utf8.encode(toPrometheusText(root))],
    ["toOpenMetricsText()", () => toOpenMetricsText(root)],
    ["toPrometheusProtobuf()", () => toPrometheusProtobuf(root)],
    [
      "handler /metrics (text), bytes",
      () => handler(new Request("http://x/metrics")).arrayBuffer(),
    ],
    [
      "handler /metrics (protobuf), bytes",
      () => handler(new Request("http://x/metrics", { headers: { accept } })).arrayBuffer(),
    ],
    [
      "handler ?format=json, text",
      () => handler(new Request("http://x/status/?format=json")).text(),
    ],
    ["handler HTML page, text", () => handler(new Request("http://x/status/")).text()],
    ["encode by hand (formatPrometheusProtobuf)", () => formatPrometheusProtobuf(families)],
    ["protobufjs: encode prebuilt messages", () => {
      const writer = protobuf.Writer.create();
      for (const message of messages) MetricFamily.encodeDelimited(message, writer);
      return writer.finish();
    }],
    ["protobufjs: fromObject + encode", () => {
      const writer = protobuf.Writer.create();
      for (const object of objects) {
        MetricFamily.encodeDelimited(MetricFamily.fromObject(object), writer);
      }
      return writer.finish();
    }],
  ];
  const objects = decodeFamilies(encoded);
  const times = new Map<string, number[]>();
  for (let round = 0; round < 30; round++) {
    for (const [name, run] of cases) {
      const start = process.cpuUsage();
      await run();
      const used = process.cpuUsage(start);
      times.set(name, [...(times.get(name) ?? []), (used.user + used.system) / 1000]);
    }
  }
  for (const [name, list] of times) {
    list.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(44)} median ${list[15].toFixed(1).padStart(6)} ms, min ${
        list[0].toFixed(1).padStart(6)
      } ms`,
    );
  }
  const median = (name: string) => times.get(name)![15];
  console.log(
    `HTML page / JSON (target at most 3): ${
      (median("handler HTML page, text") / median("handler ?format=json, text")).toFixed(2)
    }`,
  );
}

if (Deno.args[0] === "cpu") await cpuTimes();
