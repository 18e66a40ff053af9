import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  getStats,
  IntDictStat,
  IntStat,
  NamedPmfDictStat,
  reset,
  StateTimeStat,
  StringDictStat,
} from "@scales/core";

/** `__proto__` is a key like any other (a request path can be anything), on every runtime. */
describe("a key named __proto__", () => {
  it("stays an own key of every snapshot, which keeps its plain prototype", () => {
    reset();
    const STATS = collection(
      "/a",
      IntDictStat("byPath"),
      StringDictStat("owner"),
      NamedPmfDictStat("latency"),
      StateTimeStat("state"),
    );
    STATS.byPath["__proto__"] += 2;
    STATS.owner["__proto__"] = "x";
    STATS.latency["__proto__"]!.add(5);
    STATS.state = "__proto__";
    collection("/__proto__", IntStat("n", 3));
    const snapshot = getStats()!;
    const a = snapshot.a as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(snapshot), ["a", "__proto__"]);
    assert.deepEqual(Object.getOwnPropertyDescriptor(snapshot, "__proto__")?.value, { n: 3 });
    assert.equal(Object.getOwnPropertyDescriptor(a.byPath, "__proto__")?.value, 2);
    assert.equal(Object.getOwnPropertyDescriptor(a.owner, "__proto__")?.value, "x");
    assert.equal(
      (Object.getOwnPropertyDescriptor(a.latency, "__proto__")?.value as { max: number }).max,
      5,
    );
    assert.deepEqual(Object.keys(a.state!), ["__proto__"]);
    for (const object of [snapshot, a.byPath, a.owner, a.latency, a.state]) {
      assert.equal(Object.getPrototypeOf(object), Object.prototype);
    }
    assert.equal(
      JSON.stringify(a.byPath) + JSON.stringify(a.owner),
      '{"__proto__":2}{"__proto__":"x"}',
    );
  });
});
