/**
 * A real Prometheus server for the scrape tests: started on a free port with
 * a 1 s scrape interval over the given targets, queried through its HTTP
 * API, stopped and its data removed at the end.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, removeDir, stopProcess, tempDir } from "./_system.ts";

/** Where Debian installs it. */
export const PROMETHEUS = "/usr/bin/prometheus";

/** How long a query waits for the scrapes to show what it expects. */
export const WAIT_MS = 45_000;

/** One series of an instant query's result. */
export interface QueryResult {
  /** The series' labels. */
  metric: Record<string, string>;
  /** `[time, value]`: a float sample's value as Prometheus prints it. */
  value: [number, string];
}

/** A running Prometheus. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Its standard error so far, for failure messages. */
  log(): string;
  /** Runs an instant query; `[]` on any error. */
  query(promql: string): Promise<QueryResult[]>;
  /** Polls `promql` until `accept` holds or {@linkcode WAIT_MS} runs out; returns the last result. */
  waitFor(promql: string, accept: (result: QueryResult[]) => boolean): Promise<QueryResult[]>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startPrometheus}. */
export interface PrometheusOptions {
  /** Scrape jobs: job name to `host:port` targets. */
  readonly jobs: Readonly<Record<string, readonly string[]>>;
  /** `--enable-feature=` values, such as `native-histograms`. */
  readonly features?: readonly string[];
}

/** Starts Prometheus scraping `/metrics` of each target every second. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = await tempDir("scales-prometheus-");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const lines = [
    "global:",
    "  scrape_interval: 1s",
    "  scrape_timeout: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
  ];
  for (const [job, targets] of Object.entries(options.jobs)) {
    lines.push(
      `  - job_name: ${job}`,
      "    metrics_path: /metrics",
      "    static_configs:",
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
    );
  }
  await writeFile(join(dir, "prometheus.yml"), lines.join("\n") + "\n");
  const features = options.features ?? [];
  const child: ChildProcess = spawn(PROMETHEUS, [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
    ...(features.length > 0 ? [`--enable-feature=${features.join(",")}`] : []),
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk) => (log += chunk));

  async function query(promql: string): Promise<QueryResult[]> {
    try {
      const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`, {
        signal: AbortSignal.timeout(5_000),
      });
      const body = await response.json() as { status: string; data?: { result: QueryResult[] } };
      return body.status === "success" ? body.data?.result ?? [] : [];
    } catch {
      return []; // not up yet
    }
  }

  return {
    base,
    log: () => log,
    query,
    async waitFor(promql, accept) {
      const deadline = Date.now() + WAIT_MS;
      let last: QueryResult[] = [];
      while (Date.now() < deadline) {
        last = await query(promql);
        if (accept(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return last;
    },
    async stop() {
      try {
        await stopProcess(child);
      } finally {
        await removeDir(dir);
      }
    },
  };
}
