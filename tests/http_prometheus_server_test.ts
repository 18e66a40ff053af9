/**
 * A real Prometheus server scrapes a viewer served by the library, and its
 * query API returns the values the stats hold.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { collection, IntDictStat, IntStat, PmfStat } from "@scales/core";
import { serveInBackground, type StatsServer } from "@scales/core/http";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { resetToEmptyTree } from "./_prometheus.ts";
import { freePort, removeDir, skipUnless, stopProcess, tempDir } from "./_system.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const skip = await skipUnless(PROMETHEUS);

const WAIT_MS = 45_000;

interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, promql: string): Promise<QueryResult[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`, {
    signal: AbortSignal.timeout(5_000),
  });
  const body = await response.json() as { status: string; data?: { result: QueryResult[] } };
  return body.status === "success" ? body.data?.result ?? [] : [];
}

/** Polls `promql` until `accept` holds or the wait runs out; returns the last result. */
async function waitFor(
  base: string,
  promql: string,
  accept: (result: QueryResult[]) => boolean,
): Promise<QueryResult[]> {
  const deadline = Date.now() + WAIT_MS;
  let last: QueryResult[] = [];
  while (Date.now() < deadline) {
    try {
      last = await query(base, promql);
      if (accept(last)) return last;
    } catch {
      // Not up yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return last;
}

describe("a real Prometheus server scraping the viewer", { skip }, () => {
  let viewer: StatsServer;
  let child: ChildProcess | undefined;
  let dir: string;
  let base: string;
  let log = "";

  before(async () => {
    resetToEmptyTree();
    const web = collection("/web", IntStat("errors"), IntDictStat("byPath"), PmfStat("latency"));
    web.errors = 42;
    web.byPath.inc('/say "hi"', 3);
    for (let i = 1; i <= 100; i++) web.latency.add(i);
    viewer = await serveInBackground(0, { serverName: "scraped" });
    dir = await tempDir("scales-prometheus-");
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await writeFile(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: scales",
        "    metrics_path: /metrics",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${viewer.addr.port}"]`,
        "",
      ].join("\n"),
    );
    child = spawn(PROMETHEUS, [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (chunk) => (log += chunk));
  });

  after(async () => {
    try {
      if (child !== undefined) await stopProcess(child);
    } finally {
      await viewer?.shutdown();
      if (dir !== undefined) await removeDir(dir);
    }
  });

  it("reads the counter's value through /api/v1/query", async () => {
    const result = await waitFor(base, "web_errors_total", (r) => r.length === 1);
    assert.equal(result.length, 1, `no series after ${WAIT_MS} ms; prometheus log:\n${log}`);
    assert.equal(result[0].value[1], "42");
    assert.equal(result[0].metric.job, "scales");
  });

  it("reads a dict entry by its escaped key label", async () => {
    const result = await waitFor(base, "web_by_path_total", (r) => r.length === 1);
    assert.equal(result.length, 1, log);
    assert.equal(result[0].metric.key, '/say "hi"');
    assert.equal(result[0].value[1], "3");
  });

  it("reads a summary's count and sum", async () => {
    const count = await waitFor(base, "web_latency_count", (r) => r.length === 1);
    assert.equal(count[0]?.value[1], "100", log);
    const sum = await waitFor(base, "web_latency_sum", (r) => r.length === 1);
    assert.equal(sum[0]?.value[1], "5050");
  });

  it("sees the scrape target as up", async () => {
    const result = await waitFor(
      base,
      'up{job="scales"}',
      (r) => r.length === 1 && r[0].value[1] === "1",
    );
    assert.equal(result[0]?.value[1], "1", log);
  });
});
