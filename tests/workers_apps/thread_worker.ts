// A worker thread for the workers tests: joins the group, records the samples
// its parent sends (`{ add: number[] }`) and answers `"done"`. The test imports
// this module (so the Node suite compiles it); it only acts inside a worker.
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { collection, IntStat, joinWorkers, PmfStat } from "@scales/core";

/** What the test passes as `workerData`. */
export interface ThreadData {
  readonly group: string;
}

if (!isMainThread && (workerData as ThreadData | undefined)?.group !== undefined) {
  const group = joinWorkers({ group: (workerData as ThreadData).group });
  const STATS = collection("/web", IntStat("requests"), PmfStat("latency"));
  parentPort!.on("message", (message: { add?: number[] }) => {
    for (const v of message.add ?? []) {
      STATS.requests += 1;
      STATS.latency.add(v);
    }
    parentPort!.postMessage(group.worker);
  });
  group.ready.then(() => parentPort!.postMessage(group.worker));
}
