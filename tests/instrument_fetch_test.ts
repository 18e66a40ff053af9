/**
 * `instrument` on fetch-style handlers: called directly, and served by a
 * real `Deno.serve` (streaming, aborted requests, WebSocket and SSE; those
 * tests need Deno and are skipped on Node).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setLogger, StatTree } from "@scales/core";
import { instrument, type RoutePattern } from "@scales/core/instrument";
import { durationCount, eventually, httpStats, sleep } from "./_instrument.ts";

interface DenoServer {
  readonly addr: { readonly port: number };
  shutdown(): Promise<void>;
}
interface DenoLike {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): DenoServer;
  upgradeWebSocket(request: Request): { socket: WebSocket; response: Response };
}
const deno = (globalThis as { Deno?: DenoLike }).Deno;
const needsDeno = deno === undefined && "needs Deno.serve";
const URLPatternClass =
  (globalThis as { URLPattern?: new (init: { pathname: string }) => RoutePattern })
    .URLPattern;
const needsURLPattern = URLPatternClass === undefined && "needs URLPattern";

describe("instrument (fetch handlers)", () => {
  it("records the URLPattern template, not the raw path", { skip: needsURLPattern }, async () => {
    const tree = new StatTree();
    const handler = instrument(() => new Response("user"), {
      tree,
      routes: [new URLPatternClass!({ pathname: "/users/:id" })],
    });
    await handler(new Request("http://localhost/users/1"), {});
    await handler(new Request("http://localhost/users/2"), {});
    assert.equal(durationCount(tree, "GET", "/users/:id", "200"), 2);
    assert.deepEqual(Object.keys(httpStats(tree).requestDuration.GET), ["/users/:id"]);
  });

  it("counts requests that match no route under one key", async () => {
    const tree = new StatTree();
    const handler = instrument(() => new Response("nope", { status: 404 }), {
      tree,
      route: (request) => new URL(request.url).pathname === "/known" ? "/known" : undefined,
    });
    await handler(new Request("http://localhost/a"), {});
    await handler(new Request("http://localhost/b"), {});
    assert.deepEqual(Object.keys(httpStats(tree).requestDuration.GET), ["(unmatched)"]);
    assert.equal(durationCount(tree, "GET", "(unmatched)", "404"), 2);
  });

  it("records each status code and method apart; unknown methods as _OTHER", async () => {
    const tree = new StatTree();
    const handler = instrument(
      (request) => new Response(null, { status: request.method === "POST" ? 201 : 204 }),
      { tree, route: () => "/items" },
    );
    await handler(new Request("http://localhost/items", { method: "POST", body: "abc" }), {});
    await handler(new Request("http://localhost/items"), {});
    await handler(new Request("http://localhost/items", { method: "PURGE" }), {});
    assert.equal(durationCount(tree, "POST", "/items", "201"), 1);
    assert.equal(durationCount(tree, "GET", "/items", "204"), 1);
    assert.equal(durationCount(tree, "_OTHER", "/items", "204"), 1);
    assert.deepEqual(httpStats(tree).activeRequests, { POST: 0, GET: 0, _OTHER: 0 });
  });

  it("records the body sizes from Content-Length where known", async () => {
    const tree = new StatTree();
    const handler = instrument(
      () => new Response(new Blob(["hello"]).stream(), { headers: { "content-length": "5" } }),
      { tree, route: () => "/echo" },
    );
    await handler(
      new Request("http://localhost/echo", {
        method: "PUT",
        body: "abcd",
        headers: { "content-length": "4" },
      }),
      {},
    );
    const stats = httpStats(tree);
    assert.equal(stats.requestBodySize.PUT["/echo"].sum, 4);
    assert.equal(stats.responseBodySize.PUT["/echo"].sum, 5);
  });

  it("records no body sizes with bodySizes: false", async () => {
    const tree = new StatTree();
    const handler = instrument(
      () => new Response(new Blob(["hello"]).stream(), { headers: { "content-length": "5" } }),
      { tree, route: () => "/echo", bodySizes: false },
    );
    await handler(
      new Request("http://localhost/echo", {
        method: "PUT",
        body: "abcd",
        headers: { "content-length": "4" },
      }),
      {},
    );
    const stats = httpStats(tree);
    assert.deepEqual([stats.requestBodySize, stats.responseBodySize], [{}, {}]);
    assert.equal(durationCount(tree, "PUT", "/echo", "200"), 1);
  });

  it("re-throws a handler's error as it is, counted, recorded as 500", async () => {
    const tree = new StatTree();
    const boom = new Error("boom");
    const sync = instrument(() => {
      throw boom;
    }, { tree, route: () => "/sync" });
    const rejected = instrument(() => Promise.reject(boom), { tree, route: () => "/async" });
    assert.throws(() => sync(new Request("http://localhost/"), {}), (e) => e === boom);
    await assert.rejects(
      Promise.resolve(rejected(new Request("http://localhost/"), {})),
      (e) => e === boom,
    );
    const stats = httpStats(tree);
    assert.deepEqual(stats.errors, { GET: { "/sync": 1, "/async": 1 } });
    assert.equal(durationCount(tree, "GET", "/sync", "500"), 1);
    assert.equal(durationCount(tree, "GET", "/async", "500"), 1);
    assert.deepEqual(stats.activeRequests, { GET: 0 });
  });

  it("keeps 100,000 unique raw paths to maxKeys combinations", async () => {
    const previous = setLogger(() => {});
    try {
      const tree = new StatTree();
      const handler = instrument(() => new Response("x"), {
        tree,
        maxKeys: 50,
        route: (request) => new URL(request.url).pathname,
      });
      for (let i = 0; i < 100_000; i++) await handler(new Request(`http://localhost/p/${i}`), {});
      const routes = httpStats(tree).requestDuration.GET;
      assert.equal(Object.keys(routes).length, 50);
      assert.equal(durationCount(tree, "(other)", "(other)", "(other)"), 100_000 - 50);
    } finally {
      setLogger(previous);
    }
  });
});

describe("instrument under a real Deno.serve", { skip: needsDeno }, () => {
  async function serve(
    tree: StatTree,
    handler: (request: Request) => Response | Promise<Response>,
  ): Promise<{ url: string; [Symbol.asyncDispose](): Promise<void> }> {
    let listening!: () => void;
    const ready = new Promise<void>((resolve) => listening = resolve);
    const server = deno!.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => listening() },
      instrument(handler, { tree, route: (r) => new URL(r.url).pathname }),
    );
    await ready;
    return {
      url: `http://127.0.0.1:${server.addr.port}`,
      [Symbol.asyncDispose]: () => server.shutdown(),
    };
  }

  it("times a streamed body until its last chunk was sent", async () => {
    const tree = new StatTree();
    await using server = await serve(tree, () =>
      new Response(
        new ReadableStream({
          async pull(controller) {
            await sleep(100);
            controller.enqueue(new TextEncoder().encode("chunk"));
            await sleep(100);
            controller.close();
          },
        }),
      ));
    assert.equal(await (await fetch(`${server.url}/stream`)).text(), "chunk");
    await eventually(() => durationCount(tree, "GET", "/stream", "200") === 1);
    const stream = httpStats(tree).requestDuration.GET["/stream"]["200"];
    assert.equal(stream.count, 1);
    assert.ok(stream.max >= 0.19, `duration ${stream.max} s covers the 200 ms body`);
  });

  it("counts a client that goes away mid-body as aborted", async () => {
    const tree = new StatTree();
    const encoder = new TextEncoder();
    await using server = await serve(tree, () =>
      new Response(
        new ReadableStream({
          async pull(controller) {
            controller.enqueue(encoder.encode("tick\n"));
            await sleep(20);
          },
        }),
      ));
    const controller = new AbortController();
    const response = await fetch(`${server.url}/forever`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => {});
    await eventually(() => httpStats(tree).aborted?.GET?.["/forever"] === 1);
    assert.deepEqual(httpStats(tree).aborted, { GET: { "/forever": 1 } });
    assert.equal(durationCount(tree, "GET", "/forever", "200"), 1);
    assert.deepEqual(httpStats(tree).activeRequests, { GET: 0 });
  });

  it("passes a WebSocket upgrade through, counted as 101 while the socket is still open", async () => {
    const tree = new StatTree();
    await using server = await serve(tree, (request) => {
      const { socket, response } = deno!.upgradeWebSocket(request);
      socket.onmessage = (event) => socket.send(`echo ${event.data}`);
      return response;
    });
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      socket.onopen = () => socket.send("hi");
      socket.onmessage = (event) => resolve(String(event.data));
      socket.onerror = () => reject(new Error("websocket failed"));
    });
    assert.equal(reply, "echo hi");
    assert.equal(durationCount(tree, "GET", "/ws", "101"), 1);
    assert.deepEqual(httpStats(tree).activeRequests, { GET: 0 });
    const closed = new Promise((resolve) => socket.onclose = resolve);
    socket.close();
    await closed;
  });

  it("counts a server-sent event stream when it starts, not when it ends", async () => {
    const tree = new StatTree();
    let close!: () => void;
    await using server = await serve(tree, () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("data: 1\n\n"));
            close = () => controller.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      ));
    const response = await fetch(`${server.url}/events`);
    const reader = response.body!.getReader();
    await reader.read();
    assert.equal(durationCount(tree, "GET", "/events", "200"), 1);
    close();
    while (!(await reader.read()).done);
  });
});
