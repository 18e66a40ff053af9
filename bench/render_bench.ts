/**
 * Rendering a 10,000-stat tree (a realistic mix: counters, gauges, a string
 * gauge, a dict counter, a distribution and a meter per container, 1,000
 * containers) to JSON, HTML and Prometheus text, with prom-client's
 * `register.metrics()` on an equivalent registry as the peer.
 *
 * ```sh
 * deno bench -A bench/render_bench.ts
 * ```
 *
 * @module
 */

import { collection, findNode, getStats, reset } from "@scales/core";
import { statsHandler, toPrometheusText } from "@scales/core/http";
import client from "prom-client";
import { mulberry32 as random } from "../tests/_random.ts";
import { benchContainerStats } from "../tests/_big_tree.ts";

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
