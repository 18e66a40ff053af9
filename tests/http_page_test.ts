/**
 * The viewer page at any tree size (a row budget, left-out containers as
 * links, `?all`, `?open=`, `?find=`), its units and kinds, the history it
 * is served (`?history`), and the workers line.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { IntStat, MeterStat, PmfStat, Stat, StatHistory, StatTree } from "@scales/core";
import { statsHandler, type StatsHandlerOptions } from "@scales/core/http";
import { benchContainerStats } from "./_big_tree.ts";

const XSS = "<img src=x onerror=alert(1)>";

function viewer(tree: StatTree, options: StatsHandlerOptions = {}) {
  const handler = statsHandler({ serverName: "page test", tree, ...options });
  return (path: string) => handler(new Request(`http://localhost${path}`));
}

/** `containers` containers of ten stats each, like bench/render_bench.ts: 10 × containers stats. */
function bigTree(containers: number): StatTree {
  const tree = new StatTree();
  for (let i = 0; i < containers; i++) {
    const s = tree.collection(`/service${i % 10}/handler${i}`, ...benchContainerStats());
    s.requests = i * 1000;
    for (const status of ["200", "304", "404", "500"]) s.byStatus.inc(status, i);
    s.latency.add(20 + i % 7);
    s.hits.mark(i);
  }
  return tree;
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

describe("the viewer page at any tree size", () => {
  it("keeps a 10,000-stat tree's page under 1 MB", async () => {
    const html = await viewer(bigTree(1_000))("/status/").text();
    const bytes = new TextEncoder().encode(html).length;
    assert.ok(bytes < 1_000_000, `${bytes} bytes`);
  });

  it("shows at most rowBudget value rows: containers that fit whole, then links with their stat count", async () => {
    const html = await viewer(bigTree(20), { rowBudget: 100 })("/status/").text();
    assert.ok(count(html, /data-value=/g) <= 100);
    assert.match(
      html,
      /<section class="c lazy" data-name="service2" data-path="\/service2"><h2><a href="\/status\/service2\/">service2<\/a> <span class="tag">20 stats, not shown<\/span><\/h2><\/section>/,
    );
    assert.match(html, /data-path="\/service1\/handler1\/requests"/);
    assert.match(
      html,
      /<section class="c lazy" data-name="handler11" [^>]*><h2><a href="\/status\/service1\/handler11\/">handler11<\/a> <span class="tag">10 stats, not shown/,
    );
  });

  it("shows every container whole when they fit", async () => {
    const html = await viewer(bigTree(2))("/status/").text();
    assert.equal(count(html, /class="c lazy"/g), 0);
    assert.match(html, /data-path="\/service1\/handler1\/requests" data-value="1000"/);
  });

  it("shows everything with ?all", async () => {
    const html = await viewer(bigTree(20), { rowBudget: 100 })("/status/?all").text();
    assert.equal(count(html, /class="c lazy"/g), 0);
    assert.equal(count(html, /data-path="\/service\d\/handler\d+\/requests"/g), 20);
  });

  it("shows the containers named by ?open= as their own pages would, whatever room is left", async () => {
    const html = await viewer(bigTree(20), { rowBudget: 1 })(
      "/status/?open=/service3&open=/service3/handler13",
    ).text();
    assert.match(html, /<section class="c lazy" data-name="handler3" /);
    assert.match(html, /data-path="\/service3\/handler13\/requests" data-value="13000"/);
    assert.doesNotMatch(html, /data-path="\/service3\/handler3\/requests"/);
  });

  it("lists at most half the row budget of container headings (at least 50), then counts the rest", async () => {
    const tree = new StatTree();
    for (let i = 0; i < 200; i++) tree.collection(`/c${i}`, IntStat("n"));
    const html = await viewer(tree, { rowBudget: 60 })("/status/").text();
    assert.equal(count(html, /<section /g), 50);
    assert.match(
      html,
      /<p class="more"><a href="\/status\/\?all">150 more containers \(show all\)<\/a><\/p>/,
    );
  });

  it("shows containers at most 8 levels below the page's, deeper ones as links", async () => {
    const tree = new StatTree();
    tree.collection("/a/b/c/d/e/f/g/h/i/j", IntStat("n")).n = 1;
    const get = viewer(tree);
    const html = await get("/status/").text();
    assert.match(
      html,
      /<section class="c lazy" data-name="h" data-path="\/a\/b\/c\/d\/e\/f\/g\/h"><h2><a href="\/status\/a\/b\/c\/d\/e\/f\/g\/h\/">h<\/a> <span class="tag">1 stat, not shown/,
    );
    assert.match(
      await get("/status/a/b/c/").text(),
      /data-path="\/a\/b\/c\/d\/e\/f\/g\/h\/i\/j\/n"/,
    );
  });

  it("lists a container's own stats past the budget as a link to show them all", async () => {
    const tree = new StatTree();
    tree.collection("/x", ...Array.from({ length: 5 }, (_, i) => IntStat(`s${i}`)));
    const html = await viewer(tree, { rowBudget: 3 })("/status/x/").text();
    assert.equal(count(html, /data-value=/g), 3);
    assert.match(
      html,
      /<tr class="more"><td colspan="2"><a href="\/status\/x\/\?all">2 more stats \(show all\)<\/a><\/td><\/tr>/,
    );
  });

  it("finds names containing ?find= text at any depth, ignoring case, left-out parts included", async () => {
    const html = await viewer(bigTree(20), { rowBudget: 40 })("/status/?find=HANDLER17").text();
    assert.match(html, /data-path="\/service7\/handler17\/requests" data-value="17000"/);
    assert.doesNotMatch(html, /data-path="\/service7\/handler7\//);
    assert.doesNotMatch(html, /class="c lazy"/);
  });

  it("shows what ?find= matched inside a collapsed container", async () => {
    const tree = new StatTree();
    tree.collection("/cache", IntStat("hits"), IntStat("misses")).hits = 4;
    tree.setCollapsed("/cache");
    const get = viewer(tree);
    assert.match(await get("/status/").text(), /<section class="c collapsed" data-name="cache"/);
    const html = await get("/status/?find=hit").text();
    assert.match(html, /<section class="c" data-name="cache" data-path="\/cache">/);
    assert.match(html, /data-path="\/cache\/hits" data-value="4"/);
    assert.doesNotMatch(html, /data-path="\/cache\/misses"/);
  });

  it("says when ?find= matched nothing", async () => {
    const html = await viewer(bigTree(1))("/status/?find=nothing%20like%20this").text();
    assert.match(html, /<p class="empty">No stats match <code>nothing like this<\/code>.<\/p>/);
  });

  it("rejects a rowBudget under 1, naming it", () => {
    assert.throws(() => statsHandler({ rowBudget: 0 }), /rowBudget must be at least 1, got 0/);
  });
});

describe("the viewer page's kinds and units", () => {
  it("marks each stat row with its kind, and distributions with milliseconds", async () => {
    const tree = new StatTree();
    tree.collection("/web", IntStat("requests"), PmfStat("latency"), MeterStat("hits"));
    const html = await viewer(tree)("/status/").text();
    assert.match(
      html,
      /<tr data-name="requests" data-type="IntStat" data-kind="counter"><th scope="row">requests<\/th>/,
    );
    assert.match(
      html,
      /<tr data-name="latency" data-type="PmfStat" data-kind="pmf" data-unit="ms"><th scope="row">latency <span class="tag">ms<\/span><\/th>/,
    );
    assert.match(
      html,
      /<tr data-name="hits" data-type="MeterStat" data-kind="meter" data-unit="\/s">/,
    );
  });

  it("takes seconds and bytes from the stat's name", async () => {
    const tree = new StatTree();
    tree.collection("/p", PmfStat("delaySeconds"), Stat("heapBytes", 1));
    const html = await viewer(tree)("/status/").text();
    assert.match(
      html,
      /data-name="delaySeconds" data-type="PmfStat" data-kind="pmf" data-unit="s"/,
    );
    assert.match(html, /data-name="heapBytes" data-type="Stat" data-kind="gauge" data-unit="B"/);
  });

  it("stamps <main> with the server's clock and whether it has a history", async () => {
    const tree = new StatTree();
    const before = Date.now();
    const html = await viewer(tree)("/status/").text();
    const t = Number(html.match(/<main id="stats" data-t="(\d+)" data-history="0">/)?.[1]);
    assert.ok(t >= before && t <= Date.now(), String(t));
  });
});

describe("the viewer's ?history", () => {
  it("answers the history of the page's container as JSON", async () => {
    const tree = new StatTree();
    const web = tree.collection("/web", IntStat("requests"));
    tree.collection("/db", IntStat("queries"));
    const history = new StatHistory({ tree, intervalMs: 1_000 });
    history.sample(1_000);
    web.requests = 7;
    history.sample(2_000);
    const get = viewer(tree, { history });
    const response = get("/status/web/?history");
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    assert.deepEqual(await response.json(), {
      intervalMs: 1_000,
      t: [1_000, 2_000],
      series: { "/web/requests ": [0, 7] },
      unsampled: 0,
    });
    assert.match(await get("/status/").text(), /data-history="1"/);
  });

  it("answers 404 in JSON when the viewer has no history", async () => {
    const response = viewer(new StatTree())("/status/?history");
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), {
      error: "no history: pass a started StatHistory as the viewer's history option",
    });
  });
});

describe("the viewer page's workers line", () => {
  it("links to each worker alone and to the merged view, and names the missing ones", async () => {
    const tree = new StatTree();
    const html = await viewer(tree, {
      workers: () => ({ names: ["w1", XSS], selected: "w1", missing: [XSS] }),
    })("/status/").text();
    assert.match(
      html,
      /<nav class="note workers" aria-label="Workers"><a href="\?">all workers<\/a> <span aria-current="page">w1<\/span> <a href="\?worker=%3Cimg\+src%3Dx\+onerror%3Dalert%281%29%3E">&lt;img src=x onerror=alert\(1\)&gt;<\/a><\/nav>/,
    );
    assert.match(
      html,
      /<p class="note warn" role="status">Missing: &lt;img src=x onerror=alert\(1\)&gt; \(no answer in time; last known values shown\)<\/p>/,
    );
  });

  it("shows no workers line without the option", async () => {
    assert.doesNotMatch(await viewer(new StatTree())("/status/").text(), /class="note workers"/);
  });
});
