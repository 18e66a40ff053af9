import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  defineStats,
  DoubleStat,
  getStats,
  HistogramAggregationStat,
  init,
  initChild,
  IntDictStat,
  IntDictSumAggregationStat,
  IntStat,
  release,
  reset,
  Stat,
  SumAggregationStat,
} from "@scales/core";

/** The seed's Processor / SomeThread example, in TypeScript. */
class Processor {
  static readonly STATS = defineStats(
    HistogramAggregationStat("state"),
    SumAggregationStat("finished"),
  );
  readonly stats = init(this, "/processor", Processor.STATS);
  threads = 0;

  createThread(): SomeThread {
    return new SomeThread(this, this.threads++);
  }
}

class SomeThread {
  static readonly STATS = defineStats(Stat<"state", string | null>("state"), IntStat("finished"));
  readonly stats;

  constructor(processor: Processor, threadId: number) {
    this.stats = initChild(this, processor, `thread-${threadId}`, SomeThread.STATS);
  }

  step(state: string, finished = 0): void {
    this.stats.state = state;
    this.stats.finished += finished;
  }
}

describe("the seed's Processor example", () => {
  it("sums finished at /processor/finished and counts thread states at /processor/state", () => {
    reset();
    const processor = new Processor();
    const t0 = processor.createThread();
    const t1 = processor.createThread();
    const t2 = processor.createThread();
    t0.step("waitingForTask", 2);
    t1.step("performingTask", 3);
    t2.step("waitingForTask");
    assert.deepEqual(getStats(), {
      processor: {
        state: { waitingForTask: 2, performingTask: 1 },
        finished: 5,
        "thread-0": { state: "waitingForTask", finished: 2 },
        "thread-1": { state: "performingTask", finished: 3 },
        "thread-2": { state: "waitingForTask", finished: 0 },
      },
    });
  });

  it("subtracts a released thread from every aggregation", () => {
    reset();
    const processor = new Processor();
    const t0 = processor.createThread();
    const t1 = processor.createThread();
    t0.step("waitingForTask", 2);
    t1.step("performingTask", 3);
    release(t1);
    assert.deepEqual(getStats(), {
      processor: {
        state: { waitingForTask: 1, performingTask: 0 },
        finished: 2,
        "thread-0": { state: "waitingForTask", finished: 2 },
      },
    });
  });

  it("keeps a state whose count returns to 0 at 0, as the seed does", () => {
    reset();
    const processor = new Processor();
    const t0 = processor.createThread();
    t0.step("performingTask");
    t0.step("waitingForTask");
    assert.deepEqual(getStats("/processor")?.state, { performingTask: 0, waitingForTask: 1 });
  });

  it("releases through Symbol.dispose", () => {
    reset();
    const processor = new Processor();
    {
      using stats = processor.createThread().stats;
      stats.finished += 7;
      assert.equal(getStats("/processor")?.finished, 7);
    }
    assert.deepEqual(getStats(), { processor: { state: {}, finished: 0 } });
  });
});

describe("SumAggregationStat", () => {
  it("sums the same-named stats at every depth below", () => {
    reset();
    collection("/a", SumAggregationStat("n"));
    const x = collection("/a/b/x", IntStat("n"));
    const y = collection("/a/y", DoubleStat("n"));
    x.n += 2;
    y.n = 0.5;
    assert.equal(getStats("/a")?.n, 2.5);
  });

  it("includes stats that existed before the aggregation was declared", () => {
    reset();
    collection("/a/b", IntStat("n", 4));
    collection("/a", SumAggregationStat("n"));
    assert.equal(getStats("/a")?.n, 4);
  });

  it("ignores function gauges, which cannot report their changes", () => {
    reset();
    collection("/a", SumAggregationStat("n"));
    collection("/a/b", Stat("n", () => 10));
    collection("/a/c", Stat("n", 1));
    assert.equal(getStats("/a")?.n, 1);
  });

  it("recovers from a child that was Infinity or NaN once it is finite again", () => {
    reset();
    collection("/a", SumAggregationStat("n"));
    const x = collection("/a/x", DoubleStat("n"));
    const y = collection("/a/y", Stat("n", 2));
    x.n = Infinity;
    assert.equal(getStats("/a")?.n, Infinity);
    y.n = NaN;
    assert.equal(getStats("/a")?.n, NaN);
    y.n = -Infinity;
    assert.equal(getStats("/a")?.n, NaN, "Infinity + -Infinity");
    x.n = 1;
    assert.equal(getStats("/a")?.n, -Infinity);
    y.n = 2;
    assert.equal(getStats("/a")?.n, 3);
  });

  it("is exactly 0 once every child that fed it has been released", () => {
    reset();
    collection("/a", SumAggregationStat("n"));
    const first = {};
    const second = {};
    init(first, "/a/first", defineStats(DoubleStat("n"))).n = 0.1;
    init(second, "/a/second", defineStats(DoubleStat("n"))).n = 0.2;
    release(first);
    release(second);
    assert.deepEqual(getStats(), { a: { n: 0 } });
  });

  it("cannot be assigned", () => {
    reset();
    const STATS = collection("/a", SumAggregationStat("n"));
    assert.throws(() => (STATS.n = 3), {
      name: "TypeError",
      message:
        "SumAggregationStat /a/n is computed from the stats below it and cannot be assigned, got 3",
    });
  });
});

describe("IntDictSumAggregationStat", () => {
  it("sums same-named dicts key by key and subtracts a released child", () => {
    reset();
    collection("/web", IntDictSumAggregationStat("byPath"));
    const a = collection("/web/a", IntDictStat("byPath"));
    const owner = {};
    const b = init(owner, "/web/b", defineStats(IntDictStat("byPath")));
    a.byPath.inc("/login");
    b.byPath.inc("/login", 2);
    b.byPath.inc("/logout");
    assert.deepEqual(getStats("/web")?.byPath, { "/login": 3, "/logout": 1 });
    release(owner);
    assert.deepEqual(getStats("/web")?.byPath, { "/login": 1 });
  });
});
