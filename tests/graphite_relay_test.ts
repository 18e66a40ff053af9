/**
 * Scale-out: a real carbon-c-relay with consistent hashing in front of two
 * carbon-cache instances. Every series lands on exactly one cache, none is lost.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { collection, IntDictStat, reset } from "@scales/core";
import { GraphitePusher } from "@scales/core/graphite";
import { Carbon, Relay, skipWithout } from "./_carbon.ts";

const SERIES = 3_000;

describe("GraphitePusher through carbon-c-relay (carbon_ch) to two carbon-caches", {
  skip: skipWithout("carbon-cache", "carbon-c-relay"),
}, () => {
  let caches: Carbon[] = [];
  let relay: Relay | undefined;
  before(async () => {
    caches = await Promise.all([Carbon.start(), Carbon.start()]);
    relay = await Relay.start(caches.map((cache) => cache.port));
  });
  after(async () => {
    await relay?.dispose();
    await Promise.all(caches.map((cache) => cache.dispose()));
  });

  it(`stores each of ${SERIES} series on exactly one cache, with its value`, async () => {
    reset();
    const STATS = collection("/shard", IntDictStat("byKey", { maxKeys: SERIES }));
    const expected = new Map<string, number>();
    for (let i = 0; i < SERIES; i++) {
      STATS.byKey[`k${i}`] = i;
      expected.set(`scaleout.shard.byKey.k${i}`, i);
    }
    const pusher = new GraphitePusher("127.0.0.1", relay!.port, "scaleout").forbid("scales/*");
    assert.equal(await pusher.push(), true);
    await pusher.close();

    const count = () => caches[0].series().length + caches[1].series().length;
    assert.ok(await caches[0].waitUntil(() => count() >= SERIES, 60_000), `${count()} series`);
    const [a, b] = caches.map((cache) => new Set(cache.series()));
    const both = [...a].filter((name) => b.has(name));
    assert.deepEqual(both, [], "no series is on both caches");
    assert.deepEqual([...a, ...b].sort(), [...expected.keys()].sort(), "no series is lost");
    assert.ok(a.size > SERIES / 4 && b.size > SERIES / 4, `split ${a.size} / ${b.size}`);
    assert.ok(
      await caches[0].waitUntil(
        () =>
          caches.every((cache) => cache.series().every((name) => cache.points(name).length === 1)),
        60_000,
      ),
    );
    for (const cache of caches) {
      for (const name of cache.series()) {
        assert.equal(cache.points(name)[0][1], expected.get(name), name);
      }
    }
  });
});
