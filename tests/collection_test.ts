import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  defineStats,
  findNode,
  getStats,
  init,
  initChild,
  IntDictStat,
  IntStat,
  release,
  reset,
  setCollapsed,
  Stat,
} from "@scales/core";

describe("collection", () => {
  it("creates the container with its ancestors", () => {
    reset();
    collection("/a/b/c", IntStat("n"));
    assert.deepEqual(getStats(), { a: { b: { c: { n: 0 } } } });
  });

  it("shares the stats of two collections at the same path", () => {
    reset();
    const first = collection("/web", IntStat("hits"));
    const second = collection("/web", IntStat("hits"), IntStat("misses"));
    first.hits += 1;
    second.hits += 1;
    assert.deepEqual(getStats(), { web: { hits: 2, misses: 0 } });
  });

  it("rejects a redeclaration as another type", () => {
    reset();
    collection("/web", IntStat("hits"));
    assert.throws(() => collection("/web", Stat("hits")), {
      name: "TypeError",
      message: "stat /web/hits is already declared as IntStat, not Stat",
    });
  });

  it("rejects a name declared twice in one call", () => {
    reset();
    assert.throws(() => collection("/web", IntStat("hits"), IntStat("hits")), {
      name: "TypeError",
      message: 'stat "hits" is declared twice for /web',
    });
  });

  it("rejects a stat where a container of that name exists, and the reverse", () => {
    reset();
    collection("/web/api", IntStat("n"));
    assert.throws(() => collection("/web", IntStat("api")), {
      message: "cannot create stat /web/api: a container of that name exists there",
    });
    assert.throws(() => collection("/web/api/n/deeper", IntStat("x")), {
      message: "cannot create container /web/api/n: a stat of that name exists there",
    }, "stat name blocks a container");
  });

  it("accepts a trailing slash on the path", () => {
    reset();
    collection("/web/", IntStat("n"));
    assert.deepEqual(getStats(), { web: { n: 0 } });
  });
});

describe("names and paths", () => {
  it("rejects an empty stat name", () => {
    assert.throws(() => IntStat(""), {
      name: "TypeError",
      message: 'IntStat name must be a non-empty string without "/", and not "." or "..", got ""',
    });
  });

  it("rejects a stat name containing a slash", () => {
    assert.throws(() => IntDictStat("a/b"), {
      name: "TypeError",
      message:
        'IntDictStat name must be a non-empty string without "/", and not "." or "..", got "a/b"',
    });
  });

  it("rejects the names . and .., which no viewer URL could reach", () => {
    assert.throws(() => IntStat(".."), {
      name: "TypeError",
      message: 'IntStat name must be a non-empty string without "/", and not "." or "..", got ".."',
    });
    assert.throws(() => collection("/web/./x", IntStat("n")), {
      name: "TypeError",
      message: 'a stat path must not have "." or ".." segments, got "/web/./x"',
    });
  });

  it("rejects a path with an empty segment", () => {
    assert.throws(() => collection("/web//api", IntStat("n")), {
      name: "TypeError",
      message: 'a stat path must not have empty segments, got "/web//api"',
    });
  });

  it("rejects a relative path", () => {
    assert.throws(() => collection("web", IntStat("n")), {
      name: "TypeError",
      message: 'a stat path must be a string starting with "/", such as "/web", got "web"',
    });
  });
});

describe("getStats", () => {
  it("returns the subtree at a path", () => {
    reset();
    collection("/web/api", IntStat("n", 3));
    assert.deepEqual(getStats("/web"), { api: { n: 3 } });
  });

  it("returns undefined for a path with no container", () => {
    reset();
    assert.equal(getStats("/missing"), undefined);
  });

  it("round-trips through JSON unchanged", () => {
    reset();
    const STATS = collection("/web", IntStat("n"), IntDictStat("byPath"), Stat("s", 'a"b\n'));
    STATS.byPath["<img src=x onerror=alert(1)>"] += 1;
    const snapshot = getStats();
    assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot);
  });
});

describe("reset and setCollapsed", () => {
  it("reset forgets every stat", () => {
    collection("/web", IntStat("n"));
    reset();
    assert.deepEqual(getStats(), {});
  });

  it("setCollapsed marks a container, creating it when missing", () => {
    reset();
    setCollapsed("/web/byPath");
    assert.equal(findNode("/web/byPath")?.collapsed, true);
    setCollapsed("/web/byPath", false);
    assert.equal(findNode("/web/byPath")?.collapsed, false);
  });
});

describe("per-object stats", () => {
  class Handler {
    static readonly STATS = defineStats(IntStat("requests"), IntDictStat("byPath"));
    readonly stats = init(this, "/handler", Handler.STATS);

    handle(path: string): void {
      this.stats.requests += 1;
      this.stats.byPath[path] += 1;
    }
  }

  it("the seed's Handler example counts at /handler", () => {
    reset();
    const handler = new Handler();
    handler.handle("/a");
    handler.handle("/a");
    assert.deepEqual(getStats(), { handler: { requests: 2, byPath: { "/a": 2 } } });
  });

  it("objects at the same path share the container until the last is released", () => {
    reset();
    const first = new Handler();
    const second = new Handler();
    first.handle("/a");
    second.handle("/b");
    assert.equal(getStats("/handler")?.requests, 2);
    assert.equal(release(first), true);
    assert.equal(getStats("/handler")?.requests, 2);
    assert.equal(release(second), true);
    assert.deepEqual(getStats(), {});
  });

  it("releasing an object leaves a collection declared at the same path in the tree", () => {
    reset();
    const WEB = collection("/web", IntStat("hits"));
    const handler = {};
    init(handler, "/web", defineStats(IntStat("requests"))).requests += 2;
    const late = {};
    init(late, "/api", defineStats(IntStat("requests")));
    const API = collection("/api", IntStat("calls"));
    const jobs = {};
    init(jobs, "/jobs", defineStats(IntStat("started")));
    const QUEUE = collection("/jobs/queue", IntStat("depth"));
    release(handler);
    release(late);
    release(jobs);
    WEB.hits += 1;
    API.calls += 1;
    QUEUE.depth += 3;
    assert.deepEqual(getStats(), {
      web: { hits: 1, requests: 2 },
      api: { requests: 0, calls: 1 },
      jobs: { started: 0, queue: { depth: 3 } },
    });
  });

  it("release returns false for an object without stats", () => {
    assert.equal(release({}), false);
  });

  it("refuses to init the same object twice", () => {
    reset();
    const obj = {};
    init(obj, "/x", defineStats(IntStat("n")));
    assert.throws(() => init(obj, "/y", defineStats(IntStat("n"))), {
      name: "TypeError",
      message: "this object already has stats at /x; call release(obj) before init again",
    });
  });

  it("initChild refuses a parent object that has no stats", () => {
    reset();
    assert.throws(() => initChild({}, {}, "child", defineStats(IntStat("n"))), {
      name: "TypeError",
      message:
        "initChild: the parent object has no stats in this tree; call init(parent, path, ...) first or pass a path",
    });
  });

  it("initChild accepts a parent path", () => {
    reset();
    const stats = initChild({}, "/pool", "w-1", defineStats(IntStat("n", 1)));
    assert.equal(stats.n, 1);
    assert.deepEqual(getStats(), { pool: { "w-1": { n: 1 } } });
  });

  it("an unreachable object's stats leave the tree after garbage collection", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) {
      assert.fail("run with --v8-flags=--expose-gc (the test task does)");
    }
    reset();
    (() => {
      initChild({}, "/pool", "ephemeral", defineStats(IntStat("n")));
    })();
    for (let i = 0; i < 50 && findNode("/pool/ephemeral") !== undefined; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(findNode("/pool/ephemeral"), undefined);
  });
});
