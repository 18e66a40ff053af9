import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { collection, IntStat, setLogger } from "@scales/core";
import { serveInBackground, statsHandler } from "@scales/core/http";
import { nodeAdapter } from "../runtime/node.ts";

const listenNode = nodeAdapter().listen;
import { resetToEmptyTree } from "./_prometheus.ts";

beforeEach(() => resetToEmptyTree());

describe("serveInBackground", () => {
  it("picks a free loopback port for port 0 and serves the viewer there", async () => {
    collection("/web", IntStat("errors")).errors = 2;
    await using server = await serveInBackground(0, { serverName: "t" });
    assert.equal(server.addr.hostname, "127.0.0.1");
    assert.ok(server.addr.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.addr.port}/status/`);
    const response = await fetch(`${server.url}web?format=json`);
    assert.equal(await response.text(), '{"errors":2}');
  });

  it("serves /metrics", async () => {
    collection("/web", IntStat("errors")).errors = 2;
    await using server = await serveInBackground(0);
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/metrics`);
    assert.equal(
      await response.text(),
      "# HELP web_errors_total /web/errors (IntStat)\n# TYPE web_errors_total counter\nweb_errors_total 2\n",
    );
  });

  it("rejects a port already in use with an error naming the port", async () => {
    await using first = await serveInBackground(0);
    const port = first.addr.port;
    await assert.rejects(serveInBackground(port), {
      message:
        `cannot serve stats on 127.0.0.1:${port}: port ${port} is already in use; pick another port, or 0 for a free one`,
    });
  });

  it("rejects a port outside 0-65535", async () => {
    await assert.rejects(serveInBackground(70000), {
      name: "RangeError",
      message: "port must be an integer from 0 to 65535, got 70000",
    });
  });

  it("stops at the end of an await using block", async () => {
    let port: number;
    let finished: Promise<void>;
    {
      await using server = await serveInBackground(0);
      port = server.addr.port;
      finished = server.finished;
    }
    await finished;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/status/`));
  });

  it("stops when its signal is aborted", async () => {
    const controller = new AbortController();
    const server = await serveInBackground(0, { signal: controller.signal });
    controller.abort();
    await server.finished;
    await assert.rejects(fetch(server.url));
  });

  it("refuses to start with an aborted signal", async () => {
    await assert.rejects(serveInBackground(0, { signal: AbortSignal.abort(new Error("stop")) }), {
      message: "stop",
    });
  });

  it("can be shut down twice", async () => {
    const server = await serveInBackground(0);
    await server.shutdown();
    await server.shutdown();
    await server.finished;
  });

  it("logs a warning before binding beyond loopback without authorize", async () => {
    // 192.0.2.1 (TEST-NET-1) is not a local address: the bind fails, so nothing is exposed.
    const seen: string[] = [];
    const previous = setLogger((message) => seen.push(message));
    try {
      await assert.rejects(
        serveInBackground(0, { hostname: "192.0.2.1" }),
        /^Error: cannot serve stats on 192\.0\.2\.1:0: /,
      );
      assert.deepEqual(seen, [
        "stats viewer listens on 192.0.2.1, beyond loopback, without an authorize hook",
      ]);
    } finally {
      setLogger(previous);
    }
  });
});

describe("node:http listener seam", () => {
  it("translates requests and responses, including the status and headers", async () => {
    collection("/web", IntStat("errors")).errors = 5;
    const listener = await listenNode({ hostname: "127.0.0.1", port: 0, handler: statsHandler() });
    try {
      const base = `http://127.0.0.1:${listener.addr.port}`;
      const ok = await fetch(`${base}/status/web?format=json`);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("cache-control"), "no-store");
      assert.equal(ok.headers.get("content-type"), "application/json; charset=utf-8");
      assert.equal(await ok.text(), '{"errors":5}');
      const post = await fetch(`${base}/status/`, { method: "POST", body: "ignored" });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get("allow"), "GET, HEAD");
      await post.body?.cancel();
      const head = await fetch(`${base}/status/web?format=json`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), "");
    } finally {
      await listener.shutdown();
    }
    await listener.finished;
  });

  it("rejects with EADDRINUSE for a port in use", async () => {
    const first = await listenNode({ hostname: "127.0.0.1", port: 0, handler: statsHandler() });
    try {
      await assert.rejects(
        listenNode({ hostname: "127.0.0.1", port: first.addr.port, handler: statsHandler() }),
        { code: "EADDRINUSE" },
      );
    } finally {
      await first.shutdown();
    }
  });
});
