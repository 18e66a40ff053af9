// The crash dump of a tree joined with joinWorkers(): the group's merged
// view. Two trees of one thread joined to one group stand for two workers
// (the BroadcastChannel transport reaches other channels of the same thread).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dumpStatsTo, IntStat, joinWorkers, StatTree } from "@scales/core";

/** Two trees joined to `group`, with `requests` 2 and 3; `body` runs with the first one's tree. */
async function withTwoWorkers(
  group: string,
  body: (tree: StatTree, path: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "scales-dump-"));
  const [a, b] = [new StatTree(), new StatTree()];
  a.collection("/web", IntStat("requests")).requests = 2;
  b.collection("/web", IntStat("requests")).requests = 3;
  await using first = joinWorkers({ tree: a, group, name: "a" });
  await using second = joinWorkers({ tree: b, group, name: "b" });
  await Promise.all([first.ready, second.ready]);
  try {
    await body(a, join(dir, "stats.json"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const read = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("dumpStatsTo a joined tree", () => {
  it("writes the group's merged view", async () => {
    await withTwoWorkers("dump-merged", async (tree, path) => {
      await dumpStatsTo(path, { tree });
      const dump = read(path);
      assert.deepEqual(dump.web, { requests: 5 });
      assert.equal(dump.scales.workers.live, 2);
    });
  });

  it("with merged: false, writes this worker's own stats", async () => {
    await withTwoWorkers("dump-local", async (tree, path) => {
      await dumpStatsTo(path, { tree, merged: false });
      const dump = read(path);
      delete dump["last-updated"];
      assert.deepEqual(dump, { web: { requests: 2 } });
    });
  });
});

describe("WorkerGroup.lastKnownView", () => {
  it("is this worker's current stats with the others' as of the last view", async () => {
    const [a, b] = [new StatTree(), new StatTree()];
    const sa = a.collection("/web", IntStat("requests"));
    const sb = b.collection("/web", IntStat("requests"));
    await using first = joinWorkers({ tree: a, group: "last-known", name: "a" });
    await using second = joinWorkers({ tree: b, group: "last-known", name: "b" });
    await Promise.all([first.ready, second.ready]);
    sa.requests = 2;
    sb.requests = 3;
    await first.view();
    sa.requests = 20;
    sb.requests = 30; // after the last view: not seen
    const view = first.lastKnownView();
    assert.deepEqual(view.getStats("/web"), { requests: 23 });
    assert.equal(view.getStats("/scales/workers")!.answeredBy, "a");
  });

  it("is this worker alone before any view", async () => {
    const tree = new StatTree();
    tree.collection("/web", IntStat("requests")).requests = 4;
    await using group = joinWorkers({ tree, group: "last-known-alone", name: "a" });
    await group.ready;
    assert.deepEqual(group.lastKnownView().getStats(), { web: { requests: 4 } });
  });
});
