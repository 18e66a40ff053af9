/**
 * The viewer demo: a small simulated server whose stats change all the
 * time, with the runtime stats on (`/process`), served by the stats viewer.
 * Open the printed URL: the charts start from the server's history (5 s samples,
 * kept 15 minutes) and auto-refresh extends them.
 *
 * ```sh
 * deno task serve-stats            # http://127.0.0.1:8765/status/
 * deno task serve-stats --port 9000
 * ```
 *
 * @module
 */

import {
  collection,
  collectRuntimeStats,
  defineStats,
  HistogramAggregationStat,
  init,
  initChild,
  IntDictStat,
  IntDictSumAggregationStat,
  IntStat,
  MeterDictStat,
  MeterStat,
  NamedPmfDictStat,
  PmfStat,
  setCollapsed,
  Stat,
  StateTimeStat,
  StatHistory,
  StringDictStat,
  SumAggregationStat,
} from "@scales/core";
import { serveInBackground } from "@scales/core/http";

function parsePort(args: readonly string[]): number {
  const index = args.findIndex((arg) => arg === "--port" || arg.startsWith("--port="));
  if (index === -1) return 8765;
  const text = args[index].includes("=") ? args[index].slice("--port=".length) : args[index + 1];
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(text)}`);
    Deno.exit(2);
  }
  return port;
}

const PATHS = ["/", "/login", "/search", "/api/items", "/api/cart", "/static/app.js"];

const SERVER = collection(
  "/server",
  Stat("started", new Date().toISOString()),
  Stat("uptimeSeconds", () => Math.round(performance.now() / 1000)),
  IntStat("requests"),
  IntStat("errors"),
  PmfStat("latency"),
  MeterStat("hits"),
  IntDictStat("byPath"),
  StringDictStat("lastStatusByPath"),
  NamedPmfDictStat("latencyByPath"),
  MeterDictStat("hitsByPath"),
  Stat("broken", (): number => {
    throw new Error("this gauge always fails, to show the error marker");
  }),
);
const ODD = collection("/server", IntDictStat("oddKeys"));
ODD.oddKeys.inc("<img src=x onerror=alert(1)>");
ODD.oddKeys.inc('quote " backslash \\ newline \n end');
ODD.oddKeys.inc("naïve 日本語");
setCollapsed("/server/cache");
const CACHE = collection("/server/cache", IntStat("hits"), IntStat("misses"), Stat("size", 0));

/** A processor with workers whose stats roll up into the processor's. */
class Processor {
  static readonly STATS = defineStats(
    SumAggregationStat("processed"),
    HistogramAggregationStat("state"),
    IntDictSumAggregationStat("byKind"),
  );
  readonly stats = init(this, "/processor", Processor.STATS);
  readonly workers: Worker[] = [];
  constructor(count: number) {
    for (let i = 0; i < count; i++) this.workers.push(new Worker(this, `worker-${i}`));
  }
}

class Worker {
  static readonly STATS = defineStats(
    IntStat("processed"),
    Stat("state", "idle"),
    StateTimeStat("stateTime"),
    IntDictStat("byKind"),
  );
  readonly stats;
  constructor(processor: Processor, name: string) {
    this.stats = initChild(this, processor, name, Worker.STATS);
    this.stats.stateTime = "idle";
  }
  step(): void {
    const busy = Math.random() < 0.6;
    this.stats.state = busy ? "busy" : Math.random() < 0.9 ? "idle" : "stalled";
    this.stats.stateTime = this.stats.state;
    if (busy) {
      this.stats.processed += 1;
      this.stats.byKind.inc(Math.random() < 0.7 ? "small" : "large");
    }
  }
}

const processor = new Processor(4);

collectRuntimeStats();

/** A request with a log-normal latency around 20 ms. */
function simulateRequest(): void {
  const path = PATHS[Math.floor(Math.random() * PATHS.length)];
  const ms = Math.exp(
    Math.log(20) + 0.6 * (Math.random() + Math.random() + Math.random() - 1.5) * 2,
  );
  const failed = Math.random() < 0.03;
  SERVER.requests += 1;
  if (failed) SERVER.errors += 1;
  SERVER.latency.add(ms);
  SERVER.hits.mark();
  SERVER.byPath.inc(path);
  SERVER.lastStatusByPath[path] = failed ? "500" : "200";
  SERVER.latencyByPath[path].add(ms);
  SERVER.hitsByPath[path].mark();
  if (Math.random() < 0.8) CACHE.hits += 1;
  else CACHE.misses += 1;
  CACHE.size = CACHE.hits % 1000;
}

setInterval(() => {
  const n = 5 + Math.floor(Math.random() * 20);
  for (let i = 0; i < n; i++) simulateRequest();
  for (const worker of processor.workers) worker.step();
}, 100);

// The last 15 minutes at 5 s (and an hour at 1 min), so a page opened later shows what led up to it.
const history = new StatHistory({ intervalMs: 5_000, keep: 180 }).start();
const server = await serveInBackground(parsePort(Deno.args), {
  serverName: "demo server",
  history,
});
console.log(`stats viewer: ${server.url}?refresh=2`);
console.log(`prometheus:   http://127.0.0.1:${server.addr.port}/metrics`);
Deno.addSignalListener("SIGINT", () => {
  server.shutdown().finally(() => Deno.exit(0));
});
