import { describe, it } from "node:test";
import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import {
  collection,
  getStats,
  Meter,
  MeterDictStat,
  type MeterSnapshot,
  MeterStat,
  reset,
} from "@scales/core";

/** Runs `body` with faked timers and clocks; the shared coarse clock restarts under them. */
function withFakeTime(body: (clock: FakeTimers.InstalledClock) => void): void {
  const clock = FakeTimers.install({
    toFake: ["performance", "Date", "setInterval", "clearInterval", "setTimeout", "clearTimeout"],
  });
  reset();
  try {
    body(clock);
  } finally {
    reset();
    clock.uninstall();
  }
}

const alpha = (minutes: number) => 1 - Math.exp(-5 / 60 / minutes);

/**
 * Marks `perSecond` events every second for `seconds`, in 100 ms steps placed
 * mid-step (t = 50, 150, ...), so no mark falls on a 5-second tick boundary.
 */
function steady(
  meter: Meter,
  clock: FakeTimers.InstalledClock,
  perSecond: number,
  seconds: number,
) {
  clock.tick(50);
  for (let step = 0; step < seconds * 10; step++) {
    meter.mark(perSecond / 10);
    clock.tick(100);
  }
}

describe("MeterStat", () => {
  it("counts marks, mark(n) and assignment", () => {
    reset();
    const STATS = collection("/web", MeterStat("hits"));
    STATS.hits.mark();
    STATS.hits.mark(4);
    (STATS as unknown as { hits: number }).hits = 5;
    assert.equal(STATS.hits.count, 10);
    assert.equal((getStats("/web")?.hits as unknown as MeterSnapshot).unit, "per second");
  });

  it("a steady 10/s for 15 minutes gives m1, m5 and m15 of 10 within 1e-6", () => {
    withFakeTime((clock) => {
      const meter = new Meter();
      steady(meter, clock, 10, 900);
      const snapshot = meter.snapshot();
      assert.equal(snapshot.count, 9000);
      assert.ok(Math.abs(snapshot.m1 - 10) < 1e-6, `m1 ${snapshot.m1}`);
      assert.ok(Math.abs(snapshot.m5 - 10) < 1e-6, `m5 ${snapshot.m5}`);
      assert.ok(Math.abs(snapshot.m15 - 10) < 1e-6, `m15 ${snapshot.m15}`);
      assert.equal(snapshot.mean, 9000 / 900.05); // the clock stands at 900.05 s
    });
  });

  it("after going idle, the rates decay by (1 - alpha) per 5-second tick", () => {
    withFakeTime((clock) => {
      const meter = new Meter();
      steady(meter, clock, 10, 900);
      clock.tick(60_000); // 12 idle ticks
      const snapshot = meter.snapshot();
      for (const [field, minutes] of [["m1", 1], ["m5", 5], ["m15", 15]] as const) {
        const expected = 10 * Math.pow(1 - alpha(minutes), 12);
        assert.ok(
          Math.abs(snapshot[field] - expected) < 1e-6,
          `${field} ${snapshot[field]} vs ${expected}`,
        );
      }
    });
  });

  it("follows the closed form after a step from 0 to 20/s", () => {
    withFakeTime((clock) => {
      const meter = new Meter();
      steady(meter, clock, 20, 60); // 12 ticks at 20/s; the first tick sets the rate
      const snapshot = meter.snapshot();
      for (const [field] of [["m1"], ["m5"], ["m15"]] as const) {
        assert.ok(Math.abs(snapshot[field] - 20) < 1e-6, `${field} ${snapshot[field]}`);
      }
    });
  });

  it("catches up over a long idle gap in one step", () => {
    withFakeTime((clock) => {
      const meter = new Meter();
      steady(meter, clock, 10, 60);
      clock.tick(24 * 3600 * 1000);
      const snapshot = meter.snapshot();
      assert.equal(snapshot.count, 600);
      const expected = 10 * Math.pow(1 - alpha(15), 17_280); // a day is 17,280 ticks
      assert.ok(Math.abs(snapshot.m15 / expected - 1) < 1e-9, `m15 ${snapshot.m15}`);
    });
  });

  it("rejects a non-finite mark with a TypeError naming the stat", () => {
    reset();
    const STATS = collection("/web", MeterStat("hits"));
    assert.throws(() => STATS.hits.mark(NaN), {
      name: "TypeError",
      message: "MeterStat /web/hits marks a finite number of events, got NaN",
    });
  });
});

describe("MeterDictStat", () => {
  it("makes a meter per key on first use", () => {
    reset();
    const STATS = collection("/web", MeterDictStat("hitsByPath"));
    STATS.hitsByPath["/a"]!.mark(2);
    STATS.hitsByPath["/b"]!.mark();
    const snapshot = getStats("/web")?.hitsByPath as unknown as Record<string, MeterSnapshot>;
    assert.deepEqual(Object.keys(snapshot), ["/a", "/b"]);
    assert.equal(snapshot["/a"]!.count, 2);
  });

  it("is not made thenable or given a toJSON key by await, return or JSON.stringify", async () => {
    reset();
    const STATS = collection("/web", MeterDictStat("hitsByPath"));
    STATS.hitsByPath["/a"]!.mark();
    const dict = await Promise.resolve(STATS.hitsByPath);
    assert.equal(dict, STATS.hitsByPath);
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(STATS.hitsByPath))), ["/a"]);
    assert.deepEqual(Object.keys(STATS.hitsByPath), ["/a"]);
    assert.deepEqual(Object.keys(getStats("/web")?.hitsByPath ?? {}), ["/a"]);
  });

  it("counts keys past the cap under the overflow key", () => {
    reset();
    const STATS = collection("/web", MeterDictStat("hitsByPath", { maxKeys: 1 }));
    STATS.hitsByPath["/a"]!.mark();
    STATS.hitsByPath["/b"]!.mark();
    STATS.hitsByPath["/c"]!.mark();
    assert.deepEqual(Object.keys(STATS.hitsByPath), ["/a", "(other)"]);
    assert.equal(STATS.hitsByPath["(other)"]!.count, 2);
  });
});
