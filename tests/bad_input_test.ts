import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  collection,
  dumpStatsTo,
  getStats,
  HistogramAggregationStat,
  IntDictStat,
  IntStat,
  reset,
  setLogger,
  Stat,
} from "@scales/core";
import { statsHandler } from "@scales/core/http";

/** Things a gauge function may throw that have no usable string form. */
const HOSTILE_THROWS: ReadonlyArray<readonly [string, () => unknown]> = [
  ["an object whose toString throws", () => ({
    toString() {
      throw new Error("no string for you");
    },
  })],
  ["an object with no prototype", () => Object.create(null)],
  ["an Error whose message getter throws", () => {
    const error = new Error("x");
    Object.defineProperty(error, "message", {
      get() {
        throw new Error("nope");
      },
    });
    return error;
  }],
  ["a symbol", () => Symbol("s")],
];

function quiet(): () => void {
  const previous = setLogger(() => {});
  return () => setLogger(previous);
}

describe("a gauge that throws a value with no string form", () => {
  for (const [what, make] of HOSTILE_THROWS) {
    it(`${what}: getStats gives an error marker and keeps the other stats`, () => {
      reset();
      const restore = quiet();
      try {
        collection(
          "/app",
          Stat("broken", () => {
            throw make();
          }),
          IntStat("fine", 3),
        );
        const app = getStats("/app") as Record<string, unknown>;
        assert.equal(app.fine, 3);
        assert.equal(typeof app.broken, "string");
        assert.match(app.broken as string, /^<error: .*>$/);
      } finally {
        restore();
      }
    });
  }

  it("every viewer format answers 200 with the other stats", async () => {
    reset();
    const restore = quiet();
    try {
      collection(
        "/app",
        Stat("broken", () => {
          throw Object.create(null);
        }),
        IntStat("fine", 3),
      );
      const viewer = statsHandler();
      for (const format of ["html", "json", "prettyjson", "prometheus"]) {
        const response = viewer(new Request(`http://localhost/status/app?format=${format}`));
        assert.equal(response.status, 200, format);
        assert.match(await response.text(), /fine/, format);
      }
    } finally {
      restore();
    }
  });

  it("the crash dump is written with the error marker", async () => {
    reset();
    const restore = quiet();
    const dir = mkdtempSync(join(tmpdir(), "scales-bad-"));
    try {
      collection(
        "/app",
        Stat("broken", () => {
          throw {
            toString() {
              throw new Error("x");
            },
          };
        }),
        IntStat("fine", 3),
      );
      const path = join(dir, "dump.json");
      await dumpStatsTo(path);
      const dump = JSON.parse(readFileSync(path, "utf8"));
      assert.equal(dump.app.fine, 3);
      assert.match(dump.app.broken, /^<error: /);
    } finally {
      restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("stats named like Object.prototype members", () => {
  const NAMES = ["toString", "constructor", "valueOf", "hasOwnProperty"];

  it("a filtered HTML page shows only the matching stats", async () => {
    reset();
    collection("/app", ...NAMES.map((name) => IntStat(name)), IntStat("errors", 2));
    const viewer = statsHandler();
    const html = await viewer(new Request("http://localhost/status/app?query=errors%3E0")).text();
    for (const name of NAMES) assert.doesNotMatch(html, new RegExp(`data-name="${name}"`), name);
    assert.match(html, /data-name="errors"/);
  });

  it("a filtered JSON answer has only the matching stats", async () => {
    reset();
    collection("/app", ...NAMES.map((name) => IntStat(name)), IntStat("errors", 2));
    const viewer = statsHandler();
    const json = await viewer(
      new Request("http://localhost/status/app?format=json&query=errors%3E0"),
    )
      .text();
    assert.deepEqual(JSON.parse(json), { errors: 2 });
  });

  it("a filtered Prometheus answer has only the matching stats", async () => {
    reset();
    collection("/app", ...NAMES.map((name) => IntStat(name)), IntStat("errors", 2));
    const viewer = statsHandler();
    const text = await viewer(
      new Request("http://localhost/status/app?format=prometheus&query=errors%3E0"),
    ).text();
    assert.match(text, /^app_errors_total 2$/m);
    assert.doesNotMatch(text, /to_string|constructor|value_of|has_own_property/);
  });

  it("a dict key __proto__ survives the query filter", async () => {
    reset();
    const stats = collection("/app", IntDictStat("byKey"));
    stats.byKey.inc("__proto__", 5);
    const viewer = statsHandler();
    const json = await viewer(new Request("http://localhost/status/app?format=json&query=byKey"))
      .text();
    assert.equal(json, '{"byKey":{"__proto__":5}}');
  });
});

describe("HistogramAggregationStat keeps zeros", () => {
  it("a value nobody holds any more stays at 0", () => {
    reset();
    collection("/processor", HistogramAggregationStat("state"));
    const a = collection("/processor/a", Stat("state", "great"));
    const b = collection("/processor/b", Stat("state", "good"));
    collection("/processor/c", Stat("state", "great"));
    b.state = "bad";
    b.state = "great";
    a.state = "great";
    assert.deepEqual(getStats("/processor")?.state, { great: 3, good: 0, bad: 0 });
  });

  it("with autoDelete, a value nobody holds disappears", () => {
    reset();
    collection("/processor", HistogramAggregationStat("state", { autoDelete: true }));
    const a = collection("/processor/a", Stat("state", "great"));
    a.state = "good";
    assert.deepEqual(getStats("/processor")?.state, { good: 1 });
  });

  it("past maxKeys, a value held at 0 makes room for a new one", () => {
    reset();
    collection("/p", HistogramAggregationStat("state", { maxKeys: 2 }));
    const a = collection("/p/a", Stat("state", "s1"));
    collection("/p/b", Stat("state", "s2"));
    a.state = "s3";
    assert.deepEqual(getStats("/p")?.state, { s2: 1, s3: 1 });
  });

  it("past maxKeys with no zero to drop, new values count under (other)", () => {
    reset();
    const restore = quiet();
    try {
      collection("/p", HistogramAggregationStat("state", { maxKeys: 2 }));
      collection("/p/a", Stat("state", "s1"));
      collection("/p/b", Stat("state", "s2"));
      collection("/p/c", Stat("state", "s3"));
      assert.deepEqual(getStats("/p")?.state, { s1: 1, s2: 1, "(other)": 1 });
    } finally {
      restore();
    }
  });

  it("rejects an autoDelete that is not a boolean", () => {
    assert.throws(
      () => HistogramAggregationStat("state", { autoDelete: "yes" as unknown as boolean }),
      { name: "TypeError", message: 'stat "state": autoDelete must be a boolean, got "yes"' },
    );
  });
});

describe("IntDictStat autoDelete", () => {
  it("keeps a key at 0 by default", () => {
    reset();
    const stats = collection("/q", IntDictStat("depth"));
    stats.depth.inc("a", 2);
    stats.depth.inc("a", -2);
    assert.deepEqual(getStats("/q"), { depth: { a: 0 } });
  });

  it("with autoDelete, leaves a key at 0 out of the snapshot", () => {
    reset();
    const stats = collection("/q", IntDictStat("depth", { autoDelete: true }));
    stats.depth.inc("a", 2);
    stats.depth.inc("b", 1);
    stats.depth.inc("a", -2);
    assert.deepEqual(getStats("/q"), { depth: { b: 1 } });
    stats.depth.a += 1;
    assert.deepEqual(getStats("/q"), { depth: { a: 1, b: 1 } });
  });
});
