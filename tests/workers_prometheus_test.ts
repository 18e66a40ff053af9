// A real Prometheus scrapes a `deno serve --parallel` server (2 workers,
// joined) every second for a minute under steady load: no counter resets,
// and increase() over the minute matches the requests sent. Deno only
// (listed in scripts/node_tests.ts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { freePort, removeDir, skipUnless, stopProcess, tempDir } from "./_system.ts";
import { killServer, mergedJson, rawGet, waitFor } from "./_workers.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno === "object";
const skip = !IS_DENO ? "Deno only" : await skipUnless(PROMETHEUS);
const APP = fileURLToPath(new URL("./workers_apps/deno_serve_app.ts", import.meta.url));
const RUN_MS = 70_000;
const EVERY_MS = 50;

async function query(base: string, promql: string, time: number): Promise<number | undefined> {
  const response = await fetch(
    `${base}/api/v1/query?query=${encodeURIComponent(promql)}&time=${time / 1000}`,
    { signal: AbortSignal.timeout(5_000) },
  );
  const body = await response.json() as {
    data?: { result: Array<{ value: [number, string] }> };
  };
  const value = body.data?.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

describe("a real Prometheus scraping a deno serve --parallel server", { skip }, () => {
  let server: ChildProcess;
  let prometheus: ChildProcess;
  let dir: string;
  let app: number;
  let base: string;
  let log = "";

  before(async () => {
    dir = await tempDir("scales-workers-prometheus-");
    app = await freePort();
    const stats = await freePort();
    server = spawn(process.execPath, ["serve", "--parallel", "-A", `--port=${app}`, APP], {
      env: { ...process.env, DENO_JOBS: "2", STATS_PORT: String(stats) },
      stdio: "ignore",
    });
    await waitFor(app, "/?v=0");
    const until = Date.now() + 20_000;
    while ((await mergedJson(stats)).scales.workers.live < 2 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await writeFile(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        "  - job_name: workers",
        "    metrics_path: /metrics",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${stats}"]`,
        "",
      ].join("\n"),
    );
    prometheus = spawn(PROMETHEUS, [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ], { stdio: ["ignore", "ignore", "pipe"] });
    prometheus.stderr?.on("data", (chunk) => (log += chunk));
  });

  after(async () => {
    if (prometheus !== undefined) await stopProcess(prometheus);
    if (server !== undefined) await killServer(server);
    if (dir !== undefined) await removeDir(dir);
  });

  it("sees no resets and an increase within 1% of the requests sent over a minute", async () => {
    const sent: number[] = [];
    let failed = 0;
    const started = Date.now();
    let next = started;
    while (Date.now() - started < RUN_MS) {
      next += EVERY_MS;
      // A request counts when the server has answered it (it counted before answering).
      rawGet(app, "/?v=5").then(() => sent.push(Date.now()), () => failed++);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(failed, 0, "every request was answered");
    const at = Date.now() - 3_000; // a moment every scrape up to it has landed
    const inWindow = sent.filter((t) => t > at - 60_000 && t <= at).length;
    const resets = await query(base, "resets(web_requests_total[1m])", at);
    const increase = await query(base, "increase(web_requests_total[1m])", at);
    assert.equal(resets, 0, log);
    assert.ok(increase !== undefined, `no increase() result; prometheus log:\n${log}`);
    assert.ok(
      Math.abs(increase - inWindow) <= inWindow * 0.01,
      `increase ${increase} vs ${inWindow} requests answered in the minute; scrapes: ${await query(
        base,
        "count_over_time(up[1m])",
        at,
      )}`,
    );
  });
});
