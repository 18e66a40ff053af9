import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { IntStat, StatTree } from "@scales/core";
import { OtlpPeriodicPusher, OtlpPusher, type OtlpPusherOptions } from "@scales/core/otlp";
import { freePort } from "./_carbon.ts";
import { captureLog, type ExportRequest, OtlpReceiver } from "./_otlp.ts";

const PERIOD_MS = 200;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every push's timestamp (ms) in the requests, in arrival order: one per ResourceMetrics. */
function pushTimes(requests: readonly ExportRequest[]): number[] {
  const out: number[] = [];
  for (const request of requests) {
    for (const rm of request.resourceMetrics ?? []) {
      const point = rm.scopeMetrics?.[0]?.metrics?.[0]?.sum?.dataPoints[0];
      out.push(Number(BigInt(point?.timeUnixNano ?? "0") / 1_000_000n));
    }
  }
  return out;
}

function oneStatTree(): StatTree {
  const tree = new StatTree();
  tree.collection("/jobs", IntStat("done")).done = 3;
  return tree;
}

function otlpStats(tree: StatTree): Record<string, number> {
  return tree.getStats("/scales/otlp") as Record<string, number>;
}

describe("OTLP delivery through the push pipeline", () => {
  const logged = captureLog();

  function options(receiver: OtlpReceiver, tree: StatTree, extra: OtlpPusherOptions = {}) {
    return {
      endpoint: `${receiver.origin}/v1/metrics`,
      env: () => undefined,
      tree,
      ...extra,
    };
  }

  it("receiver down for three periods, then back: every period's points arrive with their own timestamps", async () => {
    const receiver = new OtlpReceiver();
    receiver.port = await freePort();
    const tree = oneStatTree();
    const pusher = new OtlpPeriodicPusher({
      ...options(receiver, tree),
      periodMs: PERIOD_MS,
      minBackoffMs: 20,
      maxBackoffMs: 50,
    });
    pusher.doNotLog("/scales").start();
    const started = Date.now();
    await sleep(PERIOD_MS * 3 + PERIOD_MS / 2); // three periods with nobody listening
    const downPushes = otlpStats(tree).pushes;
    assert.equal(downPushes, 3);
    assert.equal(pusher.queuedPushes, 3);
    const back = Date.now();
    await receiver.up();
    try {
      assert.ok(await receiver.waitFor(1, 3_000), "nothing arrived after the receiver came back");
      await sleep(PERIOD_MS); // the next period's push too
      await pusher.flush();
      const times = pushTimes(receiver.received.map((r) => r.request));
      const during = times.filter((t) => t < back);
      assert.equal(during.length, 3, `timestamps ${times.map((t) => t - started)}`);
      // Taken one period apart while the receiver was down, received after it came back.
      for (let i = 1; i < during.length; i++) {
        const gap = during[i] - during[i - 1];
        assert.ok(gap >= PERIOD_MS / 2, `pushes ${i - 1} and ${i} taken ${gap} ms apart`);
      }
      assert.ok(during[0] >= started + PERIOD_MS / 2);
      assert.ok(receiver.received[0].at >= back);
      assert.deepEqual([...times].sort((a, b) => a - b), times, "in the order they were taken");
      assert.deepEqual(
        [otlpStats(tree).dropped, otlpStats(tree).sent >= 3, pusher.queuedPushes],
        [0, true, 0],
      );
      // The outage's first failure was logged, not every retry.
      assert.equal(
        logged.filter((m) => m.includes("failed") || m.includes("cannot reach")).length,
        1,
      );
    } finally {
      await pusher.stop();
      await receiver.down();
    }
  });

  it("a receiver answering 400: the push is dropped and counted, not retried, logged once", async () => {
    const receiver = await new OtlpReceiver().up();
    receiver.answer = () => ({ status: 400 });
    const tree = oneStatTree();
    try {
      await using pusher = new OtlpPusher(options(receiver, tree, { minBackoffMs: 10 }));
      pusher.doNotLog("/scales");
      assert.equal(await pusher.push(), true); // nothing left queued
      assert.equal(await pusher.push(), true);
      await sleep(100);
      assert.equal(receiver.received.length, 2, "one request per push, no retries");
      const stats = otlpStats(tree);
      assert.deepEqual(
        [stats.rejectedPushes, stats.rejected, stats.sent, pusher.queuedPushes],
        [2, 2, 0, 0],
      );
      assert.equal(logged.filter((m) => m.includes("HTTP 400")).length, 1);
    } finally {
      await receiver.down();
    }
  });

  it("429 with Retry-After: waits as long as the receiver asks before sending again", async () => {
    const receiver = await new OtlpReceiver().up();
    let answered = 0;
    receiver.answer = () =>
      answered++ === 0 ? { status: 429, headers: { "Retry-After": "1" } } : {};
    const tree = oneStatTree();
    try {
      await using pusher = new OtlpPusher(
        options(receiver, tree, { minBackoffMs: 10, maxBackoffMs: 20 }),
      );
      pusher.doNotLog("/scales");
      assert.equal(await pusher.push(), false);
      await sleep(500);
      assert.equal(receiver.received.length, 1, "no retry before Retry-After");
      assert.ok(await receiver.waitFor(2, 3_000), "sent again after Retry-After");
      const [first, second] = receiver.received;
      assert.ok(second.at - first.at >= 950, `retried after ${second.at - first.at} ms`);
      assert.deepEqual(second.request, first.request, "the same push, with its timestamp");
      assert.equal(await pusher.flush(), true); // the answer to the retry is settled
      assert.deepEqual([otlpStats(tree).sent, otlpStats(tree).errors], [1, 1]);
    } finally {
      await receiver.down();
    }
  });

  for (const status of [502, 503, 504]) {
    it(`${status}: kept and sent again after a backoff`, async () => {
      const receiver = await new OtlpReceiver().up();
      let answered = 0;
      receiver.answer = () => answered++ === 0 ? { status } : {};
      const tree = oneStatTree();
      try {
        await using pusher = new OtlpPusher(
          options(receiver, tree, { minBackoffMs: 10, maxBackoffMs: 20 }),
        );
        pusher.doNotLog("/scales");
        assert.equal(await pusher.push(), false);
        assert.ok(await receiver.waitFor(2, 3_000));
        assert.equal(await pusher.flush(), true); // the answer to the retry is settled
        assert.deepEqual([otlpStats(tree).sent, otlpStats(tree).rejected], [1, 0]);
      } finally {
        await receiver.down();
      }
    });
  }

  for (const protocol of ["http/protobuf", "http/json"] as const) {
    it(`${protocol}: a partial success is counted as rejected and logged`, async () => {
      const receiver = await new OtlpReceiver().up();
      receiver.answer = () => ({
        partialSuccess: { rejectedDataPoints: 1, errorMessage: "jobs.done: bad unit" },
      });
      const tree = oneStatTree();
      try {
        await using pusher = new OtlpPusher(options(receiver, tree, { protocol }));
        pusher.doNotLog("/scales");
        assert.equal(await pusher.push(), true);
        assert.deepEqual([otlpStats(tree).sent, otlpStats(tree).rejected], [1, 1]);
        assert.ok(logged.some((m) => m.includes("refused 1") && m.includes("jobs.done: bad unit")));
      } finally {
        await receiver.down();
      }
    });
  }

  it("stop() returns by its deadline with the receiver down, and counts what it dropped", async () => {
    const port = await freePort();
    const tree = oneStatTree();
    const pusher = new OtlpPeriodicPusher({
      endpoint: `http://127.0.0.1:${port}/v1/metrics`,
      env: () => undefined,
      tree,
      periodMs: 60_000,
      stopDeadlineMs: 200,
    });
    pusher.doNotLog("/scales").start();
    await pusher.push();
    const started = Date.now();
    assert.equal(await pusher.stop(), false);
    assert.ok(Date.now() - started < 1_000);
    assert.deepEqual([otlpStats(tree).droppedPushes, otlpStats(tree).dropped], [1, 1]);
  });

  it("never throws into the caller, whatever the endpoint does", async () => {
    const tree = oneStatTree();
    await using pusher = new OtlpPusher({
      endpoint: "http://127.0.0.1:1/v1/metrics",
      env: () => undefined,
      tree,
      timeoutMs: 200,
    });
    assert.equal(await pusher.push(), false);
    assert.equal(await pusher.flush(), false);
  });
});
