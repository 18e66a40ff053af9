import { describe, it } from "node:test";
import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import {
  collection,
  defineStats,
  getStats,
  HistogramAggregationStat,
  init,
  initChild,
  release,
  reset,
  StateTimeStat,
} from "@scales/core";

function withFakeTime(body: (clock: FakeTimers.InstalledClock) => void): void {
  const clock = FakeTimers.install({ toFake: ["performance", "Date"] });
  reset();
  try {
    body(clock);
  } finally {
    clock.uninstall();
  }
}

describe("StateTimeStat", () => {
  it("adds up the milliseconds spent in each state, including the current one", () => {
    withFakeTime((clock) => {
      const STATS = collection("/connection", StateTimeStat("state"));
      STATS.state = "connecting";
      clock.tick(30);
      STATS.state = "open";
      clock.tick(100);
      STATS.state = "connecting";
      clock.tick(5);
      assert.deepEqual(getStats(), { connection: { state: { connecting: 35, open: 100 } } });
    });
  });

  it("reads as the current state and stops counting at null", () => {
    withFakeTime((clock) => {
      const STATS = collection("/connection", StateTimeStat("state"));
      assert.equal(STATS.state, null);
      STATS.state = "open";
      clock.tick(10);
      STATS.state = null;
      clock.tick(50);
      assert.equal(STATS.state, null);
      assert.deepEqual(getStats(), { connection: { state: { open: 10 } } });
    });
  });

  it("feeds a HistogramAggregationStat above with its current state", () => {
    withFakeTime((clock) => {
      const processor = {};
      init(processor, "/processor", defineStats(HistogramAggregationStat("state")));
      const owners = [{}, {}, {}];
      const threads = owners.map((thread, i) =>
        initChild(thread, processor, `thread-${i}`, defineStats(StateTimeStat("state")))
      );
      threads[0]!.state = "waitingForTask";
      threads[1]!.state = "waitingForTask";
      threads[2]!.state = "performingTask";
      clock.tick(10);
      threads[2]!.state = "waitingForTask";
      threads[1]!.state = null;
      assert.deepEqual(getStats("/processor")?.state, { performingTask: 0, waitingForTask: 2 });
      release(owners[0]!);
      assert.deepEqual(getStats("/processor")?.state, { performingTask: 0, waitingForTask: 1 });
    });
  });

  it("rejects a non-string state with a TypeError naming the path", () => {
    reset();
    const STATS = collection("/connection", StateTimeStat("state"));
    assert.throws(() => ((STATS as Record<string, unknown>).state = 3), {
      name: "TypeError",
      message: "StateTimeStat /connection/state takes a state name (string) or null, got 3",
    });
  });
});
