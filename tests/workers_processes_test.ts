// Independent processes on one host (several servers behind a proxy) joined
// with joinWorkers({ transport: "directory" }): one of them serves the viewer
// port, the others stand by and take it over when it dies.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { freePort, removeDir, tempDir } from "./_system.ts";
import { killServer, mergedJson, waitFor } from "./_workers.ts";

const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno === "object";
const APP = fileURLToPath(new URL("./workers_apps/process_app.ts", import.meta.url));
const PROCESSES = 3;

/** The port a process app prints once it listens (within 30 s). */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no port within 30 s: ${out}`)), 30_000);
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const found = out.match(/listening (\d+)/);
      if (found) {
        clearTimeout(timer);
        resolve(Number(found[1]));
      }
    });
  });
}

describe("independent processes sharing a directory", {
  skip: !IS_DENO && "runs the app with deno run: Deno suite only",
}, () => {
  let dir: string;
  let stats: number;
  const apps: number[] = [];
  const children: ChildProcess[] = [];
  before(async () => {
    dir = await tempDir("scales-processes-");
    stats = await freePort();
    for (let i = 0; i < PROCESSES; i++) {
      const child = spawn(process.execPath, ["run", "-A", APP], {
        // A loaded CI machine can take more than the default second to answer:
        // these tests count live processes exactly, so they give them longer.
        env: {
          ...process.env,
          STATS_PORT: String(stats),
          SCALES_DIR: join(dir, "group"),
          DEADLINE_MS: "5000",
        },
        stdio: ["ignore", "pipe", "ignore"],
      });
      children.push(child);
      apps.push(await listeningPort(child));
      await waitFor(apps[i]!, "/?v=0");
    }
    await waitFor(stats, "/status/?format=json");
  });
  after(async () => {
    await Promise.all(children.map(killServer));
    await removeDir(dir);
  });

  it("every view adds every process's counters, whichever process answers", async () => {
    for (let i = 0; i < 90; i++) {
      const response = await fetch(`http://127.0.0.1:${apps[i % PROCESSES]}/?v=${i}`);
      await response.text();
    }
    const view = await mergedJson(stats);
    assert.equal(view.web.requests, PROCESSES + 90); // the readiness probes, then the load
    assert.equal(view.web.latency.max, 89);
    assert.equal(view.scales.workers.live, PROCESSES);
  });

  it("when the process serving the viewer is killed, another takes the port over and the totals stay", async () => {
    const before = await mergedJson(stats); // every process saves what it answered
    const holder = before.scales.workers.answeredBy;
    const index = children.findIndex((c) => String(c.pid) === holder);
    assert.ok(index >= 0, `the viewer's holder ${holder} is one of the processes`);
    await killServer(children[index]!);
    const until = Date.now() + 15_000;
    let after: typeof before | undefined;
    while (after === undefined && Date.now() < until) {
      try {
        after = await mergedJson(stats);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    assert.ok(after !== undefined, "no process took the viewer port over within 15 s");
    assert.notEqual(after.scales.workers.answeredBy, holder);
    assert.equal(after.web.requests, before.web.requests);
    assert.equal(after.scales.workers.live, PROCESSES - 1);
    assert.equal(after.scales.workers.departed, 1);
  });
});
