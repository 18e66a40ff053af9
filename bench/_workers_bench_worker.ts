// A worker of bench/workers_bench.ts: its 1,000 stats, joined to the group.
import { defaultTree, joinWorkers } from "../mod.ts";
import { fillTree } from "./_workers_bench_stats.ts";

const self = globalThis as unknown as {
  onmessage: (event: MessageEvent<{ group: string; seed: number }>) => void;
  postMessage: (message: string) => void;
};
self.onmessage = async (event) => {
  fillTree(defaultTree, event.data.seed);
  const group = joinWorkers({ group: event.data.group });
  await group.ready;
  self.postMessage(group.worker);
};
