/**
 * The viewer demo: a small web app on `Deno.serve`, its request metrics
 * recorded by `instrument` (`/http/server`), driven by a built-in client
 * whose requests change the stats all the time, beside other simulated
 * stats and the runtime stats (`/process`), served by the stats viewer.
 * Open the printed URL: the charts start from the server's history (5 s
 * samples, kept 15 minutes) and auto-refresh extends them.
 *
 * ```sh
 * deno task serve-stats            # viewer on http://127.0.0.1:8765/status/, the app on 8766
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
  setCollapsed,
  Stat,
  StateTimeStat,
  StatHistory,
  SumAggregationStat,
} from "@scales/core";
import { serveInBackground } from "@scales/core/http";
import { instrument } from "@scales/core/instrument";

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

collection(
  "/server",
  Stat("started", new Date().toISOString()),
  Stat("uptimeSeconds", () => Math.round(performance.now() / 1000)),
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A log-normal latency around `median` ms. */
function latency(median: number): number {
  return Math.exp(Math.log(median) + 1.2 * (Math.random() + Math.random() + Math.random() - 1.5));
}

/** The demo app: a few routes, timed by `instrument` (no timing code in the handlers). */
const app = instrument(async (request: Request): Promise<Response> => {
  const { pathname } = new URL(request.url);
  if (pathname === "/") return new Response("home");
  if (pathname === "/login" && request.method === "POST") {
    await sleep(latency(40));
    return Math.random() < 0.2
      ? new Response("wrong password", { status: 401 })
      : new Response("welcome");
  }
  if (pathname.startsWith("/api/items/")) {
    await sleep(latency(15));
    if (Math.random() < 0.03) throw new Error("item store unavailable");
    return Response.json({ id: pathname.slice("/api/items/".length) });
  }
  if (pathname === "/events") {
    await sleep(latency(5));
    return new Response(
      new ReadableStream({
        async pull(controller) {
          await sleep(latency(30));
          controller.enqueue(new TextEncoder().encode("data: tick\n\n"));
          controller.close();
        },
      }),
    );
  }
  return new Response("not found", { status: 404 });
}, {
  routes: ["/", "/login", "/api/items/:id", "/events"].map((pathname) =>
    new URLPattern({ pathname })
  ),
});

const viewerPort = parsePort(Deno.args);
const appServer = Deno.serve({
  port: viewerPort === 0 ? 0 : viewerPort + 1,
  hostname: "127.0.0.1",
  onListen: () => {},
  onError: () => new Response("internal error", { status: 500 }),
}, app);
const appUrl = `http://127.0.0.1:${appServer.addr.port}`;

/** The built-in client: a few requests every 100 ms, to random paths (item ids are raw). */
async function client(): Promise<void> {
  const n = 3 + Math.floor(Math.random() * 8);
  const requests: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const pick = Math.random();
    const request = pick < 0.5
      ? fetch(`${appUrl}/api/items/${Math.floor(Math.random() * 100_000)}`)
      : pick < 0.7
      ? fetch(`${appUrl}/login`, { method: "POST", body: "user=demo" })
      : pick < 0.85
      ? fetch(`${appUrl}/`)
      : pick < 0.95
      ? fetch(`${appUrl}/events`)
      : fetch(`${appUrl}/wp-admin/${Math.floor(Math.random() * 1000)}.php`);
    requests.push(request.then((r) => r.arrayBuffer()).catch(() => {}));
    if (Math.random() < 0.8) CACHE.hits += 1;
    else CACHE.misses += 1;
    CACHE.size = CACHE.hits % 1000;
  }
  await Promise.all(requests);
}

setInterval(() => {
  void client();
  for (const worker of processor.workers) worker.step();
}, 100);

// The last 15 minutes at 5 s (and an hour at 1 min), so a page opened later shows what led up to it.
const history = new StatHistory({ intervalMs: 5_000, keep: 180 }).start();
const server = await serveInBackground(viewerPort, { serverName: "demo server", history });
console.log(`stats viewer: ${server.url}?refresh=2`);
console.log(`the app:      ${appUrl}/`);
console.log(`prometheus:   http://127.0.0.1:${server.addr.port}/metrics`);
Deno.addSignalListener("SIGINT", () => {
  Promise.all([server.shutdown(), appServer.shutdown()]).finally(() => Deno.exit(0));
});
