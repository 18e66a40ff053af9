// Bundled for Node by bench/workers_cluster_bench.ts. MODE=scales: 8 cluster
// workers with 1,000 stats each on the directory transport; worker 1 times
// its local answer and the merged one. MODE=prom-client: the same registry in
// prom-client, the primary times AggregatorRegistry.clusterMetrics() and
// worker 1 its local register.metrics().
import cluster from "node:cluster";
import process from "node:process";
import client from "prom-client";
import { joinWorkers, StatTree } from "../mod.ts";
import { groupStatsHandler, statsHandler } from "../http/mod.ts";
import { fillTree } from "./_workers_bench_stats.ts";

const WORKERS = 8;
const ROUNDS = 30;
const env = process.env;

async function median(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

function fillRegistry(registry: client.Registry, seed: number): void {
  for (let c = 0; c < 100; c++) {
    const p = `service${c % 10}_handler${c}`;
    for (const n of ["a", "b", "c", "d", "e", "f"]) {
      new client.Counter({ name: `${p}_${n}_total`, help: "x", registers: [registry] }).inc(
        c + seed,
      );
    }
    for (const n of ["load", "ratio"]) {
      new client.Gauge({
        name: `${p}_${n}`,
        help: "x",
        registers: [registry],
        aggregator: "average",
      })
        .set(seed / 8);
    }
    const byStatus = new client.Counter({
      name: `${p}_by_status_total`,
      help: "x",
      labelNames: ["key"],
      registers: [registry],
    });
    for (const key of ["200", "301", "404", "500"]) byStatus.inc({ key }, seed + 1);
    const latency = new client.Summary({
      name: `${p}_latency`,
      help: "x",
      percentiles: [0.5, 0.75, 0.95, 0.98, 0.99, 0.999],
      registers: [registry],
    });
    for (let i = 0; i < 100; i++) latency.observe(1 + ((i * 37 + c * 11 + seed * 5) % 500));
  }
}

if (cluster.isPrimary) {
  const aggregator = new client.AggregatorRegistry();
  let ready = 0;
  for (let i = 0; i < WORKERS; i++) cluster.fork({ WORKER_INDEX: String(i) });
  cluster.on("message", async (_worker, message: { ready?: boolean; result?: string }) => {
    if (message.result !== undefined) {
      console.log(message.result);
      if (env.MODE === "scales") finish();
      return;
    }
    if (message.ready && ++ready === WORKERS && env.MODE === "prom-client") {
      try {
        const merged = await median(() => aggregator.clusterMetrics());
        console.log(
          `prom-client clusterMetrics() over ${WORKERS} workers: ${merged.toFixed(1)} ms`,
        );
      } catch (error) {
        console.log(`prom-client clusterMetrics() over ${WORKERS} workers failed: ${error}`);
      }
      for (const w of Object.values(cluster.workers ?? {})) w?.send("measure");
    }
    if (message.ready && ready === WORKERS && env.MODE === "scales") {
      cluster.workers?.[1]?.send("measure");
    }
  });
  let results = 0;
  const finish = () => {
    if (++results < 1) return;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill();
    process.exit(0);
  };
  if (env.MODE === "prom-client") {
    cluster.on("message", (_w, message: { result?: string }) => {
      if (message.result !== undefined) finish();
    });
  }
} else {
  const index = Number(env.WORKER_INDEX);
  if (env.MODE === "scales") {
    const tree = new StatTree();
    fillTree(tree, index);
    const group = joinWorkers({ tree, directory: env.SCALES_DIR, deadlineMs: 5000 });
    await group.ready;
    process.on("message", async (message) => {
      if (message !== "measure") return;
      const local = statsHandler({ tree });
      const merged = groupStatsHandler(group);
      const lines: string[] = [];
      for (
        const [format, url] of [["JSON", "http://x/status/?format=json"], [
          "Prometheus",
          "http://x/metrics",
        ]]
      ) {
        const a = await median(async () => (await local(new Request(url))).text());
        const b = await median(async () => (await merged(new Request(url))).text());
        lines.push(
          `scales ${format}: local ${a.toFixed(1)} ms, merged over ${WORKERS} processes ${
            b.toFixed(1)
          } ms, ${(b / a).toFixed(2)}×`,
        );
      }
      process.send!({ result: lines.join("\n") });
    });
    process.send!({ ready: true });
  } else {
    fillRegistry(client.register, index);
    // A worker answers the primary's requests once prom-client's cluster
    // listeners are added, which only the AggregatorRegistry constructor does.
    new client.AggregatorRegistry();
    process.on("message", async (message) => {
      if (index !== 1 || message !== "measure") return;
      const local = await median(() => client.register.metrics());
      process.send!({
        result: `prom-client register.metrics() in one worker: ${local.toFixed(1)} ms`,
      });
    });
    process.send!({ ready: true });
  }
}
