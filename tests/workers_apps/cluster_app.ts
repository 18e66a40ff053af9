// A node:cluster (or PM2 cluster mode) app for the workers tests, bundled for
// Node by the test. Every request counts and records `?v=` as a latency;
// `/expected?v=1,2` is one Pmf fed those samples; `/exit` ends the worker that gets it (the primary forks a new one).
import cluster from "node:cluster";
import { createServer } from "node:http";
import process from "node:process";
import { collection, IntStat, joinWorkers, Pmf, PmfStat } from "../../mod.ts";
import { serveInBackground } from "../../http/mod.ts";

const env = process.env;

if (cluster.isPrimary) {
  let stopping = false;
  for (let i = 0; i < Number(env.WORKERS); i++) cluster.fork();
  cluster.on("exit", () => {
    if (!stopping) cluster.fork();
  });
  process.on("SIGTERM", () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGKILL");
    process.exit(0);
  });
} else {
  const group = joinWorkers({ directory: env.SCALES_DIR });
  await group.ready;
  const STATS = collection("/web", IntStat("requests"), PmfStat("latency"));
  await serveInBackground(Number(env.STATS_PORT));
  createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    if (url.pathname === "/expected") {
      // One distribution fed the given samples, computed by this runtime
      // (another runtime's Math.pow may differ in the last bit).
      const single = new Pmf();
      for (const v of (url.searchParams.get("v") ?? "").split(",")) single.add(Number(v));
      response.end(JSON.stringify(single.snapshot()));
      return;
    }
    if (url.pathname === "/exit") {
      response.end(String(process.pid), () => process.exit(1));
      return;
    }
    STATS.requests += 1;
    STATS.latency.add(Number(url.searchParams.get("v")));
    response.end(`${group.worker}`);
  }).listen(Number(env.APP_PORT), "127.0.0.1");
}
