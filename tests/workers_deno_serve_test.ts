// `deno serve --parallel` workers joined with joinWorkers(): every viewer
// answer shows the whole group. Deno only (listed in scripts/node_tests.ts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { Pmf } from "@scales/core";
import { freePort } from "./_system.ts";
import { EXACT_FIELDS, killServer, mergedJson, rawGet, waitFor } from "./_workers.ts";

const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno === "object";
const APP = fileURLToPath(new URL("./workers_apps/deno_serve_app.ts", import.meta.url));
const K = 300;

interface Server {
  readonly app: number;
  readonly stats: number;
  readonly child: ChildProcess;
  readonly output: () => string;
}

async function startServer(workers: number): Promise<Server> {
  const app = await freePort();
  const stats = await freePort();
  let output = "";
  const child = spawn(process.execPath, ["serve", "--parallel", "-A", `--port=${app}`, APP], {
    env: { ...process.env, DENO_JOBS: String(workers), STATS_PORT: String(stats) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk) => output += chunk);
  child.stderr!.on("data", (chunk) => output += chunk);
  const server = { app, stats, child, output: () => output };
  try {
    await waitFor(app, "/?v=0", 30_000).then(() => waitFor(stats, "/status/?format=json"));
    // Every worker has joined once the viewer sees them all.
    const until = Date.now() + 20_000;
    while ((await mergedJson(stats)).scales.workers.live < workers) {
      if (Date.now() > until) throw new Error(`fewer than ${workers} workers joined: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await killServer(child);
    throw error;
  }
  return server;
}

/** Sends K requests, each on its own connection, with integer latencies; the samples sent. */
async function load(server: Server): Promise<{ samples: number[]; workers: Set<string> }> {
  const samples: number[] = [];
  const workers = new Set<string>();
  for (let batch = 0; batch < K / 20; batch++) {
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const v = 1 + ((batch * 20 + i) * 37) % 500;
      samples.push(v);
      const { body } = await rawGet(server.app, `/?v=${v}`);
      workers.add(body);
    }));
  }
  return { samples, workers };
}

for (const workers of [2, 4]) {
  describe(
    `deno serve --parallel with ${workers} workers`,
    { skip: !IS_DENO && "Deno only" },
    () => {
      let server: Server;
      before(async () => {
        server = await startServer(workers);
      });
      after(async () => {
        if (server !== undefined) await killServer(server.child);
      });

      it("every one of 10 viewer answers reports exactly K requests and the percentiles of one sketch fed all K samples", async () => {
        const base = (await mergedJson(server.stats)).web.requests;
        const { samples, workers: seen } = await load(server);
        assert.ok(seen.size > 1, `the kernel spread ${K} connections over ${seen.size} worker(s)`);
        const single = new Pmf();
        for (let i = 0; i < base; i++) single.add(0); // the readiness probes' samples
        for (const v of samples) single.add(v);
        const expected = single.snapshot();
        for (let answer = 0; answer < 10; answer++) {
          const view = await mergedJson(server.stats);
          assert.equal(view.web.requests, base + K);
          for (const field of EXACT_FIELDS) {
            assert.equal(view.web.latency[field], expected[field], field);
          }
          assert.equal(view.scales.workers.live, workers);
          assert.equal(view.scales.workers.missing, "");
        }
        assert.doesNotMatch(server.output(), /already in use/);
      });

      it("instrument's request durations merge: the route's count is every worker's requests", async () => {
        const view = await mergedJson(server.stats);
        const http = (view as unknown as {
          http: { server: { requestDuration: Record<string, Record<string, unknown>> } };
        }).http;
        const byStatus = http.server.requestDuration.GET!["/"] as Record<string, { count: number }>;
        assert.deepEqual(Object.keys(byStatus), ["200"]);
        assert.equal(byStatus["200"]!.count, view.web.requests);
      });

      it("every worker still answers after the standby workers retried the viewer's port (every 2 s)", async () => {
        await new Promise((resolve) => setTimeout(resolve, 2500));
        const view = await mergedJson(server.stats);
        assert.equal(view.scales.workers.live, workers);
        assert.equal(view.scales.workers.departed, 0);
      });

      it("?worker= shows one worker alone", async () => {
        const view = await mergedJson(server.stats);
        const name = view.scales.workers.answeredBy;
        const one = await rawGet(server.stats, `/status/web?format=json&worker=${name}`);
        assert.equal(one.status, 200);
        const alone = JSON.parse(one.body) as { requests: number };
        assert.ok(alone.requests < view.web.requests, `${alone.requests} < ${view.web.requests}`);
        const none = await rawGet(server.stats, "/status/?worker=nobody");
        assert.equal(none.status, 404);
        assert.match(none.body, /^no worker named "nobody"; the group has /);
      });

      it("a worker stuck in a busy loop: the answer comes within the deadline and names it", async () => {
        const viewer = (await mergedJson(server.stats)).scales.workers.answeredBy;
        let stuck = "";
        for (let i = 0; i < 50 && stuck === ""; i++) {
          const { body } = await rawGet(server.app, `/spin?ms=4000&not=${viewer}`);
          if (body.startsWith("spin ")) stuck = body.slice(5);
        }
        assert.notEqual(stuck, "", "no request reached a worker other than the viewer's");
        await new Promise((resolve) => setTimeout(resolve, 50));
        const started = Date.now();
        const view = await mergedJson(server.stats);
        const took = Date.now() - started;
        assert.ok(took < 1800, `answered in ${took} ms`);
        assert.match(
          view.scales.workers.missing,
          new RegExp(`^${stuck} \\(no answer within 1000 ms`),
        );
        // Its last known totals still count: the counter does not dip.
        assert.ok(view.web.requests >= K, `${view.web.requests}`);
        await new Promise((resolve) => setTimeout(resolve, 4000));
      });

      it("the page of a view with a stuck worker links every worker and names the missing one", async () => {
        const { answeredBy: viewer, live } = (await mergedJson(server.stats)).scales.workers;
        assert.equal(live, workers);
        const names = new Set<string>([viewer]);
        let stuck = "";
        for (let i = 0; i < 200 && names.size < workers; i++) {
          names.add((await rawGet(server.app, `/?v=1&i=${i}`)).body);
        }
        assert.equal(names.size, workers, "the kernel did not reach every worker");
        for (let i = 0; i < 50 && stuck === ""; i++) {
          const { body } = await rawGet(server.app, `/spin?ms=4000&not=${viewer}`);
          if (body.startsWith("spin ")) stuck = body.slice(5);
        }
        assert.notEqual(stuck, "", "no request reached a worker other than the viewer's");
        await new Promise((resolve) => setTimeout(resolve, 50));
        const page = await rawGet(server.stats, "/status/");
        assert.equal(page.status, 200);
        const links = [...page.body.matchAll(/<a href="\?(worker=[^"]+)">/g)]
          .map((m) => new URLSearchParams(m[1]).get("worker"));
        assert.deepEqual(links, [...names].sort());
        assert.match(
          page.body,
          new RegExp(
            `role="status">Missing: ${stuck} \\(no answer in time; last known values shown\\)</p>`,
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 4000));
      });
    },
  );
}
