import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { getStats, reset } from "@scales/core";
import { GraphitePusher, sanitizeSegment } from "@scales/core/graphite";

const NOW = 1_800_000_000_999; // ms; the pushed timestamp is 1800000000
const T = 1_800_000_000;

function pusher(prefix = "app"): GraphitePusher {
  return new GraphitePusher("127.0.0.1", 2003, prefix);
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

describe("graphite names and values", () => {
  it("joins the prefix and path segments with dots, one whole-second timestamp per push", async () => {
    const text = await pusher("my.server.prefix.").format({ web: { hits: 3, errors: 0 } }, NOW);
    assert.equal(
      text,
      `my.server.prefix.web.hits 3 ${T}\nmy.server.prefix.web.errors 0 ${T}\n`,
    );
  });

  it("adds the trailing dot to a prefix that lacks it", async () => {
    assert.equal(await pusher("a.b").format({ x: 1 }, NOW), `a.b.x 1 ${T}\n`);
  });

  it("turns pmf and meter fields into leaf segments and skips the meter unit", async () => {
    const snapshot = {
      web: {
        latency: { count: 2, "99percentile": 0.25, mean: 0.125 },
        hits: { count: 10, m1: 1.5, m5: 1.25, m15: 1, mean: 2, unit: "per second" },
      },
    };
    assert.deepEqual(lines(await pusher().format(snapshot, NOW)), [
      `app.web.latency.count 2 ${T}`,
      `app.web.latency.99percentile 0.25 ${T}`,
      `app.web.latency.mean 0.125 ${T}`,
      `app.web.hits.count 10 ${T}`,
      `app.web.hits.m1 1.5 ${T}`,
      `app.web.hits.m5 1.25 ${T}`,
      `app.web.hits.m15 1 ${T}`,
      `app.web.hits.mean 2 ${T}`,
    ]);
  });

  it("turns dict keys into segments", async () => {
    const text = await pusher().format({ web: { byStatus: { "200": 5, "404": 1 } } }, NOW);
    assert.deepEqual(lines(text), [`app.web.byStatus.200 5 ${T}`, `app.web.byStatus.404 1 ${T}`]);
  });

  it("pushes booleans as 1 and 0", async () => {
    const text = await pusher().format({ up: true, degraded: false }, NOW);
    assert.equal(text, `app.up 1 ${T}\napp.degraded 0 ${T}\n`);
  });

  it("pushes only finite numbers: strings, NaN, Infinity and null give no line", async () => {
    const text = await pusher().format(
      { s: "text", nan: NaN, inf: Infinity, ninf: -Infinity, nothing: null, ok: -1.5e-7 },
      NOW,
    );
    assert.equal(text, `app.ok -1.5e-7 ${T}\n`);
  });

  it("counts skipped strings, NaN and Infinity, but not null or a meter's unit", async () => {
    reset();
    const p = new GraphitePusher("127.0.0.1", 2003, "app", {
      connector: () => Promise.reject(new Error("offline")),
      clock: () => NOW,
    });
    await p.push({ s: "text", nan: NaN, inf: Infinity, nothing: null, m: { unit: "per second" } });
    assert.equal(getStats("/scales/graphite")?.skipped, 3);
    await p.close(0);
  });

  it("uses the lower-cased, sanitized host name when no prefix is given", async () => {
    const expected = hostname().toLowerCase().replace(/[ .]/g, "-").replace(
      /[^a-z0-9_-]/gu,
      "_",
    );
    assert.equal(await new GraphitePusher("127.0.0.1", 2003).prefix(), `${expected}.`);
  });
});

describe("graphite name sanitizing", () => {
  const cases: Array<[string, string]> = [
    ["plain_name-1", "plain_name-1"],
    ["a b", "a-b"],
    ["a.b", "a-b"],
    ["a/b", "a_b"],
    ["line\nbreak", "line_break"],
    ["\r\t\0", "___"],
    ["tag;k=v", "tag_k_v"],
    ["café", "caf_"],
    ["😀", "_"],
    ["", "_"],
    ["x 1 0\nevil.metric 666", "x-1-0_evil-metric-666"],
  ];
  for (const [input, output] of cases) {
    it(`sanitizes ${JSON.stringify(input)} to ${JSON.stringify(output)}`, () => {
      assert.equal(sanitizeSegment(input), output);
    });
  }

  it("keeps a hostile dict key on one line and one level", async () => {
    const text = await pusher().format({ d: { "a\nb.c 1 2": 7 } }, NOW);
    assert.equal(text, `app.d.a_b-c-1-2 7 ${T}\n`);
  });
});

describe("graphite rules", () => {
  const snapshot = {
    web: { hits: 1, errors: 2, byPath: { "/": 3 } },
    db: { queries: 4 },
  };

  it("pushes every numeric stat by default", async () => {
    assert.equal(lines(await pusher().format(snapshot, NOW)).length, 4);
  });

  it("forbids by glob, where * also matches /", async () => {
    const text = await pusher().forbid("web/*").format(snapshot, NOW);
    assert.deepEqual(lines(text), [`app.db.queries 4 ${T}`]);
  });

  it("lets the newest matching rule win", async () => {
    const text = await pusher().forbid("/web/*").allow("/web/errors").format(snapshot, NOW);
    assert.deepEqual(lines(text), [`app.web.errors 2 ${T}`, `app.db.queries 4 ${T}`]);
  });

  it("lets a forbid added after an allow win again", async () => {
    const text = await pusher().allow("*").forbid("db/queries").format(snapshot, NOW);
    assert.equal(lines(text).length, 3);
  });

  it("passes the stat path and value to function rules", async () => {
    const seen: Array<[string, unknown]> = [];
    await pusher().forbid((path, value) => {
      seen.push([path, value]);
      return false;
    }).format(snapshot, NOW);
    assert.deepEqual(seen, [
      ["/web/hits", 1],
      ["/web/errors", 2],
      ["/web/byPath//", 3],
      ["/db/queries", 4],
    ]);
  });

  it("matches ? and [!...] as fnmatch does", async () => {
    const text = await pusher().forbid("web/[!h]rrors").forbid("d?/*").format(snapshot, NOW);
    assert.deepEqual(lines(text), [`app.web.hits 1 ${T}`, `app.web.byPath._ 3 ${T}`]);
  });

  it("stops the walk at a pruned branch", async () => {
    const visited: string[] = [];
    const text = await pusher().prune((path) => {
      visited.push(path);
      return path === "/web";
    }).format(snapshot, NOW);
    assert.deepEqual(lines(text), [`app.db.queries 4 ${T}`]);
    assert.deepEqual(visited, ["/web", "/db", "/db/queries"]);
  });

  it("doNotLog skips a branch and what is below it, not its look-alike siblings", async () => {
    const text = await pusher().doNotLog("/web/byPath").format(
      { web: { byPath: { a: 1 }, byPathCount: 2 } },
      NOW,
    );
    assert.deepEqual(lines(text), [`app.web.byPathCount 2 ${T}`]);
  });

  it("rejects a rule that is neither a glob nor a function, naming it", () => {
    assert.throws(
      () => pusher().allow(42 as unknown as string),
      { name: "TypeError", message: "allow() takes a glob string or a function, got 42" },
    );
  });
});
