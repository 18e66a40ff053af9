// A worker thread for the workers tests: joins the group, records the samples
// its parent sends (`{ add: number[] }`) and answers `"done"`. The test imports
// this module (so the Node suite compiles it); it only acts inside a worker.
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import {
  collection,
  GraphitePusher,
  IntStat,
  joinWorkers,
  PmfStat,
  pushMergedPeriodically,
} from "@scales/core";

/** What the test passes as `workerData`. */
export interface ThreadData {
  readonly group: string;
  /** Push the merged view to this plaintext port every `periodMs`, as every worker of the group does. */
  readonly graphite?: { readonly port: number; readonly periodMs: number };
}

if (!isMainThread && (workerData as ThreadData | undefined)?.group !== undefined) {
  const data = workerData as ThreadData;
  const group = joinWorkers({ group: data.group });
  if (data.graphite !== undefined) {
    const pusher = new GraphitePusher("127.0.0.1", data.graphite.port, "grp").forbid("scales/*");
    pushMergedPeriodically(group, pusher, { periodMs: data.graphite.periodMs });
  }
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
