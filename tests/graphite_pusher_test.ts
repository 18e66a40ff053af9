import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { getStats, IntStat, reset, setLogger, StatTree } from "@scales/core";
import {
  type GraphiteConnection,
  GraphitePeriodicPusher,
  GraphitePusher,
  type GraphitePusherOptions,
} from "@scales/core/graphite";

const T = 1_800_000_000;
const decoder = new TextDecoder();

/** A connection that records what it receives, at most `maxPerWrite` bytes a call. */
class FakeConnection implements GraphiteConnection {
  readonly writes: string[] = [];
  closed = false;
  constructor(readonly maxPerWrite = Infinity, readonly hang = false) {}
  write(bytes: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Error("closed"));
    if (this.hang) return new Promise(() => {});
    const n = Math.min(bytes.length, this.maxPerWrite);
    this.writes.push(decoder.decode(bytes.subarray(0, n)));
    return Promise.resolve(n);
  }
  close(): void {
    this.closed = true;
  }
  get text(): string {
    return this.writes.join("");
  }
}

/** A Graphite that is up or down, with a manual clock. */
class FakeGraphite {
  up = true;
  now = T * 1000;
  attempts: number[] = [];
  connections: FakeConnection[] = [];
  constructor(readonly maxPerWrite = Infinity, readonly hang = false) {}
  options(extra: GraphitePusherOptions = {}): GraphitePusherOptions {
    return {
      connector: () => {
        this.attempts.push(this.now);
        if (!this.up) return Promise.reject(new Error("connection refused"));
        const connection = new FakeConnection(this.maxPerWrite, this.hang);
        this.connections.push(connection);
        return Promise.resolve(connection);
      },
      clock: () => this.now,
      random: () => 0,
      // Long backoffs under the fake clock: the real retry timer never fires in a test.
      minBackoffMs: 60_000,
      maxBackoffMs: 480_000,
      ...extra,
    };
  }
  get received(): string {
    return this.connections.map((c) => c.text).join("");
  }
}

/**
 * Silences the library's log for each test of the enclosing `describe` (the
 * outage tests log on purpose), restoring it even when an assertion fails.
 */
function quietly(): void {
  let previous: ReturnType<typeof setLogger> | undefined;
  beforeEach(() => {
    previous = setLogger(() => {});
  });
  afterEach(() => {
    setLogger(previous);
  });
}

function graphiteStats() {
  return getStats("/scales/graphite") as Record<string, number>;
}

describe("GraphitePusher delivery", () => {
  quietly();

  it("delivers every byte when the connection takes a few bytes per write", async () => {
    reset();
    const graphite = new FakeGraphite(7);
    const pusher = new GraphitePusher("h", 1, "app", graphite.options());
    assert.equal(await pusher.push({ a: 1, b: { c: 22.5 } }), true);
    assert.equal(graphite.received, `app.a 1 ${T}\napp.b.c 22.5 ${T}\n`);
    assert.equal(graphite.connections[0].writes.length, Math.ceil(graphite.received.length / 7));
    await pusher.close();
  });

  it("sends pushes queued during an outage in one write, with their own timestamps", async () => {
    reset();
    const graphite = new FakeGraphite();
    graphite.up = false;
    const pusher = new GraphitePusher("h", 1, "app", graphite.options());
    assert.equal(await pusher.push({ x: 1 }), false);
    graphite.now += 60_000;
    await pusher.push({ x: 2 });
    graphite.now += 60_000;
    graphite.up = true;
    graphite.now += 180_000; // past the backoff
    assert.equal(await pusher.push({ x: 3 }), true);
    assert.deepEqual(graphite.connections[0].writes, [
      `app.x 1 ${T}\napp.x 2 ${T + 60}\napp.x 3 ${T + 300}\n`,
    ]);
    assert.equal(graphiteStats().sentPushes, 3);
    await pusher.close();
  });

  it("counts sent lines, pushes, errors and the last success under /scales/graphite", async () => {
    reset();
    const graphite = new FakeGraphite();
    graphite.up = false;
    const pusher = new GraphitePusher("h", 1, "app", graphite.options());
    await pusher.push({ x: 1, y: 2 });
    graphite.up = true;
    graphite.now += 60_000;
    await pusher.push({ x: 1, y: 2 });
    const stats = graphiteStats();
    assert.deepEqual(
      [stats.pushes, stats.sent, stats.sentPushes, stats.errors, stats.queued, stats.lastSuccess],
      [2, 4, 2, 1, 0, T + 60],
    );
    await pusher.close();
  });

  it("after the peer closed, reconnects and repeats the last push before the new one", async () => {
    reset();
    const graphite = new FakeGraphite();
    const pusher = new GraphitePusher("h", 1, "app", graphite.options());
    await pusher.push({ x: 1 });
    graphite.connections[0].closed = true; // the peer went away between pushes
    graphite.now += 1_000;
    await pusher.push({ x: 2 });
    assert.equal(graphite.connections.length, 2);
    assert.equal(graphite.connections[1].text, `app.x 1 ${T}\napp.x 2 ${T + 1}\n`);
    const stats = graphiteStats();
    assert.deepEqual([stats.reconnects, stats.sent, stats.resent], [1, 2, 1]);
    await pusher.close();
  });

  it("repeats nothing after a reconnect when resendOnReconnect is 0", async () => {
    reset();
    const graphite = new FakeGraphite();
    const pusher = new GraphitePusher("h", 1, "app", graphite.options({ resendOnReconnect: 0 }));
    await pusher.push({ x: 1 });
    graphite.connections[0].closed = true;
    await pusher.push({ x: 2 });
    assert.equal(graphite.connections[1].text, `app.x 2 ${T}\n`);
    await pusher.close();
  });
});

describe("GraphitePusher outages", () => {
  quietly();

  it("backs off exponentially: no attempt before the delay, doubling up to the bound", async () => {
    reset();
    const graphite = new FakeGraphite();
    graphite.up = false;
    const start = graphite.now;
    const pusher = new GraphitePusher("h", 1, "app", graphite.options());
    // With random() = 0 the delay is half the base: 30 s, 60 s, 120 s, 240 s, 240 s.
    for (let i = 0; i < 60; i++) {
      await pusher.push({ x: i });
      graphite.now += 10_000;
    }
    assert.deepEqual(
      graphite.attempts.map((at) => (at - start) / 1000),
      [0, 30, 90, 210, 450],
    );
    await pusher.close(0);
  });

  it("spreads reconnects with jitter between half and all of the base delay", async () => {
    reset();
    const graphite = new FakeGraphite();
    graphite.up = false;
    const start = graphite.now;
    const pusher = new GraphitePusher("h", 1, "app", {
      ...graphite.options(),
      random: () => 0.999,
    });
    for (let i = 0; i < 10; i++) {
      await pusher.push({ x: i });
      graphite.now += 10_000;
    }
    assert.deepEqual(graphite.attempts.map((at) => (at - start) / 1000), [0, 60]);
    await pusher.close(0);
  });

  it("drops the oldest pushes past maxQueuedPushes and counts them", async () => {
    reset();
    const graphite = new FakeGraphite();
    graphite.up = false;
    const pusher = new GraphitePusher("h", 1, "app", graphite.options({ maxQueuedPushes: 3 }));
    for (let i = 1; i <= 5; i++) {
      await pusher.push({ x: i, y: i });
      graphite.now += 1_000;
    }
    assert.equal(pusher.queuedPushes, 3);
    assert.deepEqual(
      [graphiteStats().droppedPushes, graphiteStats().dropped, graphiteStats().queued],
      [2, 4, 6],
    );
    graphite.up = true;
    graphite.now += 600_000;
    await pusher.flush();
    assert.equal(
      graphite.received,
      [3, 4, 5].map((i) => `app.x ${i} ${T + i - 1}\napp.y ${i} ${T + i - 1}\n`).join(""),
    );
    await pusher.close();
  });

  it("drops the oldest pushes past maxQueuedLines", async () => {
    reset();
    const graphite = new FakeGraphite();
    graphite.up = false;
    const pusher = new GraphitePusher("h", 1, "app", graphite.options({ maxQueuedLines: 5 }));
    for (let i = 1; i <= 4; i++) await pusher.push({ a: i, b: i });
    assert.deepEqual([pusher.queuedPushes, pusher.queuedLines], [2, 4]);
    assert.equal(graphiteStats().droppedPushes, 2);
    await pusher.close(0);
  });

  it("gives up on a hung peer after the write timeout and keeps the push queued", async () => {
    reset();
    const graphite = new FakeGraphite(Infinity, true);
    const pusher = new GraphitePusher("h", 1, "app", graphite.options({ writeTimeoutMs: 30 }));
    const started = Date.now();
    assert.equal(await pusher.push({ x: 1 }), false);
    assert.ok(Date.now() - started < 1_000, "the push waited for the timeout only");
    assert.equal(graphite.connections[0].closed, true);
    assert.equal(pusher.queuedPushes, 1);
    assert.equal(graphiteStats().errors, 1);
    await pusher.close(0);
  });

  it("gives up on a connect that never completes after the connect timeout", async () => {
    reset();
    const pusher = new GraphitePusher("h", 1, "app", {
      connector: () => new Promise(() => {}),
      connectTimeoutMs: 30,
      minBackoffMs: 60_000,
    });
    assert.equal(await pusher.push({ x: 1 }), false);
    assert.equal(graphiteStats().errors, 1);
    await pusher.close(0);
  });

  it("never throws into the caller, even when the connector throws synchronously", async () => {
    reset();
    const messages: string[] = [];
    const previous = setLogger((message) => messages.push(message));
    const pusher = new GraphitePusher("h", 1, "app", {
      connector: () => {
        throw new Error("broken connector");
      },
      minBackoffMs: 60_000,
    });
    assert.equal(await pusher.push({ x: 1 }), false);
    assert.deepEqual(messages, ["graphite: cannot connect to h:1"]);
    await pusher.close(0);
    setLogger(previous);
  });

  it("close() sends what is queued even during a backoff", async () => {
    reset();
    const graphite = new FakeGraphite();
    graphite.up = false;
    const pusher = new GraphitePusher("h", 1, "app", graphite.options());
    await pusher.push({ x: 1 });
    graphite.up = true;
    assert.equal(await pusher.close(1_000), true);
    assert.equal(graphite.received, `app.x 1 ${T}\n`);
  });

  it("close() drops and counts what it cannot send by its deadline", async () => {
    reset();
    const graphite = new FakeGraphite();
    graphite.up = false;
    const pusher = new GraphitePusher("h", 1, "app", graphite.options());
    await pusher.push({ x: 1, y: 2 });
    assert.equal(await pusher.close(50), false);
    assert.deepEqual([graphiteStats().droppedPushes, graphiteStats().dropped], [1, 2]);
    assert.equal(graphiteStats().queued, 0);
  });
  it("close() stops trying at its deadline, even with a write still hanging", async () => {
    reset();
    const graphite = new FakeGraphite(Infinity, true);
    const pusher = new GraphitePusher("h", 1, "app", graphite.options({ writeTimeoutMs: 100 }));
    void pusher.push({ x: 1 });
    const started = Date.now();
    assert.equal(await pusher.close(30), false);
    assert.ok(Date.now() - started < 1_000, "close() was bounded by the write timeout");
    assert.equal(graphite.attempts.length, 1, "no reconnect after the deadline");
    assert.deepEqual([graphiteStats().droppedPushes, graphiteStats().queued], [1, 0]);
  });
});

describe("GraphitePusher deadlines", () => {
  quietly();

  it("aborts the connect attempt when the connect timeout passes", async () => {
    reset();
    const signals: AbortSignal[] = [];
    const pusher = new GraphitePusher("h", 1, "app", {
      connector: (_host, _port, signal) => {
        signals.push(signal!);
        return new Promise(() => {});
      },
      connectTimeoutMs: 30,
      minBackoffMs: 60_000,
    });
    assert.equal(await pusher.push({ x: 1 }), false);
    assert.deepEqual(signals.map((signal) => signal.aborted), [true]);
    await pusher.close(0);
  });

  it("close() returns by its deadline while a connect hangs, and aborts the attempt", async () => {
    reset();
    const signals: AbortSignal[] = [];
    const pusher = new GraphitePusher("h", 1, "app", {
      connector: (_host, _port, signal) => {
        signals.push(signal!);
        return new Promise(() => {});
      },
      connectTimeoutMs: 5_000,
    });
    void pusher.push({ x: 1 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    assert.equal(await pusher.close(50), false);
    const took = Date.now() - started;
    assert.ok(took < 1_000, `close(50) took ${took} ms, waiting for the 5 s connect timeout`);
    assert.deepEqual(signals.map((signal) => signal.aborted), [true]);
    const stats = graphiteStats();
    assert.deepEqual([stats.droppedPushes, stats.dropped, stats.queued, stats.errors], [
      1,
      1,
      0,
      0,
    ]);
  });

  it("close() returns by its deadline while a write hangs", async () => {
    reset();
    const graphite = new FakeGraphite(Infinity, true);
    const pusher = new GraphitePusher("h", 1, "app", graphite.options({ writeTimeoutMs: 5_000 }));
    void pusher.push({ x: 1, y: 2 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    assert.equal(await pusher.close(50), false);
    const took = Date.now() - started;
    assert.ok(took < 1_000, `close(50) took ${took} ms, waiting for the 5 s write timeout`);
    assert.equal(graphite.connections[0].closed, true);
    const stats = graphiteStats();
    assert.deepEqual([stats.droppedPushes, stats.dropped, stats.queued, stats.errors], [
      1,
      2,
      0,
      0,
    ]);
  });
});

describe("GraphitePusher tree option", () => {
  quietly();

  it("pushes only the stats of its own tree", async () => {
    reset();
    const a = new StatTree();
    const b = new StatTree();
    a.collection("/web", IntStat("hits")).hits = 3;
    b.collection("/db", IntStat("queries")).queries = 7;
    const graphite = new FakeGraphite();
    const pushA = new GraphitePusher("h", 1, "a", graphite.options({ tree: a })).forbid("scales/*");
    const pushB = new GraphitePusher("h", 1, "b", graphite.options({ tree: b })).forbid("scales/*");
    assert.equal(await pushA.push(), true);
    assert.equal(await pushB.push(), true);
    assert.deepEqual(graphite.connections.map((connection) => connection.text), [
      `a.web.hits 3 ${T}\n`,
      `b.db.queries 7 ${T}\n`,
    ]);
    await pushA.close();
    await pushB.close();
  });

  it("counts itself under /scales/graphite of the tree it pushes, not of the default tree", async () => {
    reset();
    const tree = new StatTree();
    tree.collection("/web", IntStat("hits")).hits = 3;
    const graphite = new FakeGraphite();
    const pusher = new GraphitePusher("h", 1, "app", graphite.options({ tree }));
    await pusher.push();
    await pusher.push();
    const own = tree.getStats("/scales/graphite") as Record<string, number>;
    assert.deepEqual([own.pushes, own.sentPushes], [2, 2]);
    assert.equal(getStats("/scales/graphite"), undefined);
    // The second push carried the first one's self-stats, from that tree.
    const second = graphite.connections[0].writes[1];
    assert.ok(second.includes(`app.scales.graphite.sentPushes 1 ${T}\n`), second);
    assert.ok(second.includes(`app.web.hits 3 ${T}\n`), second);
    await pusher.close();
  });

  it("takes the tree option on the periodic pusher too", async () => {
    reset();
    const tree = new StatTree();
    tree.collection("/job", IntStat("runs")).runs = 5;
    const graphite = new FakeGraphite();
    const pusher = new GraphitePeriodicPusher("h", 1, "app", {
      ...graphite.options({ tree, clock: Date.now }),
      periodMs: 20,
    }).forbid("scales/*").start();
    const own = () => tree.getStats("/scales/graphite") as Record<string, number>;
    const deadline = Date.now() + 2_000;
    while (own().sentPushes < 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(await pusher.stop(), true);
    assert.match(graphite.received, /^app\.job\.runs 5 \d+\n/);
    assert.equal(getStats("/scales/graphite"), undefined);
  });
});

describe("GraphitePusher arguments", () => {
  it("rejects a bad port, naming it", () => {
    assert.throws(() => new GraphitePusher("h", 70000), {
      name: "RangeError",
      message: "Graphite port must be an integer from 1 to 65535, got 70000",
    });
  });

  it("rejects a bad queue bound, naming it", () => {
    assert.throws(() => new GraphitePusher("h", 1, "p", { maxQueuedPushes: 0 }), {
      name: "RangeError",
      message: "maxQueuedPushes must be a positive integer, got 0",
    });
  });
});

describe("GraphitePeriodicPusher", () => {
  it("pushes every period until stopped", async () => {
    reset();
    const graphite = new FakeGraphite();
    const options = graphite.options({ clock: Date.now });
    const pusher = new GraphitePeriodicPusher("h", 1, "app", { ...options, periodMs: 20 }).start();
    const deadline = Date.now() + 2_000;
    while (graphiteStats().sentPushes < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(await pusher.stop(), true);
    const pushes = graphiteStats().sentPushes;
    assert.ok(pushes >= 3, `${pushes} pushes`);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(graphiteStats().sentPushes, pushes);
    assert.equal(pusher.running, false);
  });

  it("does not restart once stopped, and says so once", async () => {
    reset();
    const logged: string[] = [];
    const previous = setLogger((message) => logged.push(message));
    try {
      const graphite = new FakeGraphite();
      const pusher = new GraphitePeriodicPusher("h", 1, "app", {
        ...graphite.options(),
        periodMs: 10,
      });
      await pusher.start().stop();
      assert.equal(pusher.start().running, false);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(logged, [
        "graphite: start() on a stopped pusher to h:1 is ignored; make a new one",
      ]);
    } finally {
      setLogger(previous);
    }
  });

  it("rejects a bad period, naming it", () => {
    assert.throws(() => new GraphitePeriodicPusher("h", 1, "p", { periodMs: -5 }), {
      name: "RangeError",
      message: "periodMs must be a number of at least 1, got -5",
    });
  });
});
