import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { collection, DoubleStat, getStats, IntStat, reset, setLogger, Stat } from "@scales/core";

describe("IntStat", () => {
  it("starts at 0 and counts with +=", () => {
    reset();
    const STATS = collection("/web", IntStat("errors"), IntStat("success"));
    STATS.success += 1;
    STATS.success += 1;
    assert.deepEqual(getStats(), { web: { errors: 0, success: 2 } });
  });

  it("starts at the given initial value", () => {
    reset();
    const STATS = collection("/web", IntStat("retries", 5));
    assert.equal(STATS.retries, 5);
  });

  it("rejects a fraction with a TypeError naming the path and the value", () => {
    reset();
    const STATS = collection("/web", IntStat("errors"));
    assert.throws(() => (STATS.errors = 1.5), {
      name: "TypeError",
      message: "IntStat /web/errors takes an integer, got 1.5",
    });
    assert.equal(STATS.errors, 0);
  });

  it("rejects NaN, strings and Infinity", () => {
    reset();
    const STATS = collection("/web", IntStat("errors"));
    const bad: unknown[] = [NaN, "3", Infinity];
    for (const value of bad) {
      assert.throws(
        () => Reflect.set(STATS, "errors", value) || assert.fail("no throw"),
        TypeError,
      );
    }
    assert.throws(() => ((STATS as Record<string, unknown>).errors = "3"), {
      message: 'IntStat /web/errors takes an integer, got "3"',
    });
  });

  it("rejects a non-integer initial value at declaration", () => {
    assert.throws(() => IntStat("x", 0.5), {
      name: "TypeError",
      message: 'IntStat "x" initial value must be an integer, got 0.5',
    });
  });

  it("gives the collection a typed property and no others", () => {
    reset();
    const STATS = collection("/typed", IntStat("errors"));
    const n: number = STATS.errors;
    // @ts-expect-error: undeclared stats do not exist on the collection
    const missing = STATS.nope;
    assert.equal(n, 0);
    assert.equal(missing, undefined);
  });
});

describe("DoubleStat", () => {
  it("holds fractions", () => {
    reset();
    const STATS = collection("/cache", DoubleStat("hitRatio"));
    STATS.hitRatio = 0.75;
    assert.deepEqual(getStats(), { cache: { hitRatio: 0.75 } });
  });

  it("rejects NaN with a TypeError naming the path", () => {
    reset();
    const STATS = collection("/cache", DoubleStat("hitRatio"));
    assert.throws(() => (STATS.hitRatio = NaN), {
      name: "TypeError",
      message: "DoubleStat /cache/hitRatio takes a number (not NaN), got NaN",
    });
  });
});

describe("Stat (gauge)", () => {
  it("holds strings, numbers, booleans and null", () => {
    reset();
    const STATS = collection("/app", Stat<"mode", string | number | boolean | null>("mode"));
    assert.equal(STATS.mode, null);
    STATS.mode = "serving";
    assert.deepEqual(getStats(), { app: { mode: "serving" } });
    STATS.mode = true;
    assert.deepEqual(getStats(), { app: { mode: true } });
  });

  it("evaluates a function on every read", () => {
    reset();
    let calls = 0;
    const STATS = collection("/app", Stat("calls", () => ++calls));
    assert.deepEqual(getStats(), { app: { calls: 1 } });
    assert.deepEqual(getStats(), { app: { calls: 2 } });
    assert.equal(STATS.calls, 3);
  });

  it("shows an error marker for a throwing function, keeps other stats, logs once, counts each failure", () => {
    reset();
    const logged: string[] = [];
    const previous = setLogger((message) => logged.push(message));
    try {
      collection(
        "/app",
        IntStat("ok", 7),
        Stat("broken", (): number => {
          throw new Error("disk gone");
        }),
      );
      assert.deepEqual(getStats("/app"), { ok: 7, broken: "<error: disk gone>" });
      assert.deepEqual(getStats(), {
        app: { ok: 7, broken: "<error: disk gone>" },
        scales: { readErrors: 2 },
      });
      assert.deepEqual(logged, ["stat /app/broken failed to read"]);
    } finally {
      setLogger(previous);
    }
  });

  it("shows an error marker for a function returning an object", () => {
    reset();
    collection("/app", Stat("weird", () => ({}) as unknown as number));
    const previous = setLogger(() => {});
    try {
      assert.deepEqual(getStats("/app"), { weird: "<error: gauge function returned an object>" });
    } finally {
      setLogger(previous);
    }
  });

  it("rejects an object value with a TypeError naming the path", () => {
    reset();
    const STATS = collection("/app", Stat("mode", "a"));
    assert.throws(() => ((STATS as Record<string, unknown>).mode = { a: 1 }), {
      name: "TypeError",
      message: "Stat /app/mode takes a string, number, boolean, null or function, got an object",
    });
  });
});
