// node:cluster and PM2 cluster mode joined with joinWorkers(): the directory
// transport. The app is bundled for Node with `deno bundle`, so these run
// from the Deno suite (listed in scripts/node_tests.ts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import type { PmfSnapshot } from "@scales/core";
import { freePort, removeDir, tempDir } from "./_system.ts";
import {
  EXACT_FIELDS,
  killServer,
  mergedJson,
  type MergedView,
  rawGet,
  waitFor,
} from "./_workers.ts";

const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno === "object";
const APP = fileURLToPath(new URL("./workers_apps/cluster_app.ts", import.meta.url));
const PM2 = fileURLToPath(new URL("../node_modules/pm2/bin/pm2", import.meta.url));
const WORKERS = 4;
const K = 200;

interface Run {
  readonly app: number;
  readonly stats: number;
  readonly dir: string;
  readonly env: Record<string, string | undefined>;
  readonly bundle: string;
}

async function prepare(): Promise<Run> {
  const dir = await tempDir("scales-workers-");
  const bundle = join(dir, "cluster_app.mjs");
  const built = spawnSync(process.execPath, ["bundle", "--platform=node", APP, "-o", bundle], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (built.status !== 0) throw new Error(`deno bundle failed: ${built.stderr}`);
  const app = await freePort();
  const stats = await freePort();
  const env = {
    ...process.env,
    WORKERS: String(WORKERS),
    APP_PORT: String(app),
    STATS_PORT: String(stats),
    SCALES_DIR: join(dir, "group"),
  };
  return { app, stats, dir, env, bundle };
}

async function waitForWorkers(run: Run, live: number): Promise<void> {
  await waitFor(run.app, "/?v=0");
  await waitFor(run.stats, "/status/?format=json");
  const until = Date.now() + 30_000;
  while ((await mergedJson(run.stats)).scales.workers.live < live) {
    if (Date.now() > until) throw new Error(`fewer than ${live} workers joined`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * GET, retried once on no answer: node:cluster's primary may hand a new
 * connection to a worker that has just died, and that connection is never
 * served (the request never reached a handler, so it was not counted).
 */
async function getRetrying(port: number, path: string): Promise<void> {
  try {
    await rawGet(port, path, 2000);
  } catch {
    await rawGet(port, path, 5000);
  }
}

/** K requests, each on its own connection; the samples sent. */
async function load(run: Run, count: number, samples: number[]): Promise<void> {
  for (let sent = 0; sent < count; sent += 20) {
    await Promise.all(Array.from({ length: Math.min(20, count - sent) }, async () => {
      const v = 1 + (samples.length * 37) % 500;
      samples.push(v);
      await getRetrying(run.app, `/?v=${v}`);
    }));
  }
}

/**
 * Views taken every 50 ms until `done` settles: each answered view's request
 * count, and how many views got no answer (a connection node:cluster handed
 * to the worker as it died; at most a few).
 */
async function watch(
  run: Run,
  done: Promise<unknown>,
): Promise<{ seen: number[]; failed: number }> {
  const seen: number[] = [];
  let failed = 0;
  let over = false;
  done.finally(() => over = true);
  const look = async () => {
    try {
      const { status, body } = await rawGet(run.stats, "/status/?format=json", 2000);
      if (status === 200) seen.push((JSON.parse(body) as MergedView).web.requests);
      else failed += 1;
    } catch {
      failed += 1;
    }
  };
  while (!over) {
    await look();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  seen.push((await mergedJson(run.stats)).web.requests);
  return { seen, failed };
}

function assertMonotone(seen: readonly number[]): void {
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i]! >= seen[i - 1]!, `went backwards: ${seen.join(", ")}`);
  }
}

/** The shared scenario: exact totals, then a worker ended and restarted mid-run. */
function scenario(start: (run: Run) => Promise<() => Promise<void>>, label: string) {
  describe(label, { skip: !IS_DENO && "bundles the app with deno bundle: Deno suite only" }, () => {
    let run: Run;
    let stop: (() => Promise<void>) | undefined;
    const samples: number[] = [];
    let probes = 0;
    before(async () => {
      run = await prepare();
      stop = await start(run);
      await waitForWorkers(run, WORKERS);
      probes = (await mergedJson(run.stats)).web.requests;
    });
    after(async () => {
      await stop?.();
      // The workers of a killed primary exit on their own, saving their state as they go.
      for (let attempt = 1;; attempt++) {
        try {
          await removeDir(run.dir);
          return;
        } catch (error) {
          if (attempt === 10) throw error;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      }
    });

    it("every viewer answer reports exactly K requests and the percentiles of one sketch fed them all", async () => {
      await load(run, K, samples);
      const all = [...Array(probes).fill(0), ...samples].join(",");
      const expected = JSON.parse(
        (await rawGet(run.app, `/expected?v=${all}`)).body,
      ) as PmfSnapshot;
      for (let answer = 0; answer < 10; answer++) {
        const view = await mergedJson(run.stats);
        assert.equal(view.web.requests, probes + K);
        for (const field of EXACT_FIELDS) {
          assert.equal(view.web.latency[field], expected[field], field);
        }
        assert.equal(view.scales.workers.live, WORKERS);
      }
    });

    it("a worker that exits and is restarted mid-run: counters stay monotone and exact", async () => {
      const before = (await mergedJson(run.stats)).web.requests;
      const exiting = (async () => {
        await load(run, K / 2, samples);
        await rawGet(run.app, "/exit");
        await load(run, K / 2, samples);
      })();
      const { seen, failed } = await watch(run, exiting);
      await exiting;
      assertMonotone(seen);
      assert.ok(failed <= 2, `${failed} views got no answer`);
      assert.equal(seen.at(-1), before + K);
      const view = await mergedJson(run.stats);
      assert.ok(view.scales.workers.departed >= 1, `departed: ${view.scales.workers.departed}`);
    });

    it("a worker killed with SIGKILL right after a view: counters stay monotone and exact", async () => {
      const before = (await mergedJson(run.stats)).web.requests;
      const victim = Number((await rawGet(run.app, "/?v=1")).body.match(/^\d+$/)?.[0]);
      samples.push(1);
      assert.ok(victim > 0, "the worker's name is its pid");
      const killing = (async () => {
        await mergedJson(run.stats); // every worker saves what it answered
        process.kill(victim, "SIGKILL");
        await load(run, K / 2, samples);
      })();
      const { seen, failed } = await watch(run, killing);
      await killing;
      assertMonotone(seen);
      assert.ok(failed <= 2, `${failed} views got no answer`);
      assert.equal(seen.at(-1), before + 1 + K / 2);
    });
  });
}

scenario((run) => {
  const child: ChildProcess = spawn("node", [run.bundle], { env: run.env, stdio: "ignore" });
  return Promise.resolve(() => killServer(child));
}, `node:cluster with ${WORKERS} workers`);

scenario((run) => {
  // A private PM2 daemon: its home in the test's folder, killed at the end.
  const env = { ...run.env, PM2_HOME: join(run.dir, "pm2") };
  const pm2 = (...args: string[]) =>
    spawnSync("node", [PM2, ...args], { env, encoding: "utf8", timeout: 60_000 });
  const started = pm2("start", run.bundle, "-i", String(WORKERS), "--name", "scales-workers-test");
  if (started.status !== 0) {
    pm2("kill");
    return Promise.reject(new Error(`pm2 start failed: ${started.stdout}${started.stderr}`));
  }
  return Promise.resolve(() => {
    pm2("kill");
    return Promise.resolve();
  });
}, `PM2 cluster mode (pm2 start app -i ${WORKERS})`);
