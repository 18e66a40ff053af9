/**
 * How long a `/metrics` answer takes after 10,000 requests over 100 route
 * templates, scales against the peers, in one process (no HTTP round trip
 * in the timing, so the shared machine's scheduling adds less noise):
 *
 * - Hono: `honoStats()` + `statsHandler` vs `@hono/prometheus`'s
 *   `printMetrics`, both answered through `app.request("/metrics")`; the
 *   10,000 requests also go through `app.request`.
 * - Express 5: `expressStats()` (with and without body sizes) + `statsHandler` vs `express-prom-bundle`'s
 *   registry (`promClient.register.metrics()`, what its `/metrics` serves);
 *   the 10,000 requests go through real Express servers on loopback.
 *
 * ```sh
 * deno bench -A bench/metrics_answer_bench.ts
 * deno run -A --v8-flags=--single-threaded bench/metrics_answer_bench.ts cpu   # CPU time, busy machine
 * ```
 *
 * @module
 */

import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { prometheus } from "@hono/prometheus";
import express from "express";
import promBundle from "express-prom-bundle";
import { register } from "prom-client";
import process from "node:process";
import { StatTree } from "../mod.ts";
import { renderExposition, statsHandler } from "../http/mod.ts";
import { expressStats, honoStats } from "../instrument/mod.ts";

const ROUTES = 100;
const REQUESTS = 10_000;

function honoApp(kind: "scales" | "peer", tree: StatTree): Hono {
  const app = new Hono();
  if (kind === "scales") {
    const metrics = statsHandler({ tree });
    app.use(honoStats({ tree }));
    app.get("/metrics", (c) => metrics(c.req.raw));
  } else {
    const { printMetrics, registerMetrics } = prometheus();
    app.use("*", registerMetrics);
    app.get("/metrics", printMetrics);
  }
  for (let i = 0; i < ROUTES; i++) app.get(`/r${i}/:id`, (c) => c.text("hello"));
  return app;
}

async function fillHono(app: Hono): Promise<void> {
  for (let i = 0; i < REQUESTS; i++) await (await app.request(`/r${i % ROUTES}/${i}`)).text();
}

async function fillExpress(
  kind: "scales" | "scales-no-sizes" | "peer",
  tree: StatTree,
): Promise<void> {
  const app = express();
  if (kind === "scales") app.use(expressStats({ tree }));
  else if (kind === "scales-no-sizes") app.use(expressStats({ tree, bodySizes: false }));
  else app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
  for (let i = 0; i < ROUTES; i++) app.get(`/r${i}/:id`, (_req, res) => void res.send("hello"));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (let i = 0; i < REQUESTS; i += 50) {
    await Promise.all(
      Array.from(
        { length: 50 },
        (_, j) => fetch(`${url}/r${(i + j) % ROUTES}/${i + j}`).then((r) => r.arrayBuffer()),
      ),
    );
  }
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const honoTree = new StatTree();
const honoScales = honoApp("scales", honoTree);
const honoPeer = honoApp("peer", new StatTree());
await fillHono(honoScales);
await fillHono(honoPeer);

const expressTree = new StatTree();
await fillExpress("scales", expressTree);
await fillExpress("peer", new StatTree());
const expressMetrics = statsHandler({ tree: expressTree });
const expressNoSizesTree = new StatTree();
await fillExpress("scales-no-sizes", expressNoSizesTree);
const expressNoSizesMetrics = statsHandler({ tree: expressNoSizesTree });

/** The headers the viewer's `/metrics` answer carries, for the like-for-like rows. */
const PEER_HEADERS = {
  "content-type": "text/plain; version=0.0.4; charset=utf-8",
  "cache-control": "no-store",
  "vary": "Accept",
};

const answers: Array<[string, string, () => Promise<void>]> = [
  ["hono", "scales honoStats /metrics", async () => {
    await (await honoScales.request("/metrics")).text();
  }],
  ["hono", "@hono/prometheus /metrics", async () => {
    await (await honoPeer.request("/metrics")).text();
  }],
  ["express", "scales expressStats /metrics", async () => {
    await expressMetrics(new Request("http://localhost/metrics")).text();
  }],
  ["express", "scales expressStats({ bodySizes: false }) /metrics", async () => {
    await expressNoSizesMetrics(new Request("http://localhost/metrics")).text();
  }],
  ["express", "express-prom-bundle /metrics", async () => {
    await register.metrics(); // express-prom-bundle registers in prom-client's default registry
  }],
  // Like for like: each side's string-producing function, and each side's
  // string in the same Response (the viewer's headers) read back as text.
  ["express", "scales string: renderExposition(root).body", () => {
    void renderExposition(expressTree.root, "prometheus").body;
    return Promise.resolve();
  }],
  ["express", "express-prom-bundle string: register.metrics()", async () => {
    await register.metrics();
  }],
  ["express", "scales string in a Response, .text()", async () => {
    await new Response(renderExposition(expressTree.root, "prometheus").body, {
      headers: PEER_HEADERS,
    }).text();
  }],
  ["express", "express-prom-bundle string in a Response, .text()", async () => {
    await new Response(await register.metrics(), { headers: PEER_HEADERS }).text();
  }],
];

if (Deno.args[0] === "cpu") {
  // CPU time (user + system) of each answer, median and minimum of 30 rounds,
  // interleaved; with --single-threaded the garbage collector's work is
  // charged to the case that made the garbage.
  const ours = renderExposition(expressTree.root, "prometheus").body as string;
  console.log(
    `text sizes: scales expressStats ${ours.length} chars, express-prom-bundle ${
      (await register.metrics()).length
    } chars`,
  );
  const times = new Map<string, number[]>();
  for (const [, , answer] of answers) await answer(); // warm up
  for (let round = 0; round < 30; round++) {
    for (const [, name, answer] of answers) {
      const start = process.cpuUsage();
      await answer();
      const used = process.cpuUsage(start);
      times.set(name, [...(times.get(name) ?? []), (used.user + used.system) / 1000]);
    }
  }
  for (const [name, list] of times) {
    list.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(52)} median ${list[15]!.toFixed(2).padStart(6)} ms, min ${
        list[0]!.toFixed(2).padStart(6)
      } ms`,
    );
  }
  Deno.exit(0);
}

for (const [group, name, answer] of answers) {
  Deno.bench(
    name,
    { group, baseline: name.startsWith("scales") && !name.includes("bodySizes") },
    answer,
  );
}
