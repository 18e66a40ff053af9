/**
 * A real Prometheus server scrapes a viewer served by the library, and its
 * query API returns the values the stats hold.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { collection, IntDictStat, IntStat, PmfStat } from "@scales/core";
import { serveInBackground, type StatsServer } from "@scales/core/http";
import { resetToEmptyTree } from "./_prometheus.ts";
import {
  PROMETHEUS,
  type PrometheusServer,
  startPrometheus,
  WAIT_MS,
} from "./_prometheus_server.ts";
import { skipUnless } from "./_system.ts";

const skip = await skipUnless(PROMETHEUS);

describe("a real Prometheus server scraping the viewer", { skip }, () => {
  let viewer: StatsServer;
  let prometheus: PrometheusServer | undefined;
  const waitFor: PrometheusServer["waitFor"] = (promql, accept) =>
    prometheus!.waitFor(promql, accept);
  const log = () => prometheus?.log() ?? "";

  before(async () => {
    resetToEmptyTree();
    const web = collection("/web", IntStat("errors"), IntDictStat("byPath"), PmfStat("latency"));
    web.errors = 42;
    web.byPath.inc('/say "hi"', 3);
    for (let i = 1; i <= 100; i++) web.latency.add(i);
    viewer = await serveInBackground(0, { serverName: "scraped" });
    prometheus = await startPrometheus({ jobs: { scales: [`127.0.0.1:${viewer.addr.port}`] } });
  });

  after(async () => {
    try {
      await prometheus?.stop();
    } finally {
      await viewer?.shutdown();
    }
  });

  it("reads the counter's value through /api/v1/query", async () => {
    const result = await waitFor("web_errors_total", (r) => r.length === 1);
    assert.equal(result.length, 1, `no series after ${WAIT_MS} ms; prometheus log:\n${log()}`);
    assert.equal(result[0].value[1], "42");
    assert.equal(result[0].metric.job, "scales");
  });

  it("reads a dict entry by its escaped key label", async () => {
    const result = await waitFor("web_by_path_total", (r) => r.length === 1);
    assert.equal(result.length, 1, log());
    assert.equal(result[0].metric.key, '/say "hi"');
    assert.equal(result[0].value[1], "3");
  });

  it("reads a summary's count and sum", async () => {
    const count = await waitFor("web_latency_count", (r) => r.length === 1);
    assert.equal(count[0]?.value[1], "100", log());
    const sum = await waitFor("web_latency_sum", (r) => r.length === 1);
    assert.equal(sum[0]?.value[1], "5050");
  });

  it("sees the scrape target as up", async () => {
    const result = await waitFor(
      'up{job="scales"}',
      (r) => r.length === 1 && r[0].value[1] === "1",
    );
    assert.equal(result[0]?.value[1], "1", log());
  });
});
