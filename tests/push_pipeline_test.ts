/**
 * The push pipeline, whatever the format: delivery through a fake transport
 * with a manual clock, so every count and every delay is exact.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { getStats, reset, setLogger } from "@scales/core";
// By path, as the pipeline imports it: one StatTree type under Node's build too.
import { StatTree } from "../src/tree.ts";
import { PushPipeline, type PushPipelineOptions } from "../push/pipeline.ts";
import type { QueuedPush } from "../push/queue.ts";
import type { PushTransport, SendOutcome } from "../push/transport.ts";

const T = 1_800_000_000_000;

/** What the fake peer does with the next send. */
type Answer = SendOutcome | "hang" | "throw";

/**
 * A request-based peer (no connections, like an HTTP POST): it answers each
 * send with the next scripted answer, or "delivered" when none is left.
 */
class FakePeer implements PushTransport<string> {
  readonly peer = "fake:1";
  now = T;
  /** Answers to the next sends, in order. */
  answers: Answer[] = [];
  /** When each send was tried, in ms after T. */
  attempts: number[] = [];
  /** Every push delivered, in order, as payload@timestamp. */
  delivered: string[] = [];
  signals: AbortSignal[] = [];
  closes = 0;

  send(batch: readonly QueuedPush<string>[], abandon: AbortSignal): Promise<SendOutcome> {
    this.attempts.push(this.now - T);
    this.signals.push(abandon);
    const answer = this.answers.shift() ?? { outcome: "delivered" };
    if (answer === "hang") return new Promise(() => {});
    if (answer === "throw") throw new Error("broken transport");
    if (answer.outcome === "delivered") {
      for (const push of batch) this.delivered.push(`${push.payload}@${push.timestamp - T}`);
    }
    return Promise.resolve(answer);
  }

  close(): void {
    this.closes += 1;
  }

  /** Pipeline options with this peer's clock, no jitter and long backoffs. */
  options(extra: PushPipelineOptions = {}): PushPipelineOptions {
    return {
      clock: () => this.now,
      random: () => 0,
      // Under the fake clock the real retry timer never fires in a test.
      minBackoffMs: 60_000,
      maxBackoffMs: 480_000,
      ...extra,
    };
  }
}

/** A connection-based peer (like TCP): `connect()` says when a connection is new. */
class FakeConnectedPeer extends FakePeer {
  connected = false;
  connects = 0;
  connect(): Promise<boolean> {
    this.connects += 1;
    const fresh = !this.connected;
    this.connected = true;
    return Promise.resolve(fresh);
  }
}

const RETRY: SendOutcome = { outcome: "retry", reason: "peer down" };

/** A push of `values` values whose payload is `name`. */
function push(pipeline: PushPipeline<string>, name: string, values = 1): Promise<boolean> {
  return pipeline.push(() => ({ payload: name, values, bytes: name.length }));
}

function stats(name = "test"): Record<string, number> {
  return getStats(`/scales/${name}`) as Record<string, number>;
}

/**
 * Resets the default tree before each test of the enclosing `describe`, and
 * collects the library's log there (the outage tests log on purpose),
 * restoring the logger even when an assertion fails.
 */
function quietly(): { messages: string[] } {
  const logged = { messages: [] as string[] };
  let previous: ReturnType<typeof setLogger> | undefined;
  beforeEach(() => {
    reset();
    logged.messages = [];
    previous = setLogger((message) => logged.messages.push(message));
  });
  afterEach(() => {
    setLogger(previous);
  });
  return logged;
}

describe("PushPipeline delivery", () => {
  const logged = quietly();

  it("delivers a push with the timestamp it was taken at, and counts it", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    assert.equal(await push(pipeline, "a", 3), true);
    assert.deepEqual(peer.delivered, ["a@0"]);
    const s = stats();
    assert.deepEqual(
      [s.pushes, s.sent, s.sentPushes, s.queued, s.errors, s.lastSuccess],
      [1, 3, 1, 0, 0, T / 1000],
    );
    await pipeline.close();
  });

  it("keeps pushes across an outage of three periods, then sends them in order with their own timestamps", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    peer.answers = [RETRY, RETRY, RETRY];
    for (const name of ["p1", "p2", "p3"]) {
      assert.equal(await push(pipeline, name), false);
      peer.now += 60_000;
    }
    peer.now += 60_000; // past the third backoff (120 s)
    assert.equal(await push(pipeline, "p4"), true);
    assert.deepEqual(peer.attempts, [0, 60_000, 120_000, 240_000]);
    assert.deepEqual(peer.delivered, ["p1@0", "p2@60000", "p3@120000", "p4@240000"]);
    assert.deepEqual([stats().sentPushes, stats().errors, stats().droppedPushes], [4, 3, 0]);
    assert.deepEqual(logged.messages, ["test: peer down"]);
    await pipeline.close();
  });

  it("joins queued pushes into sends of about maxBatchBytes, oldest first", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options({ maxBatchBytes: 4 }));
    peer.answers = [RETRY];
    for (const name of ["aa", "bb", "cc", "dd", "ee"]) await push(pipeline, name);
    const batches: string[] = [];
    const send = peer.send.bind(peer);
    peer.send = (batch, signal) => {
      batches.push(batch.map((p) => p.payload).join("+"));
      return send(batch, signal);
    };
    peer.now += 60_000;
    assert.equal(await pipeline.flush(), true);
    assert.deepEqual(batches, ["aa+bb", "cc+dd", "ee"]);
    await pipeline.close();
  });

  it("counts a push of no values but queues nothing", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    assert.equal(
      await pipeline.push(() => ({ payload: "", values: 0, bytes: 0, skipped: 2 })),
      true,
    );
    assert.deepEqual([stats().pushes, stats().skipped, peer.attempts.length], [1, 2, 0]);
    await pipeline.close();
  });
});

describe("PushPipeline queue bounds", () => {
  const logged = quietly();

  it("past maxQueuedPushes drops the oldest pushes and counts exactly what it dropped", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options({ maxQueuedPushes: 3 }));
    peer.answers = [RETRY];
    for (let i = 1; i <= 7; i++) {
      await push(pipeline, `p${i}`, i); // p1 holds 1 value, p7 holds 7
      peer.now += 1_000;
    }
    assert.deepEqual([pipeline.queuedPushes, pipeline.queuedValues], [3, 5 + 6 + 7]);
    const s = stats();
    assert.deepEqual(
      [s.droppedPushes, s.dropped, s.queuedPushes, s.queued],
      [4, 1 + 2 + 3 + 4, 3, 18],
    );
    peer.now += 600_000;
    assert.equal(await pipeline.flush(), true);
    assert.deepEqual(peer.delivered, ["p5@4000", "p6@5000", "p7@6000"]);
    await pipeline.close();
  });

  it("past maxQueuedValues drops the oldest pushes until the values fit", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options({ maxQueuedValues: 10 }));
    peer.answers = [RETRY];
    for (const values of [4, 4, 4, 4]) await push(pipeline, "p", values);
    assert.deepEqual([pipeline.queuedPushes, pipeline.queuedValues], [2, 8]);
    assert.deepEqual([stats().droppedPushes, stats().dropped], [2, 8]);
    await pipeline.close(0);
  });

  it("says once that the queue is full, until a push is delivered again", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, {
      ...peer.options({ maxQueuedPushes: 1 }),
      unit: "lines",
    });
    peer.answers = [RETRY];
    for (let i = 0; i < 4; i++) await push(pipeline, "p");
    assert.deepEqual(logged.messages, [
      "test: peer down",
      "test: queue for fake:1 is full (1 pushes or 1000000 lines); dropping the oldest pushes",
    ]);
    await pipeline.close(0);
  });

  it("shares the queued gauges of one name over every pipeline", async () => {
    const a = new FakePeer();
    const b = new FakePeer();
    const first = new PushPipeline("test", a, a.options());
    const second = new PushPipeline("test", b, b.options());
    a.answers = [RETRY];
    b.answers = [RETRY];
    await push(first, "x", 2);
    await push(second, "y", 5);
    assert.deepEqual([stats().queuedPushes, stats().queued], [2, 7]);
    await first.close(0);
    assert.deepEqual([stats().queuedPushes, stats().queued], [1, 5]);
    await second.close(0);
    assert.deepEqual([stats().queuedPushes, stats().queued], [0, 0]);
  });
});

describe("PushPipeline retries", () => {
  const logged = quietly();

  it("backs off exponentially with jitter, doubling up to maxBackoffMs", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    peer.answers = Array(10).fill(RETRY);
    for (let i = 0; i < 60; i++) {
      await push(pipeline, `p${i}`);
      peer.now += 10_000;
    }
    // random() = 0: half of 60 s, 120 s, 240 s, 480 s, 480 s.
    assert.deepEqual(peer.attempts.map((ms) => ms / 1000), [0, 30, 90, 210, 450]);
    await pipeline.close(0);
  });

  it("honours the peer's Retry-After instead of its own backoff", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options({ minBackoffMs: 1_000 }));
    peer.answers = [{ outcome: "retry", reason: "HTTP 429", retryAfterMs: 120_000 }];
    assert.equal(await push(pipeline, "p1"), false);
    peer.now += 119_000; // the backoff (1 s) is long past, the Retry-After is not
    assert.equal(await push(pipeline, "p2"), false);
    assert.deepEqual(peer.attempts, [0]);
    peer.now += 1_000;
    assert.equal(await pipeline.flush(), true);
    assert.deepEqual(peer.attempts, [0, 120_000]);
    assert.deepEqual(peer.delivered, ["p1@0", "p2@119000"]);
    assert.deepEqual(logged.messages, ["test: HTTP 429"]);
    await pipeline.close();
  });

  it("drops a rejected batch and never sends it again; counts it and logs once", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    const rejected: SendOutcome = { outcome: "rejected", reason: "HTTP 400 from fake:1: bad" };
    peer.answers = [rejected, rejected];
    assert.equal(await push(pipeline, "bad1", 3), true);
    assert.equal(await push(pipeline, "bad2", 4), true);
    assert.equal(await push(pipeline, "good", 5), true);
    assert.deepEqual(peer.attempts, [0, 0, 0]);
    assert.deepEqual(peer.delivered, ["good@0"]);
    const s = stats();
    assert.deepEqual(
      [s.rejectedPushes, s.rejected, s.sentPushes, s.sent, s.errors, s.queued],
      [2, 7, 1, 5, 0, 0],
    );
    assert.deepEqual(logged.messages, [
      "test: HTTP 400 from fake:1: bad; dropped 1 pushes (3 values), not to be sent again",
    ]);
    await pipeline.close();
  });

  it("counts and logs once the values a peer refused in a partial success", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    const partial: SendOutcome = { outcome: "delivered", rejectedValues: 2, message: "too old" };
    peer.answers = [partial, partial];
    await push(pipeline, "a", 5);
    await push(pipeline, "b", 5);
    assert.deepEqual([stats().sent, stats().rejected, stats().rejectedPushes], [10, 4, 0]);
    assert.deepEqual(logged.messages, [
      "test: fake:1 refused 2 of the values it received: too old",
    ]);
    await pipeline.close();
  });

  it("treats a transport that throws as a send to retry", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    peer.answers = ["throw"];
    assert.equal(await push(pipeline, "p"), false);
    assert.deepEqual([pipeline.queuedPushes, stats().errors], [1, 1]);
    assert.deepEqual(logged.messages, ["test: sending to fake:1 failed"]);
    peer.now += 60_000;
    assert.equal(await pipeline.flush(), true);
    await pipeline.close();
  });

  it("never throws into the caller when making the payload throws", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    const result = await pipeline.push(() => {
      throw new Error("broken format");
    });
    assert.equal(result, false);
    assert.deepEqual([stats().errors, stats().pushes], [1, 0]);
    assert.deepEqual(logged.messages, ["test: push failed"]);
    await pipeline.close();
  });
});

describe("PushPipeline reconnects", () => {
  quietly();

  it("after a new connection, sends the last resendOnReconnect pushes again first", async () => {
    const peer = new FakeConnectedPeer();
    const pipeline = new PushPipeline("test", peer, peer.options({ resendOnReconnect: 2 }));
    for (const name of ["p1", "p2", "p3"]) await push(pipeline, name);
    peer.connected = false; // the peer went away between pushes
    await push(pipeline, "p4");
    assert.deepEqual(peer.delivered, ["p1@0", "p2@0", "p3@0", "p2@0", "p3@0", "p4@0"]);
    const s = stats();
    assert.deepEqual([s.reconnects, s.sent, s.resent, s.sentPushes], [1, 4, 2, 4]);
    await pipeline.close();
  });

  it("sends nothing again when the transport has no connections", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options({ resendOnReconnect: 2 }));
    await push(pipeline, "p1");
    peer.answers = [RETRY];
    await push(pipeline, "p2");
    peer.now += 60_000;
    await pipeline.flush();
    assert.deepEqual(peer.delivered, ["p1@0", "p2@0"]);
    assert.deepEqual([stats().reconnects, stats().resent], [0, 0]);
    await pipeline.close();
  });

  it("counts a connect that fails as an error and retries after the backoff", async () => {
    const peer = new FakeConnectedPeer();
    let refuse = true;
    peer.connect = () => {
      if (refuse) return Promise.reject(new Error("connection refused"));
      return Promise.resolve(true);
    };
    const pipeline = new PushPipeline("test", peer, peer.options());
    assert.equal(await push(pipeline, "p"), false);
    refuse = false;
    peer.now += 60_000;
    assert.equal(await pipeline.flush(), true);
    assert.deepEqual([stats().errors, stats().sentPushes], [1, 1]);
    await pipeline.close();
  });
});

describe("PushPipeline close()", () => {
  const logged = quietly();

  it("sends what is queued at once, even during a backoff", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    peer.answers = [RETRY];
    await push(pipeline, "p");
    assert.equal(await pipeline.close(1_000), true);
    assert.deepEqual(peer.delivered, ["p@0"]);
    assert.equal(peer.closes, 1);
  });

  it("returns by its deadline with a hung transport, aborts the send and drops what is left", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    peer.answers = ["hang"];
    void push(pipeline, "p1", 2);
    void push(pipeline, "p2", 3);
    const started = Date.now();
    assert.equal(await pipeline.close(50), false);
    const took = Date.now() - started;
    assert.ok(took < 1_000, `close(50) took ${took} ms`);
    assert.deepEqual(peer.signals.map((signal) => signal.aborted), [true]);
    const s = stats();
    assert.deepEqual(
      [s.droppedPushes, s.dropped, s.queued, s.queuedPushes, s.errors],
      [2, 5, 0, 0, 0],
    );
    assert.equal(pipeline.queuedPushes, 0);
  });

  it("ignores and logs a push after close()", async () => {
    const peer = new FakePeer();
    const pipeline = new PushPipeline("test", peer, peer.options());
    await pipeline.close();
    assert.equal(await push(pipeline, "late"), false);
    assert.deepEqual(peer.attempts, []);
    assert.deepEqual(logged.messages, ["test: push() after close() to fake:1 is ignored"]);
  });

  it("logs and survives a transport whose close() throws", async () => {
    const peer = new FakePeer();
    peer.close = () => {
      throw new Error("close failed");
    };
    const pipeline = new PushPipeline("test", peer, peer.options());
    await push(pipeline, "p");
    assert.equal(await pipeline.close(), true);
  });
});

describe("PushPipeline self-stats", () => {
  it("reports under /scales/<name> from the start, each name apart", () => {
    reset();
    const peer = new FakePeer();
    new PushPipeline("graphite-like", peer);
    new PushPipeline("otlp-like", peer);
    const scales = getStats("/scales") as Record<string, Record<string, number>>;
    assert.deepEqual(Object.keys(scales).sort(), ["graphite-like", "otlp-like"]);
    assert.deepEqual(Object.keys(scales["otlp-like"]), [
      "pushes",
      "sent",
      "resent",
      "sentPushes",
      "dropped",
      "droppedPushes",
      "rejected",
      "rejectedPushes",
      "skipped",
      "errors",
      "reconnects",
      "queued",
      "queuedPushes",
      "lastSuccess",
    ]);
  });

  it("reports under /scales/<name> of its own tree, with that tree's queue only", async () => {
    reset();
    const tree = new StatTree();
    const peer = new FakePeer();
    const own = new PushPipeline("test", peer, peer.options({ tree }));
    const other = new PushPipeline("test", peer, peer.options());
    peer.answers = [RETRY, RETRY];
    await push(own, "x", 2);
    await push(other, "y", 5);
    const mine = tree.getStats("/scales/test") as Record<string, number>;
    assert.deepEqual([mine.pushes, mine.queued, mine.errors], [1, 2, 1]);
    assert.deepEqual([stats().pushes, stats().queued, stats().errors], [1, 5, 1]);
    assert.deepEqual(Object.keys(tree.getStats() ?? {}), ["scales"]);
    await own.close(0);
    await other.close(0);
  });

  it("rejects a bad option, naming it", () => {
    assert.throws(() => new PushPipeline("test", new FakePeer(), { maxBatchBytes: 0 }), {
      name: "RangeError",
      message: "maxBatchBytes must be a positive integer, got 0",
    });
    assert.throws(() => new PushPipeline("test", new FakePeer(), { resendOnReconnect: 1.5 }), {
      name: "RangeError",
      message: "resendOnReconnect must be a non-negative integer, got 1.5",
    });
  });
});
