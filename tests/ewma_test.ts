import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Ewma, ewmaAlpha, TICK_INTERVAL_SECONDS } from "../src/_ewma.ts";
import { mulberry32 } from "./_random.ts";

function assertClose(actual: number, expected: number, tolerance: number): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${actual} vs ${expected}: off by ${Math.abs(actual - expected)}`,
  );
}

const TICKS_IN_15_MINUTES = 15 * 60 / TICK_INTERVAL_SECONDS;

function allThree(): Ewma[] {
  return [Ewma.oneMinute(), Ewma.fiveMinute(), Ewma.fifteenMinute()];
}

function feedSteadily(ewmas: Ewma[], eventsPerSecond: number, ticks: number): void {
  for (let t = 0; t < ticks; t++) {
    for (const ewma of ewmas) {
      ewma.update(eventsPerSecond * TICK_INTERVAL_SECONDS);
      ewma.tick();
    }
  }
}

describe("ewmaAlpha", () => {
  it("is 1 - exp(-5/60/minutes) for the classic windows", () => {
    assert.equal(ewmaAlpha(1), 1 - Math.exp(-5 / 60));
    assert.equal(ewmaAlpha(5), 1 - Math.exp(-5 / 60 / 5));
    assert.equal(ewmaAlpha(15), 1 - Math.exp(-5 / 60 / 15));
  });

  it("backs the one-, five- and fifteen-minute constructors", () => {
    assert.deepEqual(allThree().map((e) => e.alpha), [ewmaAlpha(1), ewmaAlpha(5), ewmaAlpha(15)]);
  });
});

describe("Ewma rate", () => {
  it("is 0 before the first tick", () => {
    const ewma = Ewma.oneMinute();
    ewma.update(100);
    assert.equal(ewma.rate, 0);
    assert.equal(ewma.uncounted, 100);
  });

  it("takes the instant rate, in events per second, at the first tick", () => {
    const ewma = Ewma.fifteenMinute();
    ewma.update(50);
    ewma.tick();
    assert.equal(ewma.rate, 10);
    assert.equal(ewma.uncounted, 0);
  });

  it("moves by alpha towards each later tick's instant rate", () => {
    const ewma = Ewma.oneMinute();
    ewma.update(50);
    ewma.tick();
    ewma.update(100);
    ewma.tick();
    assertClose(ewma.rate, 10 + ewma.alpha * (20 - 10), 1e-12);
  });

  it("is 10/s for m1, m5 and m15 after a steady 10 events/s for 15 minutes", () => {
    const ewmas = allThree();
    feedSteadily(ewmas, 10, TICKS_IN_15_MINUTES);
    for (const ewma of ewmas) assertClose(ewma.rate, 10, 1e-6);
  });

  it("follows the closed form when a steady rate starts after a first idle tick", () => {
    // Initialized at 0, then k ticks at r: rate = r * (1 - (1 - alpha)^k).
    const ewmas = allThree();
    for (const ewma of ewmas) ewma.tick();
    feedSteadily(ewmas, 10, TICKS_IN_15_MINUTES);
    for (const ewma of ewmas) {
      assertClose(ewma.rate, 10 * (1 - Math.pow(1 - ewma.alpha, TICKS_IN_15_MINUTES)), 1e-6);
    }
  });

  it("decays as (1 - alpha)^N after N idle ticks", () => {
    const ewmas = allThree();
    feedSteadily(ewmas, 10, TICKS_IN_15_MINUTES);
    for (const n of [1, 12, 60, 180]) {
      for (const ewma of ewmas) {
        const before = ewma.rate;
        for (let t = 0; t < n; t++) ewma.tick();
        assertClose(ewma.rate, before * Math.pow(1 - ewma.alpha, n), 1e-9);
      }
    }
  });

  it("returns to the initial state on clear", () => {
    const ewma = Ewma.oneMinute();
    ewma.update(50);
    ewma.tick();
    ewma.clear();
    ewma.update(25);
    ewma.tick();
    assert.equal(ewma.rate, 5);
  });
});

describe("Ewma.tickMany", () => {
  it("equals n single ticks to 1e-12", () => {
    const random = mulberry32(1);
    const lazy = allThree();
    const eager = allThree();
    for (let step = 0; step < 500; step++) {
      const events = Math.floor(random() * 1000);
      const ticks = Math.floor(random() * 30);
      for (let i = 0; i < 3; i++) {
        lazy[i].update(events);
        lazy[i].tickMany(ticks);
        eager[i].update(events);
        for (let t = 0; t < ticks; t++) eager[i].tick();
        assertClose(lazy[i].rate, eager[i].rate, 1e-12 * Math.max(1, eager[i].rate));
      }
    }
  });

  it("folds the pending events into the first of the n ticks only", () => {
    const ewma = Ewma.fiveMinute();
    ewma.update(50);
    ewma.tickMany(1);
    ewma.update(100);
    ewma.tickMany(4);
    const afterFirst = 10 + ewma.alpha * (20 - 10);
    assertClose(ewma.rate, afterFirst * Math.pow(1 - ewma.alpha, 3), 1e-12);
  });

  it("does nothing for zero ticks", () => {
    const ewma = Ewma.oneMinute();
    ewma.update(50);
    ewma.tickMany(0);
    assert.equal(ewma.rate, 0);
    assert.equal(ewma.uncounted, 50);
  });
});

describe("Ewma construction", () => {
  it("rejects an alpha outside (0, 1]", () => {
    assert.throws(() => new Ewma(0), RangeError);
    assert.throws(() => new Ewma(1.5), RangeError);
  });
});
