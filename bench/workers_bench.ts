/**
 * The merged view of 8 workers × 1,000 stats against one worker's local
 * answer, JSON and Prometheus: `deno run -A bench/workers_bench.ts`. The 7
 * other workers are Deno Workers in the same process, on the
 * BroadcastChannel transport (as `deno serve --parallel`). Prints a table.
 *
 * @module
 */

import { joinWorkers, StatTree } from "../mod.ts";
import { groupStatsHandler, statsHandler } from "../http/mod.ts";
import { fillTree } from "./_workers_bench_stats.ts";

const WORKERS = 8;
const ROUNDS = 40;

const tree = new StatTree();
fillTree(tree, 0);
const threads = Array.from(
  { length: WORKERS - 1 },
  () => new Worker(new URL("./_workers_bench_worker.ts", import.meta.url), { type: "module" }),
);
await Promise.all(threads.map((worker, i) =>
  new Promise((resolve) => {
    worker.onmessage = resolve;
    worker.postMessage({ group: "bench", seed: i + 1 });
  })
));
const group = joinWorkers({ tree, group: "bench", deadlineMs: 5000 });
await group.ready;

const local = statsHandler({ tree });
const merged = groupStatsHandler(group);

async function time(handler: (r: Request) => Response | Promise<Response>, url: string) {
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    const body = await (await handler(new Request(url))).text();
    samples.push(performance.now() - started);
    bytes = body.length;
  }
  samples.sort((a, b) => a - b);
  return { median: samples[ROUNDS >> 1]!, bytes };
}

const view = await group.getMergedStats("/scales/workers") as { live: number };
if (view.live !== WORKERS) {
  throw new Error(`only ${view.live} workers joined: ${JSON.stringify(view)} ${group.workers}`);
}
console.log(
  `| format | local answer (1 worker), median ms | merged answer (${WORKERS} workers), median ms | ratio |`,
);
console.log("| --- | --- | --- | --- |");
for (
  const [format, url] of [
    ["JSON", "http://x/status/?format=json"],
    ["Prometheus", "http://x/metrics"],
  ] as const
) {
  await time(local, url); // warm-up
  await time(merged, url);
  const a = await time(local, url);
  const b = await time(merged, url);
  console.log(
    `| ${format} | ${a.median.toFixed(1)} (${a.bytes} B) | ${
      b.median.toFixed(1)
    } (${b.bytes} B) | ${(b.median / a.median).toFixed(2)}× |`,
  );
}
await group.leave();
for (const thread of threads) thread.terminate();
