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
import { StatTree } from "../mod.ts";
import { statsHandler } from "../http/mod.ts";
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

Deno.bench("scales honoStats /metrics", { group: "hono", baseline: true }, async () => {
  await (await honoScales.request("/metrics")).text();
});
Deno.bench("@hono/prometheus /metrics", { group: "hono" }, async () => {
  await (await honoPeer.request("/metrics")).text();
});
Deno.bench("scales expressStats /metrics", { group: "express", baseline: true }, async () => {
  await expressMetrics(new Request("http://localhost/metrics")).text();
});
Deno.bench("scales expressStats({ bodySizes: false }) /metrics", { group: "express" }, async () => {
  await expressNoSizesMetrics(new Request("http://localhost/metrics")).text();
});
Deno.bench("express-prom-bundle /metrics", { group: "express" }, async () => {
  await register.metrics(); // express-prom-bundle registers in prom-client's default registry
});
