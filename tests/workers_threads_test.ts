// Worker threads (node:worker_threads, on Node and Deno) joined with
// joinWorkers(): the BroadcastChannel transport.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { IntStat, joinWorkers, Pmf, type PmfSnapshot, PmfStat, StatTree } from "@scales/core";
import type { ThreadData } from "./workers_apps/thread_worker.ts";
import { EXACT_FIELDS } from "./_workers.ts";

// The compiled suite (Node) runs thread_worker.js; Deno runs the .ts.
const EXT = import.meta.url.endsWith(".js") ? ".js" : ".ts";
const WORKER = new URL(`./workers_apps/thread_worker${EXT}`, import.meta.url);

/** The worker's next message; its first can take long (`deno test` type-checks its module graph). */
function reply(worker: Worker, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer from the worker in ${timeoutMs} ms`)),
      timeoutMs,
    );
    worker.once("message", (name: string) => {
      clearTimeout(timer);
      resolve(name);
    });
  });
}

async function startThreads(count: number, group: string): Promise<Worker[]> {
  const threads = Array.from(
    { length: count },
    () => new Worker(WORKER, { workerData: { group } satisfies ThreadData }),
  );
  await Promise.all(threads.map((thread) => reply(thread, 90_000)));
  return threads;
}

describe("worker threads", () => {
  it("the main thread's view adds every thread's counters and merges their sketches exactly", async () => {
    const tree = new StatTree();
    const local = tree.collection("/web", IntStat("requests"), PmfStat("latency"));
    const threads = await startThreads(3, "threads-exact");
    await using group = joinWorkers({ tree, group: "threads-exact" });
    try {
      const single = new Pmf();
      for (let round = 0; round < 4; round++) {
        for (const [i, thread] of threads.entries()) {
          const values = Array.from(
            { length: 50 },
            (_, j) => 1 + (round * 331 + i * 97 + j * 13) % 400,
          );
          for (const v of values) single.add(v);
          const done = reply(thread);
          thread.postMessage({ add: values });
          await done;
        }
      }
      local.requests += 1;
      local.latency.add(7);
      single.add(7);
      const view = (await group.getMergedStats())!;
      const web = view.web as unknown as { requests: number; latency: PmfSnapshot };
      assert.equal(web.requests, 601);
      const expected = single.snapshot();
      for (const field of EXACT_FIELDS) assert.equal(web.latency[field], expected[field], field);
      assert.equal((view.scales as { workers: { live: number } }).workers.live, 4);
    } finally {
      await Promise.all(threads.map((t) => t.terminate()));
    }
  });

  it("a terminated thread's totals stay in the view: missing, then departed", async () => {
    const tree = new StatTree();
    const threads = await startThreads(2, "threads-gone");
    await using group = joinWorkers({ tree, group: "threads-gone", deadlineMs: 200 });
    try {
      for (const thread of threads) {
        const done = reply(thread);
        thread.postMessage({ add: [1, 2, 3] });
        await done;
      }
      const requests = async () =>
        ((await group.getMergedStats("/web")) as { requests: number }).requests;
      assert.equal(await requests(), 6);
      await threads[0]!.terminate();
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push(await requests());
      assert.deepEqual(seen, [6, 6, 6, 6]);
      const workers = (await group.getMergedStats("/scales/workers")) as {
        live: number;
        departed: number;
      };
      assert.deepEqual([workers.live, workers.departed], [2, 1]);
    } finally {
      await Promise.all(threads.map((t) => t.terminate()));
    }
  });
});
