import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import FakeTimers from "@sinonjs/fake-timers";
import {
  collection,
  getStats,
  NamedPmfDictStat,
  Pmf,
  PmfAggregationStat,
  type PmfSnapshot,
  PmfStat,
  reset,
  setLogger,
} from "@scales/core";
import { logNormal as logNormalOf, mulberry32 as random } from "./_random.ts";

const logNormal = (next: () => number) => logNormalOf(next, 2, 1.5);

function withFakeTime(body: (clock: FakeTimers.InstalledClock) => void | Promise<void>) {
  const clock = FakeTimers.install({
    toFake: ["performance", "Date", "setInterval", "clearInterval", "setTimeout", "clearTimeout"],
  });
  reset();
  return (async () => {
    try {
      await body(clock);
    } finally {
      reset();
      clock.uninstall();
    }
  })();
}

const FIELDS = [
  ["median", 0.5],
  ["75percentile", 0.75],
  ["95percentile", 0.95],
  ["98percentile", 0.98],
  ["99percentile", 0.99],
  ["999percentile", 0.999],
] as const;

const pmfOf = (path: string, name: string) => getStats(path)?.[name] as unknown as PmfSnapshot;

describe("PmfStat snapshot", () => {
  it("has the seed's fields, exact count/min/max, and percentiles within 1%", () => {
    reset();
    const STATS = collection("/web", PmfStat("latency"));
    const next = random(7);
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = logNormal(next);
      values.push(v);
      STATS.latency.add(v);
    }
    const snapshot = pmfOf("/web", "latency");
    assert.deepEqual(Object.keys(snapshot), [
      "count",
      "sum",
      "min",
      "max",
      "mean",
      "stddev",
      "median",
      "75percentile",
      "95percentile",
      "98percentile",
      "99percentile",
      "999percentile",
    ]);
    const sorted = [...values].sort((a, b) => a - b);
    assert.equal(snapshot.count, 20_000);
    assert.equal(snapshot.min, sorted[0]);
    assert.equal(snapshot.max, sorted.at(-1));
    for (const [field, q] of FIELDS) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
      const error = Math.abs(snapshot[field] - exact) / exact;
      assert.ok(error <= 0.01, `${field}: ${snapshot[field]} vs ${exact}`);
    }
  });

  it("has mean and stddev within 1e-9 of a two-pass computation", () => {
    reset();
    const STATS = collection("/web", PmfStat("latency"));
    const next = random(11);
    const values = Array.from({ length: 5000 }, () => 1000 + next() * 10);
    for (const v of values) STATS.latency.add(v);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
    const snapshot = pmfOf("/web", "latency");
    assert.ok(Math.abs(snapshot.mean / mean - 1) < 1e-9);
    assert.ok(Math.abs(snapshot.stddev / Math.sqrt(variance) - 1) < 1e-9);
  });

  it("is all zeros but the all-time count when the window is empty", () => {
    reset();
    collection("/web", PmfStat("latency"));
    assert.deepEqual(pmfOf("/web", "latency"), {
      count: 0,
      sum: 0,
      min: 0,
      max: 0,
      mean: 0,
      stddev: 0,
      median: 0,
      "75percentile": 0,
      "95percentile": 0,
      "98percentile": 0,
      "99percentile": 0,
      "999percentile": 0,
    });
  });

  it("records through assignment", () => {
    reset();
    const STATS = collection("/web", PmfStat("latency"));
    (STATS as unknown as { latency: number }).latency = 12.5;
    assert.equal(pmfOf("/web", "latency").max, 12.5);
  });

  it("rejects a non-finite sample with a TypeError naming the stat", () => {
    reset();
    const STATS = collection("/web", PmfStat("latency"));
    assert.throws(() => STATS.latency.add(NaN), {
      name: "TypeError",
      message: "PmfStat /web/latency records finite numbers, got NaN",
    });
  });

  it("rejects a bucket cap under 128 at declaration", () => {
    assert.throws(() => PmfStat("latency", { maxBuckets: 64 }), {
      name: "TypeError",
      message: 'PmfStat "latency": maxBuckets must be an integer of at least 128, got 64',
    });
  });

  it("with maxBuckets 256, keeps 10 octaves at scale 4 rather than 6", () => {
    const pmf = new Pmf({ maxBuckets: 256 });
    for (let i = 0; i <= 1000; i++) pmf.add(Math.pow(2, i / 100)); // 1 to 1024
    const buckets = pmf.exponentialHistogram();
    assert.equal(buckets.scale, 4); // 160 buckets; scale 5 would need 320
    assert.equal(buckets.count, 1001);
  });

  it("rejects a bad window at declaration", () => {
    assert.throws(() => PmfStat("latency", { slots: 0 }), {
      name: "TypeError",
      message: 'PmfStat "latency": slots must be a positive integer, got 0',
    });
  });
});

describe("PmfStat window", () => {
  it("ages an old spike out after the window while count stays all-time", async () => {
    await withFakeTime((clock) => {
      const STATS = collection("/web", PmfStat("latency"));
      STATS.latency.add(5000);
      clock.tick(60_000);
      STATS.latency.add(10);
      assert.equal(pmfOf("/web", "latency").max, 5000);
      clock.tick(250_000);
      STATS.latency.add(20);
      const snapshot = pmfOf("/web", "latency");
      assert.equal(snapshot.max, 20);
      assert.equal(snapshot.min, 10);
      assert.equal(snapshot.count, 3);
      assert.equal(snapshot.sum, 5030);
    });
  });

  it("forgets everything after a long idle gap, even without new samples", async () => {
    await withFakeTime((clock) => {
      const STATS = collection("/web", PmfStat("latency", { windowMs: 10_000, slots: 2 }));
      STATS.latency.add(1);
      clock.tick(3_600_000);
      assert.equal(pmfOf("/web", "latency").max, 0);
    });
  });
});

describe("Pmf snapshot cache", () => {
  it("sees a sample recorded after the last read", async () => {
    await withFakeTime(() => {
      const pmf = new Pmf();
      pmf.add(10);
      assert.equal(pmf.snapshot().max, 10);
      pmf.add(30);
      const snapshot = pmf.snapshot();
      assert.deepEqual([snapshot.count, snapshot.max, snapshot.sum], [2, 30, 40]);
    });
  });

  it("gives equal (the same, frozen) snapshots for two reads without a write between them", async () => {
    await withFakeTime((clock) => {
      const pmf = new Pmf();
      for (let i = 1; i <= 100; i++) pmf.add(i);
      const first = pmf.snapshot();
      clock.tick(1_000); // time passes within the slot
      const second = pmf.snapshot();
      assert.equal(second, first);
      assert.ok(Object.isFrozen(second));
      assert.deepEqual(second.median, first.median);
    });
  });

  it("is invalidated when the window moves on, without a write", async () => {
    await withFakeTime((clock) => {
      const pmf = new Pmf({ windowMs: 10_000, slots: 2 });
      pmf.add(7);
      assert.equal(pmf.snapshot().max, 7);
      clock.tick(5_000); // the sample's slot is still in the window
      assert.equal(pmf.snapshot().max, 7);
      clock.tick(5_000); // now it has left
      const snapshot = pmf.snapshot();
      assert.deepEqual([snapshot.count, snapshot.max], [1, 0]);
    });
  });

  it("is invalidated by a write that only lands after a rotation", async () => {
    await withFakeTime((clock) => {
      const pmf = new Pmf({ windowMs: 10_000, slots: 2 });
      pmf.add(7);
      assert.equal(pmf.snapshot().max, 7);
      clock.tick(5_000);
      pmf.add(3);
      const snapshot = pmf.snapshot();
      assert.deepEqual([snapshot.count, snapshot.min, snapshot.max], [2, 3, 7]);
    });
  });
});

describe("timing", () => {
  it("records the duration of a using block in milliseconds", async () => {
    await withFakeTime((clock) => {
      const STATS = collection("/web", PmfStat("latency"));
      {
        using _t = STATS.latency.time();
        clock.tick(42);
      }
      assert.equal(pmfOf("/web", "latency").max, 42);
    });
  });

  it("stop() records once and returns the duration; discard() records nothing", async () => {
    await withFakeTime((clock) => {
      const STATS = collection("/web", PmfStat("latency"));
      const t = STATS.latency.time();
      clock.tick(7);
      assert.equal(t.stop(), 7);
      t.stop();
      const d = STATS.latency.time();
      d.discard();
      d.stop();
      assert.equal(STATS.latency.count, 1);
    });
  });

  it("time(fn) returns the result and records a sync function's duration", async () => {
    await withFakeTime((clock) => {
      const STATS = collection("/web", PmfStat("latency"));
      const result = STATS.latency.time(() => {
        clock.tick(3);
        return "done";
      });
      assert.equal(result, "done");
      assert.equal(pmfOf("/web", "latency").max, 3);
    });
  });

  it("time(fn) records when a promise settles and rethrows its rejection", async () => {
    await withFakeTime(async (clock) => {
      const STATS = collection("/web", PmfStat("latency"));
      const failing = STATS.latency.time(async () => {
        await new Promise((resolve) => setTimeout(resolve, 25));
        throw new Error("backend down");
      });
      const rejected = assert.rejects(failing, { message: "backend down" });
      await clock.tickAsync(25);
      await rejected;
      assert.equal(pmfOf("/web", "latency").max, 25);
    });
  });

  it("time(fn) records and rethrows a sync throw", () => {
    reset();
    const STATS = collection("/web", PmfStat("latency"));
    assert.throws(() =>
      STATS.latency.time(() => {
        throw new RangeError("bad");
      }), RangeError);
    assert.equal(STATS.latency.count, 1);
  });

  it("warn99 calls the logger for a duration at or above the 99th percentile", async () => {
    await withFakeTime((clock) => {
      const pmf = new Pmf();
      for (let i = 1; i <= 100; i++) pmf.add(i);
      clock.tick(250); // the cached 99th percentile refreshes on the coarse clock
      const warnings: Array<[string, number]> = [];
      const log = (message: string, duration: number) => warnings.push([message, duration]);
      const fast = pmf.time().warn99(log, "slow request");
      clock.tick(5);
      fast.stop();
      const slow = pmf.time().warn99(log, "slow request");
      clock.tick(500);
      slow.stop();
      assert.deepEqual(warnings, [["slow request", 500]]);
    });
  });
});

describe("memory", () => {
  it("a Pmf after 10 million samples takes no more heap than after 10 thousand", () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) assert.fail("run with --v8-flags=--expose-gc (the test task does)");
    const next = random(3);
    const samples = Float64Array.from({ length: 10_000 }, () => logNormal(next));
    const pmf = new Pmf();
    for (const v of samples) pmf.add(v);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let round = 0; round < 999; round++) for (const v of samples) pmf.add(v);
    gc();
    const after = process.memoryUsage().heapUsed;
    assert.equal(pmf.count, 10_000_000);
    assert.ok(after - before < 64 * 1024, `heap grew by ${after - before} bytes`);
  });
});

/** Bytes of heap plus external memory (typed arrays), after collecting garbage until it settles. */
async function memoryInUse(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) assert.fail("run with --v8-flags=--expose-gc (the test task does)");
  // Array buffers are freed by a background sweeper: give it a few turns.
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/**
 * Latency-like samples in milliseconds: log-normal (median 50 ms, σ = 1.2 in
 * log space) clipped to 1 ms .. 10 s, so every slot spans the whole range.
 */
function busyLatencies(count: number, seed: number): Float64Array {
  const next = random(seed);
  return Float64Array.from(
    { length: count },
    () => Math.min(10_000, Math.max(1, logNormalOf(next, Math.log(50), 1.2))),
  );
}

const IS_BUN = typeof (globalThis as { Bun?: unknown }).Bun === "object";

describe("memory of a busy distribution", () => {
  it("stays under 16 KiB (heap + external) with every window slot full and the all-time buckets", async () => {
    const samples = busyLatencies(100_000, 31);
    /** Pmfs with seven one-minute slots of 100,000 samples: five in the window, two retired. */
    const busy = (count: number) => {
      const pmfs: Pmf[] = [];
      return withFakeTime((clock) => {
        for (let i = 0; i < count; i++) pmfs.push(new Pmf());
        for (let minute = 0; minute < 7; minute++) {
          for (const pmf of pmfs) for (const v of samples) pmf.add(v);
          if (minute < 6) clock.tick(60_000);
        }
        // Read each, so that what a read keeps (the cached snapshot) counts too.
        for (const pmf of pmfs) pmf.snapshot();
        for (const pmf of pmfs) pmf.exponentialHistogram();
      }).then(() => pmfs);
    };
    // A first batch pays the one-time costs (compiled code, clock); the
    // second batch's growth is what each Pmf holds.
    const first = await busy(5);
    const before = await memoryInUse();
    const pmfs = await busy(30);
    const perPmf = (await memoryInUse() - before) / pmfs.length;
    assert.equal(first.length, 5);
    assert.equal(pmfs[0]!.count, 700_000);
    assert.equal(pmfs[0]!.exponentialHistogram().positive.counts.length, 852);
    // The 16 KiB budget is V8's (Deno, Node). Bun's JavaScriptCore lays the
    // same objects out larger and counts its heap differently: measured
    // 17.6 KB there, so Bun is held to 20 KiB (a regression still fails).
    const budget = IS_BUN ? 20 * 1024 : 16 * 1024;
    assert.ok(perPmf < budget, `${perPmf} bytes per Pmf (budget ${budget})`);
    if (process.env.SCALES_PRINT_MEMORY) console.log(`busy Pmf: ${Math.round(perPmf)} bytes`);
  });
});

describe("PmfAggregationStat", () => {
  it("shows exactly the percentiles of one sketch fed every child's samples", () => {
    reset();
    collection("/web", PmfAggregationStat("latency"));
    const a = collection("/web/a", PmfStat("latency"));
    const b = collection("/web/b", PmfStat("latency"));
    const together = new Pmf();
    const next = random(5);
    for (let i = 0; i < 5000; i++) {
      const v = logNormal(next);
      (i % 3 === 0 ? a : b).latency.add(v);
      together.add(v);
    }
    const rolled = pmfOf("/web", "latency");
    const single = together.snapshot();
    for (const [field] of FIELDS) assert.equal(rolled[field], single[field]);
    assert.equal(rolled.count, 5000);
    assert.equal(rolled.min, single.min);
    assert.equal(rolled.max, single.max);
  });
});

describe("Pmf.exponentialHistogram", () => {
  it("keeps every sample after the window has moved on, with the same count and sum", async () => {
    await withFakeTime((clock) => {
      const pmf = new Pmf({ windowMs: 10_000, slots: 2 });
      pmf.add(1);
      pmf.add(2);
      clock.tick(60_000);
      pmf.add(2);
      assert.equal(pmf.snapshot().max, 2);
      assert.equal(pmf.snapshot().min, 2);
      const buckets = pmf.exponentialHistogram();
      assert.deepEqual(buckets.positive, { offset: -1, counts: [1, ...Array(63).fill(0), 2] });
      assert.deepEqual([buckets.count, buckets.sum], [pmf.count, pmf.sum]);
      assert.deepEqual([buckets.min, buckets.max], [1, 2]);
    });
  });

  it("equals the buckets of one sketch fed the same samples, whatever the slots", async () => {
    await withFakeTime((clock) => {
      const pmf = new Pmf();
      const next = random(23);
      const all: number[] = [];
      for (let minute = 0; minute < 12; minute++) {
        for (let i = 0; i < 500; i++) {
          const v = Math.round(logNormal(next) * 1000) / 1000;
          all.push(v);
          pmf.add(v);
        }
        clock.tick(60_000);
      }
      const single = new Pmf();
      for (const v of all) single.add(v);
      assert.deepEqual(
        { ...pmf.exponentialHistogram(), sum: 0 },
        { ...single.exponentialHistogram(), sum: 0 },
      );
      assert.equal(pmf.exponentialHistogram().count, 6000);
    });
  });

  it("is empty, with NaN min and max, before any sample", () => {
    assert.deepEqual(new Pmf().exponentialHistogram(), {
      scale: 6,
      zeroThreshold: 2 ** -30,
      zeroCount: 0,
      positive: { offset: 0, counts: [] },
      negative: { offset: 0, counts: [] },
      count: 0,
      sum: 0,
      min: NaN,
      max: NaN,
    });
  });

  it("on a PmfAggregationStat, equals the buckets of one Pmf fed every child's samples", () => {
    reset();
    const web = collection("/web", PmfAggregationStat("latency"));
    const a = collection("/web/a", PmfStat("latency"));
    const b = collection("/web/b", PmfStat("latency"));
    const together = new Pmf();
    const next = random(29);
    for (let i = 0; i < 5000; i++) {
      const v = Math.round(logNormal(next)); // integers: every sum is exact in any order
      (i % 3 === 0 ? a : b).latency.add(v);
      together.add(v);
    }
    assert.deepEqual(web.latency.exponentialHistogram(), together.exponentialHistogram());
    assert.deepEqual(Object.keys(pmfOf("/web", "latency")).includes("exponentialHistogram"), false);
  });
});

describe("NamedPmfDictStat", () => {
  it("makes a Pmf per key on first use and records assignments", () => {
    reset();
    const STATS = collection("/web", NamedPmfDictStat("byEndpoint"));
    STATS.byEndpoint["/login"]!.add(12);
    (STATS.byEndpoint as unknown as Record<string, number>)["/login"] = 30;
    STATS.byEndpoint["/"]!.add(1);
    const snapshot = getStats("/web")?.byEndpoint as unknown as Record<string, PmfSnapshot>;
    assert.deepEqual(Object.keys(snapshot), ["/login", "/"]);
    assert.equal(snapshot["/login"]!.count, 2);
    assert.equal(snapshot["/login"]!.max, 30);
  });

  it("keeps 1,000 keys by default: 20,000 keys with every window slot full stay under 16 MiB", async () => {
    const samples = busyLatencies(25 * 1000, 37);
    const logged: string[] = [];
    const previous = setLogger((message) => logged.push(message));
    const before = await memoryInUse();
    let byKey: Record<string, Pmf> = {};
    let growth = 0;
    try {
      await withFakeTime((clock) => {
        const STATS = collection("/web", NamedPmfDictStat("byKey"));
        byKey = STATS.byKey; // kept past the tree's reset, to measure it
        // Seven one-minute slots (five in the window, two retired); every
        // key gets 25 samples from 1 ms to 10 s in each.
        for (let minute = 0; minute < 7; minute++) {
          for (let k = 0; k < 20_000; k++) {
            const pmf = STATS.byKey[`/item/${k}`]!;
            const from = (k % 1000) * 25;
            for (let i = from; i < from + 25; i++) pmf.add(samples[i]!);
          }
          if (minute < 6) clock.tick(60_000);
        }
      });
      growth = (await memoryInUse()) - before;
    } finally {
      setLogger(previous);
    }
    const keys = Object.keys(byKey);
    assert.ok(growth < 16 * 1024 * 1024, `grew by ${growth} bytes`);
    assert.equal(keys.length, 1001);
    assert.equal(keys.at(-1), "(other)");
    assert.deepEqual(logged, [
      'dict stat /web/byKey reached its cap of 1000 keys; further new keys count under "(other)"',
    ]);
  });

  it("counts keys past the cap under the overflow key", () => {
    reset();
    const STATS = collection("/web", NamedPmfDictStat("byEndpoint", { maxKeys: 1 }));
    STATS.byEndpoint["/a"]!.add(1);
    STATS.byEndpoint["/b"]!.add(2);
    assert.deepEqual(Object.keys(STATS.byEndpoint), ["/a", "(other)"]);
  });
});

describe("PmfStat input", () => {
  it("rejects a numeric string assigned from untyped code", () => {
    reset();
    const STATS = collection("/web", PmfStat("latency"));
    assert.throws(() => ((STATS as unknown as { latency: unknown }).latency = "12"), {
      name: "TypeError",
      message: 'PmfStat /web/latency records finite numbers, got "12"',
    });
    assert.equal(STATS.latency.count, 0);
  });
});
