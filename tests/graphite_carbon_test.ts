/**
 * The Graphite pusher against a real carbon-cache: exact names, values and
 * timestamps read back from whisper; hostile names; outages.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  DoubleStat,
  getStats,
  IntDictStat,
  IntStat,
  reset,
  setLogger,
  Stat,
} from "@scales/core";
import { GraphitePeriodicPusher, GraphitePusher } from "@scales/core/graphite";
import { nodeAdapter } from "../runtime/node.ts";
import { Carbon, type Point, skipWithout, whisperFetch } from "./_carbon.ts";

const skip = skipWithout("carbon-cache", "whisper-fetch");

function graphiteStats(): Record<string, number> {
  return getStats("/scales/graphite") as Record<string, number>;
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("GraphitePusher with a real carbon-cache", { skip }, () => {
  let carbon: Carbon;
  before(async () => {
    carbon = await Carbon.start();
  });
  after(async () => {
    await carbon?.dispose();
  });

  it("stores exact names, values and the push timestamp", async () => {
    reset();
    const STATS = collection(
      "/exact/web",
      IntStat("hits"),
      DoubleStat("load"),
      Stat("up", true),
      IntDictStat("byStatus"),
    );
    STATS.hits = 1234567;
    STATS.load = 0.375;
    STATS.byStatus["200"] = 17;
    STATS.byStatus["404"] = 2;
    const fixedNow = Math.floor(Date.now() / 1000) * 1000 - 60_000 + 500;
    const pusher = new GraphitePusher("127.0.0.1", carbon.port, "exact", { clock: () => fixedNow })
      .forbid("scales/*");
    assert.equal(await pusher.push(), true);
    await pusher.close();
    const ts = Math.floor(fixedNow / 1000);
    const expected: Record<string, number> = {
      "exact.exact.web.hits": 1234567,
      "exact.exact.web.load": 0.375,
      "exact.exact.web.up": 1,
      "exact.exact.web.byStatus.200": 17,
      "exact.exact.web.byStatus.404": 2,
    };
    const names = Object.keys(expected).sort();
    assert.ok(
      await carbon.waitUntil(() => names.every((name) => carbon.points(name).length > 0)),
      `series present: ${carbon.series().join(", ")}`,
    );
    assert.deepEqual(carbon.series().filter((name) => name.startsWith("exact.")), names);
    for (const name of names) {
      const points = await whisperFetch(carbon.whisperPath(name), ts - 5, ts + 5);
      assert.deepEqual(points, [[ts, expected[name]]], name);
    }
  });

  it("delivers through the node:net seam too", async () => {
    reset();
    collection("/seam", IntStat("viaNode", 99));
    const pusher = new GraphitePusher("127.0.0.1", carbon.port, "node", {
      connector: (host, port) => nodeAdapter().connect(host, port),
    }).forbid("scales/*");
    assert.equal(await pusher.push(), true);
    await pusher.close();
    assert.ok(await carbon.waitUntil(() => carbon.points("node.seam.viaNode").length === 1));
    assert.equal(carbon.points("node.seam.viaNode")[0][1], 99);
  });

  it("turns hostile dict keys into exactly the expected series and no others", async () => {
    reset();
    const STATS = collection("/d", IntDictStat("k"));
    const hostile: Array<[string, string]> = [
      ["line\nbreak", "line_break"],
      ["x 1 0\nevil.metric 666", "x-1-0_evil-metric-666"],
      ["dots.in.key", "dots-in-key"],
      ["spaces in key", "spaces-in-key"],
      ["ünïcödé", "_n_c_d_"],
      ["", "_"],
      ["😀x", "_x"],
      ["../../etc/passwd", "--_--_etc_passwd"],
      ["tag;a=b", "tag_a_b"],
      ["\u0000\u001b[31m", "___31m"],
      ["\r\n", "__"],
    ];
    hostile.forEach(([key], i) => STATS.k[key] = i + 1);
    const pusher = new GraphitePusher("127.0.0.1", carbon.port, "hostile").forbid("scales/*");
    assert.equal(await pusher.push(), true);
    await pusher.close();
    const expected = hostile.map(([, name]) => `hostile.d.k.${name}`).sort();
    assert.ok(
      await carbon.waitUntil(() => expected.every((name) => carbon.points(name).length > 0)),
      `series present: ${carbon.series().join(", ")}`,
    );
    // Nothing else appeared: no injected metric, no extra level.
    assert.deepEqual(
      carbon.series().filter((name) => !/^(exact|node|hostile)\./.test(name)),
      [],
    );
    assert.deepEqual(
      carbon.series().filter((name) => name.startsWith("hostile.")),
      expected,
    );
    hostile.forEach(([, name], i) => {
      assert.deepEqual(carbon.points(`hostile.d.k.${name}`).map(([, v]) => v), [i + 1], name);
    });
  });
});

describe("GraphitePeriodicPusher across carbon-cache restarts", { skip }, () => {
  /** A gauge that counts its reads and remembers each read's push timestamp. */
  function sequence(prefix: string, maxQueuedPushes: number) {
    reset();
    let lastNow = 0;
    let seq = 0;
    const pushed: Point[] = [];
    collection(
      "/app",
      Stat("seq", () => {
        seq += 1;
        pushed.push([Math.floor(lastNow / 1000), seq]);
        return seq;
      }),
    );
    const clock = () => (lastNow = Date.now());
    return {
      pushed,
      make: (port: number) =>
        new GraphitePeriodicPusher("127.0.0.1", port, prefix, {
          periodMs: 1_050, // never two pushes in one whole second
          clock,
          minBackoffMs: 100,
          maxBackoffMs: 400,
          maxQueuedPushes,
        }).forbid("scales/*"),
    };
  }

  it("sends every period's points with their own timestamps after an outage", async () => {
    const previous = setLogger(() => {});
    const carbon = await Carbon.start();
    try {
      const run = sequence("outage", 60);
      const pusher = run.make(carbon.port).start();
      await until(() => graphiteStats().sentPushes >= 2, 10_000);
      await carbon.stop();
      const before = graphiteStats().pushes;
      await until(() => graphiteStats().pushes >= before + 4, 10_000);
      assert.ok(pusher.queuedPushes >= 3, `${pusher.queuedPushes} pushes queued during the outage`);
      await carbon.restart();
      await until(() => pusher.queuedPushes === 0, 10_000);
      const pushes = graphiteStats().pushes;
      await until(() => graphiteStats().sentPushes >= pushes + 1, 10_000);
      assert.equal(await pusher.stop(), true);
      assert.equal(graphiteStats().droppedPushes, 0);
      const expected = run.pushed.slice();
      assert.ok(
        await carbon.waitUntil(() => carbon.points("outage.app.seq").length >= expected.length),
      );
      assert.deepEqual(carbon.points("outage.app.seq"), expected);
    } finally {
      await carbon.dispose();
      setLogger(previous);
    }
  });

  it("drops the oldest pushes of a longer outage, and counts exactly what is missing", async () => {
    const previous = setLogger(() => {});
    const carbon = await Carbon.start();
    try {
      const run = sequence("overflow", 3);
      const pusher = run.make(carbon.port).start();
      await until(() => graphiteStats().sentPushes >= 1, 10_000);
      await carbon.stop();
      const before = graphiteStats().pushes;
      await until(() => graphiteStats().pushes >= before + 6, 12_000);
      await carbon.restart();
      await until(() => pusher.queuedPushes === 0, 10_000);
      assert.equal(await pusher.stop(), true);
      const dropped = graphiteStats().droppedPushes;
      assert.ok(dropped >= 3, `${dropped} pushes dropped`);
      const expected = run.pushed.slice();
      assert.ok(
        await carbon.waitUntil(() =>
          carbon.points("overflow.app.seq").length >= expected.length - dropped
        ),
      );
      const stored = carbon.points("overflow.app.seq");
      const storedSeqs = new Set(stored.map(([, seq]) => seq));
      const missing = expected.filter(([, seq]) => !storedSeqs.has(seq));
      assert.equal(missing.length, dropped);
      // What is stored is exactly what was pushed, at its own timestamp.
      assert.deepEqual(stored, expected.filter(([, seq]) => storedSeqs.has(seq)));
      // The dropped pushes are the oldest of the outage: one contiguous run.
      const first = missing[0][1];
      assert.deepEqual(missing.map(([, seq]) => seq), missing.map((_, i) => first + i));
    } finally {
      await carbon.dispose();
      setLogger(previous);
    }
  });
});
