/**
 * The request metrics as Prometheus sees them: `promtool check metrics`
 * accepts an instrumented Hono server's `/metrics`, and a real Prometheus
 * scraping it answers the per-route request rate.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { StatTree } from "@scales/core";
import { statsHandler, toNodeListener } from "@scales/core/http";
import { honoStats } from "@scales/core/instrument";
import { promtoolCheck } from "./_prometheus.ts";
import { decodeFamilies } from "./_prometheus_proto.ts";
import { PROMETHEUS, startPrometheus } from "./_prometheus_server.ts";
import { skipUnless } from "./_system.ts";

const skipPromtool = await skipUnless("/usr/bin/promtool");
const skipPrometheus = await skipUnless(PROMETHEUS);

function app(tree: StatTree): Hono {
  const metrics = statsHandler({ tree });
  const server = new Hono();
  server.use(honoStats({ tree }));
  server.get("/metrics", (c) => metrics(c.req.raw));
  server.get("/users/:id", (c) => c.text("user"));
  server.post("/items", (c) => c.json({ ok: true }, 201));
  server.get("/boom", () => {
    throw new Error("boom");
  });
  server.onError((_error, c) => c.text("failed", 500));
  return server;
}

describe("request metrics in Prometheus", () => {
  it("go out as native histograms in seconds when protobuf is asked for", async () => {
    const tree = new StatTree();
    const server = app(tree);
    await server.request("/users/1");
    await server.request("/users/2");
    const response = await server.request("/metrics", {
      headers: {
        accept: "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;" +
          "encoding=delimited",
      },
    });
    const family = decodeFamilies(new Uint8Array(await response.arrayBuffer()))
      .find((f) => f.name === "http_server_request_duration_seconds") as {
        type: number;
        metric: { histogram: { sampleCount: number; schema: number; sampleSum: number } }[];
      };
    assert.equal(family.type, 4); // HISTOGRAM
    const histogram = family.metric[0]!.histogram;
    assert.deepEqual([histogram.sampleCount, histogram.schema], [2, 6]);
    assert.ok(histogram.sampleSum < 1, `two local requests took ${histogram.sampleSum} s in all`);
  });

  it("pass promtool check metrics", { skip: skipPromtool }, async () => {
    const tree = new StatTree();
    const server = app(tree);
    await server.request("/users/1");
    await server.request("/items", {
      method: "POST",
      body: "{}",
      headers: { "content-length": "2" },
    });
    await server.request("/boom");
    await server.request("/nope");
    const text = await (await server.request("/metrics")).text();
    assert.match(
      text,
      /^http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/users\/:id",http_response_status_code="200"\} 1$/m,
    );
    assert.match(text, /^http_server_active_requests\{http_request_method="GET"\} 1$/m);
    assert.match(
      text,
      /^http_server_handler_errors_total\{http_request_method="GET",http_route="\/boom"\} 1$/m,
    );
    const { code, output } = await promtoolCheck(text);
    assert.equal(output, "");
    assert.equal(code, 0);
  });

  it("answer a real Prometheus's rate by route", { skip: skipPrometheus }, async () => {
    const tree = new StatTree();
    const server = app(tree);
    const listener = toNodeListener((request) => server.fetch(request));
    const http = createServer((incoming, outgoing) => void listener(incoming, outgoing));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const port = (http.address() as AddressInfo).port;
    const prometheus = await startPrometheus({ jobs: { hono: [`127.0.0.1:${port}`] } });
    let traffic = true;
    const load = (async () => {
      for (let i = 0; traffic && i < 2_000; i++) {
        await (await fetch(`http://127.0.0.1:${port}/users/${i}`)).text();
        await (await fetch(`http://127.0.0.1:${port}/items`, { method: "POST" })).text();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      const query = "sum by (http_route) (rate(http_server_request_duration_seconds_count[1m]))";
      const result = await prometheus.waitFor(
        query,
        (r) => r.length >= 2 && r.every((series) => Number(series.value[1]) > 0),
      );
      const routes = result.map((series) => series.metric.http_route).sort();
      assert.deepEqual(
        routes.filter((route) => route !== "/metrics"),
        ["/items", "/users/:id"],
        `Prometheus answered ${JSON.stringify(result)}; its log: ${prometheus.log()}`,
      );
      for (const series of result) assert.ok(Number(series.value[1]) > 0);
    } finally {
      traffic = false;
      await load;
      await prometheus.stop();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
