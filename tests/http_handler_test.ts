import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  getStats,
  IntDictStat,
  IntStat,
  setCollapsed,
  setLogger,
  Stat,
  StringDictStat,
} from "@scales/core";
import { bearerToken, statsHandler } from "@scales/core/http";
import { FixedStat, PMF_SNAPSHOT, resetToEmptyTree } from "./_prometheus.ts";

const XSS = "<img src=x onerror=alert(1)>";
const ODD = 'quote " back \\ slash\nnewline naïve 日本語';

function get(path: string, init?: RequestInit): Response {
  return statsHandler({ serverName: "test server" })(new Request(`http://localhost${path}`, init));
}

function quiet(): () => void {
  const previous = setLogger(() => {});
  return () => setLogger(previous);
}

function sampleTree(): void {
  const web = collection("/web", IntStat("errors"), IntStat("success"), IntDictStat("byPath"));
  web.errors = 3;
  web.success = 1234567;
  web.byPath.inc("/login", 2);
  collection("/web/handlers/home", IntStat("hits")).hits = 7;
  collection("/db", IntStat("errors"), Stat("state", "ok"), Stat("ratio", 0.123456));
}

beforeEach(() => resetToEmptyTree());

describe("statsHandler JSON formats", () => {
  it("answers ?format=json with exactly getStats() of the whole tree", async () => {
    sampleTree();
    const response = get("/status/?format=json");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(await response.text(), JSON.stringify(getStats()));
  });

  it("indents ?format=prettyjson by two spaces", async () => {
    collection("/web", IntStat("errors"));
    const response = get("/status/?format=prettyjson");
    assert.equal(await response.text(), '{\n  "web": {\n    "errors": 0\n  }\n}\n');
  });

  it("answers a subtree path with getStats() of that path, with or without a trailing slash", async () => {
    sampleTree();
    const expected = JSON.stringify(getStats("/web"));
    assert.equal(await get("/status/web?format=json").text(), expected);
    assert.equal(await get("/status/web/?format=json").text(), expected);
    assert.equal(await get("/status/web/handlers/home?format=json").text(), '{"hits":7}');
  });

  it("decodes percent-encoded container names in the path", async () => {
    collection("/a b/ü", IntStat("n")).n = 5;
    const response = get(
      `/status/${encodeURIComponent("a b")}/${encodeURIComponent("ü")}?format=json`,
    );
    assert.equal(await response.text(), '{"n":5}');
  });

  it("treats the prefix without its trailing slash as the root", async () => {
    collection("/web", IntStat("errors"));
    assert.equal(await get("/status?format=json").text(), '{"web":{"errors":0}}');
  });

  it("keeps JSON well-formed for keys with quotes, backslashes, newlines and non-ASCII", async () => {
    const stats = collection("/odd", IntDictStat("byKey"), StringDictStat("labels"));
    stats.byKey.inc(ODD);
    stats.byKey.inc(XSS);
    stats.labels[ODD] = ODD;
    const text = await get("/status/odd?format=json").text();
    assert.deepEqual(JSON.parse(text), {
      byKey: { [ODD]: 1, [XSS]: 1 },
      labels: { [ODD]: ODD },
    });
  });
});

describe("statsHandler query", () => {
  it("keeps only matching leaves and their ancestors in JSON", async () => {
    sampleTree();
    const response = get(`/status/?format=json&query=${encodeURIComponent("errors > 0")}`);
    assert.equal(await response.text(), '{"web":{"errors":3}}');
  });

  it("keeps a whole subtree for a bare key", async () => {
    sampleTree();
    const response = get("/status/?format=json&query=handlers");
    assert.equal(await response.text(), '{"web":{"handlers":{"home":{"hits":7}}}}');
  });

  it("answers {} when nothing matches", async () => {
    sampleTree();
    assert.equal(await get("/status/?format=json&query=nothing").text(), "{}");
  });

  it("answers 400 with the reason for a query that does not parse, in JSON", async () => {
    const response = get(`/status/?format=json&query=${encodeURIComponent("a > 1 > 2")}`);
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error:
        'query "a > 1 > 2" has 2 operators: expected `key` or `key OP value` with one of >=, >, <=, <, =, ==, !=',
    });
  });

  it("answers 400 with the reason for a query without a value, in HTML", async () => {
    const response = get(`/status/?query=${encodeURIComponent("errors >=")}`);
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(await response.text(), /query &quot;errors &gt;=&quot; has no value after &gt;=/);
  });

  it("filters the Prometheus output too", async () => {
    sampleTree();
    const response = get(`/status/?format=prometheus&query=${encodeURIComponent("hits >= 7")}`);
    assert.equal(
      await response.text(),
      "# HELP web_handlers_home_hits_total /web/handlers/home/hits (IntStat)\n" +
        "# TYPE web_handlers_home_hits_total counter\n" +
        "web_handlers_home_hits_total 7\n",
    );
  });

  it("filters the HTML page to the matching rows", async () => {
    sampleTree();
    const html = await get(`/status/?query=${encodeURIComponent("state = ok")}`).text();
    assert.match(html, /<td class="s" data-path="\/db\/state">ok<\/td>/);
    assert.doesNotMatch(html, /data-path="\/web\/errors"/);
    assert.doesNotMatch(html, /data-path="\/db\/errors"/);
  });
});

describe("statsHandler Prometheus format", () => {
  it("serves the whole tree at /metrics in the text format 0.0.4", async () => {
    collection("/web", IntStat("errors")).errors = 2;
    const response = get("/metrics");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(
      await response.text(),
      "# HELP web_errors_total /web/errors (IntStat)\n# TYPE web_errors_total counter\nweb_errors_total 2\n",
    );
  });

  it("serves a subtree with ?format=prometheus, named by full path", async () => {
    collection("/web", IntStat("errors")).errors = 2;
    collection("/db", IntStat("errors")).errors = 5;
    const text = await get("/status/db?format=prometheus").text();
    assert.equal(
      text,
      "# HELP db_errors_total /db/errors (IntStat)\n# TYPE db_errors_total counter\ndb_errors_total 5\n",
    );
  });

  it("escapes label values with quotes, backslashes, newlines and keeps non-ASCII", async () => {
    collection("/odd", IntDictStat("byKey")).byKey.inc(ODD);
    const text = await get("/status/odd?format=prometheus").text();
    assert.equal(
      text.split("\n")[2],
      'odd_by_key_total{key="quote \\" back \\\\ slash\\nnewline naïve 日本語"} 1',
    );
  });

  it("serves summaries for distributions", async () => {
    collection("/web", FixedStat("latency", "PmfStat", "pmf", PMF_SNAPSHOT));
    const text = await get("/metrics").text();
    assert.match(text, /^web_latency\{quantile="0.99"\} 38$/m);
    assert.match(text, /^web_latency_count 10$/m);
  });
});

describe("statsHandler HTML page", () => {
  it("is titled with the server name and path", async () => {
    sampleTree();
    const html = await get("/status/web/handlers/").text();
    assert.match(html, /<title>test server — \/web\/handlers<\/title>/);
  });

  it("links every container name to its own page", async () => {
    sampleTree();
    const html = await get("/status/").text();
    assert.match(html, /<a href="\/status\/web\/">web<\/a>/);
    assert.match(html, /<a href="\/status\/web\/handlers\/">handlers<\/a>/);
    assert.match(html, /<a href="\/status\/web\/handlers\/home\/">home<\/a>/);
  });

  it("shows breadcrumbs back up to the root", async () => {
    sampleTree();
    const html = await get("/status/web/handlers/home/").text();
    assert.match(
      html,
      /<nav class="crumbs" aria-label="Breadcrumbs"><a href="\/status\/">\/<\/a><a href="\/status\/web\/">web<\/a><a href="\/status\/web\/handlers\/">handlers<\/a><span aria-current="page">home<\/span><\/nav>/,
    );
  });

  it("shows a collapsed container as a link only", async () => {
    sampleTree();
    setCollapsed("/web/handlers");
    const html = await get("/status/").text();
    assert.match(
      html,
      /<section class="c collapsed" data-name="handlers" data-path="\/web\/handlers"><h2><a href="\/status\/web\/handlers\/">handlers<\/a>/,
    );
    assert.doesNotMatch(html, /data-path="\/web\/handlers\/home\/hits"/);
  });

  it("expands a collapsed container on its own page", async () => {
    sampleTree();
    setCollapsed("/web/handlers");
    const html = await get("/status/web/handlers/").text();
    assert.match(html, /data-path="\/web\/handlers\/home\/hits" data-value="7"/);
  });

  it("groups integer digits and rounds fractions, keeping the exact value in data-value", async () => {
    sampleTree();
    const html = await get("/status/").text();
    assert.match(
      html,
      /<td class="n" data-path="\/web\/success" data-value="1234567" title="1234567">1,234,567<\/td>/,
    );
    assert.match(
      html,
      /<td class="n" data-path="\/db\/ratio" data-value="0.123456" title="0.123456">0.123<\/td>/,
    );
  });

  it("marks dict entries with the stat path and the key", async () => {
    sampleTree();
    const html = await get("/status/web/").text();
    assert.match(
      html,
      /<td class="n" data-path="\/web\/byPath" data-keys="\[&quot;\/login&quot;\]" data-value="2"/,
    );
  });

  it("escapes stat names, dict keys and string values", async () => {
    const stats = collection("/x", IntDictStat("byKey"), Stat(XSS, XSS));
    stats.byKey.inc(XSS);
    const html = await get("/status/x/").text();
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /<th scope="row">&lt;img src=x onerror=alert\(1\)&gt;<\/th>/);
    assert.match(
      html,
      /<td class="s" data-path="\/x\/&lt;img src=x onerror=alert\(1\)&gt;">&lt;img src=x onerror=alert\(1\)&gt;<\/td>/,
    );
  });

  it("escapes a container name in links", async () => {
    collection(`/${XSS}`, IntStat("n"));
    const html = await get("/status/").text();
    assert.doesNotMatch(html, /<img/);
    assert.match(
      html,
      /<a href="\/status\/%3Cimg%20src%3Dx%20onerror%3Dalert\(1\)%3E\/">&lt;img src=x onerror=alert\(1\)&gt;<\/a>/,
    );
  });

  it("has a filter form that works without JavaScript", async () => {
    const html = await get(`/status/?query=${encodeURIComponent('a "b"')}`).text();
    assert.match(html, /<form method="get" action="\/status\/" role="search">/);
    assert.match(html, /<input type="search" id="q" name="query" value="a &quot;b&quot;"/);
  });

  it("checks the auto-refresh toggle and keeps the interval from ?refresh=", async () => {
    const html = await get("/status/?refresh=7").text();
    assert.match(html, /<input type="checkbox" id="auto" checked>/);
    assert.match(html, /id="every" name="refresh" min="1" max="3600" value="7" aria-label/);
  });

  it("leaves auto-refresh off without ?refresh=", async () => {
    const html = await get("/status/").text();
    assert.match(html, /<input type="checkbox" id="auto">/);
    assert.match(html, /value="5" disabled/);
  });

  it("says when no stats exist yet", async () => {
    assert.match(await get("/status/").text(), /<p class="empty">No stats here yet.<\/p>/);
  });
});

describe("statsHandler failing stats", () => {
  it("shows an error marker for a gauge that throws, and the other stats as usual", async () => {
    const restore = quiet();
    try {
      collection(
        "/g",
        Stat("broken", (): number => {
          throw new Error("boom");
        }),
        IntStat("fine"),
      );
      assert.equal(
        await get("/status/g?format=json").text(),
        '{"broken":"<error: boom>","fine":0}',
      );
      const html = await get("/status/g/").text();
      assert.match(html, /<td class="err" data-path="\/g\/broken">&lt;error: boom&gt;<\/td>/);
      const text = await get("/status/g?format=prometheus").text();
      assert.equal(
        text,
        "# scales: /g/broken failed to read: <error: boom>\n" +
          "# HELP g_fine_total /g/fine (IntStat)\n# TYPE g_fine_total counter\ng_fine_total 0\n",
      );
    } finally {
      restore();
    }
  });
});

describe("statsHandler status codes", () => {
  it("answers 404 in JSON for an unknown stat path", async () => {
    const response = get("/status/nope/deeper?format=json");
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: "no stats at /nope/deeper" });
  });

  it("answers 404 as an HTML page by default", async () => {
    const response = get("/status/nope");
    assert.equal(response.status, 404);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(await response.text(), /<p>no stats at \/nope<\/p>/);
  });

  it("answers 404 as plain text for Prometheus", async () => {
    const response = get("/status/nope?format=prometheus");
    assert.equal(response.status, 404);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await response.text(), "no stats at /nope\n");
  });

  it("answers 404 for a path outside the prefix", async () => {
    const response = get("/elsewhere?format=json");
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), {
      error: "not found: /elsewhere (the stats are under /status/)",
    });
  });

  it("answers 404 for a malformed percent-encoding", () => {
    const response = get("/status/%E0%A4%A?format=json");
    assert.equal(response.status, 404);
  });

  it("answers 405 with Allow for POST", async () => {
    const response = get("/status/?format=json", { method: "POST", body: "x" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
    assert.deepEqual(await response.json(), {
      error: "method POST is not allowed: use GET or HEAD",
    });
  });

  it("answers HEAD with the headers of GET and no body", () => {
    collection("/web", IntStat("errors"));
    const response = get("/status/?format=json", { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(response.body, null);
  });

  it("answers 400 for an unknown format", async () => {
    const response = get("/status/?format=xml");
    assert.equal(response.status, 400);
    assert.equal(
      await response.text(),
      'unknown format "xml": expected html, json, prettyjson or prometheus\n',
    );
  });
});

describe("statsHandler headers", () => {
  it("sends Cache-Control: no-store in every format", () => {
    for (const format of ["html", "json", "prettyjson", "prometheus"]) {
      assert.equal(
        get(`/status/?format=${format}`).headers.get("cache-control"),
        "no-store",
        format,
      );
    }
    assert.equal(get("/status/nope").headers.get("cache-control"), "no-store");
  });

  it("runs the page's inline style and script under the CSP nonce of the response", async () => {
    const response = get("/status/");
    const csp = response.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce !== undefined, csp);
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`style-src 'nonce-${nonce.replace(/[+/=]/g, "\\$&")}'`));
    const html = await response.text();
    assert.ok(html.includes(`<script nonce="${nonce}">`));
    assert.ok(html.includes(`<style nonce="${nonce}">`));
  });

  it("uses a fresh nonce for every response", () => {
    const a = get("/status/").headers.get("content-security-policy");
    const b = get("/status/").headers.get("content-security-policy");
    assert.notEqual(a, b);
  });

  it("forbids everything in the CSP of non-HTML responses", () => {
    assert.equal(
      get("/status/?format=json").headers.get("content-security-policy"),
      "default-src 'none'; frame-ancestors 'none'",
    );
  });
});

describe("statsHandler options", () => {
  it("serves under a custom prefix", async () => {
    collection("/web", IntStat("errors"));
    const handler = statsHandler({ prefix: "/admin/stats" });
    const response = handler(new Request("http://localhost/admin/stats/web?format=json"));
    assert.equal(await response.text(), '{"errors":0}');
  });

  it("serves under a prefix and metrics path with characters that URLs percent-encode", async () => {
    collection("/web", IntStat("errors"));
    const handler = statsHandler({ prefix: "/état/", metricsPath: "/mé trics" });
    const page = handler(new Request("http://localhost/état/web?format=json"));
    assert.equal(page.status, 200);
    assert.equal(await page.text(), '{"errors":0}');
    const root = handler(new Request("http://localhost/%C3%A9tat?format=json"));
    assert.equal(await root.text(), '{"web":{"errors":0}}');
    const metrics = handler(new Request("http://localhost/mé trics"));
    assert.equal(metrics.status, 200);
    assert.equal(
      await metrics.text(),
      "# HELP web_errors_total /web/errors (IntStat)\n# TYPE web_errors_total counter\nweb_errors_total 0\n",
    );
  });

  it("does not serve /metrics when metricsPath is null", () => {
    const handler = statsHandler({ metricsPath: null });
    assert.equal(handler(new Request("http://localhost/metrics")).status, 404);
  });

  it("rejects a prefix that does not start with /", () => {
    assert.throws(() => statsHandler({ prefix: "status/" }), {
      name: "TypeError",
      message:
        'statsHandler prefix must be a string starting with "/", such as "/status/", got "status/"',
    });
  });

  it("answers 403 when authorize returns false", async () => {
    const handler = statsHandler({ authorize: () => false });
    const response = handler(new Request("http://localhost/status/"));
    assert.equal(response.status, 403);
    assert.equal(await response.text(), "forbidden\n");
  });

  it("answers 403 and logs when authorize throws", () => {
    const seen: string[] = [];
    const previous = setLogger((message) => seen.push(message));
    try {
      const handler = statsHandler({
        authorize: () => {
          throw new Error("broken hook");
        },
      });
      assert.equal(handler(new Request("http://localhost/status/")).status, 403);
      assert.deepEqual(seen, ["stats viewer: authorize() threw; refusing the request"]);
    } finally {
      setLogger(previous);
    }
  });

  it("answers 401 with WWW-Authenticate when a bearer token is missing", () => {
    const handler = statsHandler({ authorize: bearerToken("s3cret") });
    const response = handler(new Request("http://localhost/status/"));
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="stats"');
    assert.equal(response.headers.get("cache-control"), "no-store");
  });

  it("answers 403 for a wrong bearer token", () => {
    const handler = statsHandler({ authorize: bearerToken("s3cret") });
    const response = handler(
      new Request("http://localhost/status/", { headers: { authorization: "Bearer s3cres" } }),
    );
    assert.equal(response.status, 403);
  });

  it("answers 200 for the right bearer token", () => {
    const handler = statsHandler({ authorize: bearerToken("s3cret") });
    const response = handler(
      new Request("http://localhost/status/", { headers: { authorization: "Bearer s3cret" } }),
    );
    assert.equal(response.status, 200);
  });

  it("answers 403 for a token that is a prefix of the right one", () => {
    const handler = statsHandler({ authorize: bearerToken("s3cret") });
    const response = handler(
      new Request("http://localhost/status/", { headers: { authorization: "Bearer s3c" } }),
    );
    assert.equal(response.status, 403);
  });
});
