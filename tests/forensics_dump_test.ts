import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  collection,
  dumpStatsTo,
  IntStat,
  PeriodicFileDumper,
  reset,
  setLogger,
} from "@scales/core";
import { nodeAdapter } from "../runtime/node.ts";

const nodeWriter = nodeAdapter();

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "scales-dump-"));
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8"));
}

function names(dir: string): string[] {
  return readdirSync(dir).sort();
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

describe("dumpStatsTo", () => {
  it("writes the snapshot with an ISO last-updated timestamp", async () => {
    reset();
    collection("/web", IntStat("hits"), IntStat("errors")).hits = 3;
    const dir = tempDir();
    const path = join(dir, "stats.json");
    const before = Date.now();
    await dumpStatsTo(path);
    const dump = readJson(path);
    assert.match(dump["last-updated"] as string, ISO);
    const at = Date.parse(dump["last-updated"] as string);
    assert.ok(at >= before - 1 && at <= Date.now(), "last-updated is the time of the dump");
    assert.deepEqual(dump.web, { hits: 3, errors: 0 });
    removeDir(dir);
  });

  it("leaves only the target file: the temporary file is renamed over it", async () => {
    reset();
    const dir = tempDir();
    await dumpStatsTo(join(dir, "stats.json"));
    await dumpStatsTo(join(dir, "stats.json"));
    assert.deepEqual(names(dir), ["stats.json"]);
    removeDir(dir);
  });

  it("never shows a reader a half-written file", async () => {
    reset();
    const STATS = collection("/big", IntStat("n"));
    for (let i = 0; i < 200; i++) collection(`/big/child${i}`, IntStat("value", i));
    const dir = tempDir();
    const path = join(dir, "stats.json");
    await dumpStatsTo(path);
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const parsed = readJson(path); // throws on a torn file
        assert.equal(typeof parsed["last-updated"], "string");
        reads++;
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    })();
    for (let i = 0; i < 100; i++) {
      STATS.n = i;
      await dumpStatsTo(path);
    }
    writing = false;
    await reader;
    assert.ok(reads > 0);
    assert.deepEqual((readJson(path).big as Record<string, unknown>).n, 99);
    removeDir(dir);
  });

  it("rejects, naming the file, when the directory does not exist, and leaves nothing", async () => {
    const dir = tempDir();
    const path = join(dir, "missing", "stats.json");
    await assert.rejects(dumpStatsTo(path), (error: Error) => error.message.includes("missing"));
    assert.deepEqual(names(dir), []);
    removeDir(dir);
  });

  it("rejects a path that is not a string, naming it", async () => {
    await assert.rejects(dumpStatsTo(42 as unknown as string), {
      name: "TypeError",
      message: "dumpStatsTo() takes a non-empty file path, got 42",
    });
  });
});

describe("PeriodicFileDumper", () => {
  it("writes on start, then every period", async () => {
    reset();
    const STATS = collection("/app", IntStat("n"));
    const dir = tempDir();
    const path = join(dir, "stats.json");
    const dumper = new PeriodicFileDumper(path, { periodMs: 20, dumpOnExit: false });
    await dumper.start();
    assert.deepEqual(readJson(path).app, { n: 0 });
    STATS.n = 5;
    const deadline = Date.now() + 2_000;
    while ((readJson(path).app as { n: number }).n !== 5 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(readJson(path).app, { n: 5 });
    await dumper.stop();
    removeDir(dir);
  });

  it("writes a last dump on stop", async () => {
    reset();
    const STATS = collection("/app", IntStat("n"));
    const dir = tempDir();
    const path = join(dir, "stats.json");
    const dumper = new PeriodicFileDumper(path, { periodMs: 60_000, dumpOnExit: false });
    await dumper.start();
    STATS.n = 8;
    await dumper.stop();
    assert.deepEqual(readJson(path).app, { n: 8 });
    removeDir(dir);
  });

  it("logs, and does not throw, when it cannot write", async () => {
    const messages: string[] = [];
    const previous = setLogger((message) => messages.push(message));
    const path = "/nonexistent-scales-dir/stats.json";
    const dumper = new PeriodicFileDumper(path, { periodMs: 60_000, dumpOnExit: false });
    await dumper.start();
    await dumper.stop();
    setLogger(previous);
    assert.deepEqual(messages, [
      `forensics: cannot write the stats dump to ${path}`,
      `forensics: cannot write the stats dump to ${path}`,
    ]);
  });

  it("rejects a bad period, naming it", () => {
    assert.throws(() => new PeriodicFileDumper("x.json", { periodMs: 0 }), {
      name: "RangeError",
      message: "periodMs must be a number of at least 1, got 0",
    });
  });
});

describe("the Node file seam (under Deno too, through its node: modules)", () => {
  it("writes atomically, async and sync", async () => {
    const dir = tempDir();
    const path = join(dir, "f.json");
    await nodeWriter.writeFileAtomic(path, '{"a":1}');
    assert.equal(readFileSync(path, "utf8"), '{"a":1}');
    nodeWriter.writeFileAtomicSync(path, '{"a":2}');
    assert.equal(readFileSync(path, "utf8"), '{"a":2}');
    assert.deepEqual(names(dir), ["f.json"]);
    removeDir(dir);
  });
});

describe("the Node exit listeners", () => {
  const events = ["SIGINT", "SIGTERM", "exit", "uncaughtExceptionMonitor"] as const;
  const count = () => events.map((event) => process.listenerCount(event));

  it("are one set for every armed dumper, removed when the last one is disarmed", () => {
    const before = count();
    const disarmFirst = nodeWriter.onExit(() => {}, true);
    const disarmSecond = nodeWriter.onExit(() => {}, true);
    assert.deepEqual(count(), before.map((n) => n + 1));
    disarmFirst();
    disarmFirst();
    assert.deepEqual(count(), before.map((n) => n + 1));
    disarmSecond();
    assert.deepEqual(count(), before);
  });

  it("leave SIGINT and SIGTERM alone while no armed dumper wants signals", () => {
    const before = count();
    const disarmQuiet = nodeWriter.onExit(() => {}, false);
    assert.deepEqual(count(), [before[0], before[1], before[2] + 1, before[3] + 1]);
    const disarmLoud = nodeWriter.onExit(() => {}, true);
    assert.deepEqual(count(), before.map((n) => n + 1));
    disarmLoud();
    assert.deepEqual(count(), [before[0], before[1], before[2] + 1, before[3] + 1]);
    disarmQuiet();
    assert.deepEqual(count(), before);
  });
});
