import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  getStats,
  IntDictStat,
  IntDictSumAggregationStat,
  OVERFLOW_KEY,
  reset,
  setLogger,
  StringDictStat,
} from "@scales/core";

describe("IntDictStat", () => {
  it("reads 0 for unseen keys, so += works on a new key", () => {
    reset();
    const STATS = collection("/web", IntDictStat("byPath"));
    assert.equal(STATS.byPath["/never"], 0);
    STATS.byPath["/login"] += 1;
    STATS.byPath["/login"] += 1;
    assert.deepEqual(getStats(), { web: { byPath: { "/login": 2 } } });
  });

  it("counts with inc(key) and inc(key, n)", () => {
    reset();
    const STATS = collection("/web", IntDictStat("byPath"));
    STATS.byPath.inc("/a");
    STATS.byPath.inc("/a", 4);
    assert.deepEqual(getStats(), { web: { byPath: { "/a": 5 } } });
  });

  it("rejects a non-integer with a TypeError naming the path and key", () => {
    reset();
    const STATS = collection("/web", IntDictStat("byPath"));
    assert.throws(() => (STATS.byPath["/a"] = 0.5), {
      name: "TypeError",
      message: 'IntDictStat /web/byPath["/a"] takes an integer, got 0.5',
    });
    assert.throws(() => STATS.byPath.inc("/a", NaN), {
      name: "TypeError",
      message: "IntDictStat /web/byPath.inc takes an integer, got NaN",
    });
  });

  it("lists its keys, which cannot be deleted", () => {
    reset();
    const STATS = collection("/web", IntDictStat("byPath"));
    STATS.byPath.inc("/a");
    STATS.byPath["/b"] += 1;
    assert.deepEqual(Object.keys(STATS.byPath), ["/a", "/b"]);
    assert.equal("/a" in STATS.byPath, true);
    assert.equal("/c" in STATS.byPath, false);
    assert.deepEqual({ ...STATS.byPath }, { "/a": 1, "/b": 1 });
    assert.throws(() => delete STATS.byPath["/a"], TypeError);
  });

  it("counts a number key from untyped code under its string form, in the dict and its roll-up", () => {
    reset();
    collection("/web", IntDictSumAggregationStat("byStatus"));
    const STATS = collection("/web/a", IntDictStat("byStatus"));
    const inc = STATS.byStatus.inc as (key: unknown, n?: number) => void;
    inc(404);
    inc(404);
    STATS.byStatus.inc("404");
    STATS.byStatus["404"] += 1;
    assert.equal(STATS.byStatus["404"], 4);
    assert.deepEqual(getStats(), {
      web: { byStatus: { "404": 4 }, a: { byStatus: { "404": 4 } } },
    });
  });

  it("counts a key named like the inc method through inc", () => {
    reset();
    const STATS = collection("/web", IntDictStat("byPath"));
    STATS.byPath.inc("inc", 2);
    assert.deepEqual(getStats(), { web: { byPath: { inc: 2 } } });
  });

  it("counts keys past the cap under the overflow key and warns once", () => {
    reset();
    const logged: string[] = [];
    const previous = setLogger((message) => logged.push(message));
    try {
      const STATS = collection("/web", IntDictStat("byPath", { maxKeys: 2 }));
      for (const key of ["/a", "/b", "/c", "/d", "/a"]) STATS.byPath.inc(key);
      STATS.byPath["/e"] += 1;
      assert.deepEqual(getStats(), { web: { byPath: { "/a": 2, "/b": 1, [OVERFLOW_KEY]: 3 } } });
      assert.deepEqual(logged, [
        'dict stat /web/byPath reached its cap of 2 keys; further new keys count under "(other)"',
      ]);
    } finally {
      setLogger(previous);
    }
  });

  it("rejects a bad key cap at declaration", () => {
    assert.throws(() => IntDictStat("byPath", { maxKeys: 0 }), {
      name: "TypeError",
      message: 'dict stat "byPath": maxKeys must be a positive integer, got 0',
    });
  });

  it("cannot be replaced as a whole", () => {
    reset();
    const STATS = collection("/web", IntDictStat("byPath"));
    assert.throws(() => ((STATS as Record<string, unknown>).byPath = {}), {
      name: "TypeError",
      message: "IntDictStat /web/byPath cannot be replaced; set its keys instead, got an object",
    });
  });
});

describe("StringDictStat", () => {
  it("reads an empty string for unseen keys and keeps what is set", () => {
    reset();
    const STATS = collection("/cluster", StringDictStat("leader"));
    assert.equal(STATS.leader["shard-1"], "");
    STATS.leader["shard-1"] = "host-3";
    assert.deepEqual(getStats(), { cluster: { leader: { "shard-1": "host-3" } } });
  });

  it("rejects a non-string with a TypeError naming the path and key", () => {
    reset();
    const STATS = collection("/cluster", StringDictStat("leader"));
    assert.throws(() => ((STATS.leader as Record<string, unknown>)["s"] = 3), {
      name: "TypeError",
      message: 'StringDictStat /cluster/leader["s"] takes a string, got 3',
    });
  });
});
