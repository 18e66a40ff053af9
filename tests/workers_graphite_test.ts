// Exactly one Graphite push of the merged tree per period from a group of 4
// workers (worker threads, each running pushMergedPeriodically), into a real
// carbon-cache through a line-counting proxy.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { connect } from "node:net";
import { Worker } from "node:worker_threads";
import { Carbon, skipWithout } from "./_carbon.ts";
import type { ThreadData } from "./workers_apps/thread_worker.ts";

const EXT = import.meta.url.endsWith(".js") ? ".js" : ".ts";
const WORKER = new URL(`./workers_apps/thread_worker${EXT}`, import.meta.url);
const PERIOD_MS = 1000;

/** A plaintext proxy to carbon that keeps every line it forwards. */
async function countingProxy(target: number): Promise<{ server: Server; lines: string[] }> {
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const upstream = connect(target, "127.0.0.1");
    let rest = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
      upstream.write(chunk);
    });
    socket.on("end", () => upstream.end());
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("close", () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, lines };
}

function reply(worker: Worker, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    worker.once("message", (name: string) => {
      clearTimeout(timer);
      resolve(name);
    });
  });
}

describe("Graphite from a group of 4 workers", { skip: skipWithout("carbon-cache") }, () => {
  let carbon: Carbon;
  let proxy: { server: Server; lines: string[] };
  const threads: Worker[] = [];
  before(async () => {
    carbon = await Carbon.start();
    proxy = await countingProxy(carbon.port);
  });
  after(async () => {
    await Promise.all(threads.map((t) => t.terminate()));
    await new Promise((resolve) => proxy.server.close(resolve));
    await carbon.dispose();
  });

  it("carbon receives one line per name per period, with the merged value", async () => {
    const address = proxy.server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    for (let i = 0; i < 4; i++) {
      threads.push(
        new Worker(WORKER, {
          workerData: {
            group: "graphite-push",
            graphite: { port, periodMs: PERIOD_MS },
          } satisfies ThreadData,
        }),
      );
    }
    await Promise.all(threads.map((t) => reply(t, 90_000)));
    for (const thread of threads) {
      const done = reply(thread, 10_000);
      thread.postMessage({ add: [1, 2, 3, 4, 5] });
      await done;
    }
    // Lines pushed from now on carry every worker's samples.
    const from = proxy.lines.length;
    await new Promise((resolve) => setTimeout(resolve, 4.5 * PERIOD_MS));
    const requests = proxy.lines.slice(from).filter((line) => line.startsWith("grp.web.requests "));
    const stamps = requests.map((line) => line.split(" ")[2]);
    assert.ok(requests.length >= 3, `${requests.length} pushes in 4.5 periods: ${requests}`);
    assert.equal(new Set(stamps).size, stamps.length, `one push per period: ${requests}`);
    assert.deepEqual(new Set(requests.map((line) => line.split(" ")[1])), new Set(["20"]));
    assert.ok(
      await carbon.waitUntil(() => carbon.points("grp.web.requests").some(([, v]) => v === 20)),
      "carbon stored the merged value",
    );
  });
});
