/**
 * `fastifyStats` with the real Fastify 5 from npm, on loopback (Deno and Node).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import Fastify, { type FastifyInstance } from "fastify";
import { StatTree } from "@scales/core";
import { fastifyStats } from "@scales/core/instrument";
import { abortAfterFirstChunk, durationCount, eventually, httpStats } from "./_instrument.ts";

async function serve(tree: StatTree): Promise<{ url: string; app: FastifyInstance }> {
  const app = Fastify();
  await app.register(fastifyStats, { tree });
  await app.register((api, _options, done) => {
    api.get("/users/:id", (request) => `user ${(request.params as { id: string }).id}`);
    done();
  }, { prefix: "/api" });
  app.post("/items", (_request, reply) => reply.code(201).send({ ok: true }));
  app.get("/boom", () => {
    throw new Error("boom");
  });
  app.get("/stream", (_request, reply) => {
    const body = new PassThrough();
    reply.send(body);
    body.write("a");
    setTimeout(() => body.write("b"), 100);
    setTimeout(() => body.end("c"), 200);
  });
  app.get("/forever", (_request, reply) => {
    const body = new PassThrough();
    const timer = setInterval(() => body.write("tick\n"), 10);
    reply.raw.on("close", () => clearInterval(timer));
    reply.send(body);
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, app };
}

async function withServer(test: (url: string, tree: StatTree) => Promise<void>): Promise<void> {
  const tree = new StatTree();
  const { url, app } = await serve(tree);
  try {
    await test(url, tree);
  } finally {
    app.server.closeAllConnections();
    await app.close();
  }
}

describe("fastifyStats", () => {
  it("records Fastify's route URL, prefix included", async () => {
    await withServer(async (url, tree) => {
      assert.equal(await (await fetch(`${url}/api/users/1`)).text(), "user 1");
      await (await fetch(`${url}/api/users/2`)).text();
      await eventually(() => durationCount(tree, "GET", "/api/users/:id", "200") === 2);
      assert.deepEqual(Object.keys(httpStats(tree).requestDuration.GET), ["/api/users/:id"]);
    });
  });

  it("counts requests no route matched under one key, and 1,000 raw paths stay one key", async () => {
    await withServer(async (url, tree) => {
      for (let i = 0; i < 1_000; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) => fetch(`${url}/nope/${i + j}`).then((r) => r.text())),
        );
      }
      await eventually(() => durationCount(tree, "GET", "(unmatched)", "404") === 1_000);
      assert.deepEqual(Object.keys(httpStats(tree).requestDuration.GET), ["(unmatched)"]);
    });
  });

  it("records status codes, methods and the response size", async () => {
    await withServer(async (url, tree) => {
      assert.equal((await fetch(`${url}/items`, { method: "POST" })).status, 201);
      await eventually(() => durationCount(tree, "POST", "/items", "201") === 1);
      assert.deepEqual(httpStats(tree).activeRequests, { POST: 0 });
      assert.equal(httpStats(tree).responseBodySize.POST["/items"].sum, '{"ok":true}'.length);
    });
  });

  it("counts a handler's error, which Fastify still answers with 500", async () => {
    await withServer(async (url, tree) => {
      assert.equal((await fetch(`${url}/boom`)).status, 500);
      await eventually(() => durationCount(tree, "GET", "/boom", "500") === 1);
      assert.deepEqual(httpStats(tree).errors, { GET: { "/boom": 1 } });
    });
  });

  it("times a streamed response until its end was sent", async () => {
    await withServer(async (url, tree) => {
      assert.equal(await (await fetch(`${url}/stream`)).text(), "abc");
      await eventually(() => durationCount(tree, "GET", "/stream", "200") === 1);
      const stream = httpStats(tree).requestDuration.GET["/stream"]["200"];
      assert.ok(stream.max >= 0.19, `duration ${stream.max} s covers the 200 ms body`);
    });
  });

  it("counts a client that goes away mid-body as aborted", async () => {
    await withServer(async (url, tree) => {
      await abortAfterFirstChunk(`${url}/forever`);
      await eventually(() => httpStats(tree).aborted?.GET?.["/forever"] === 1);
      assert.deepEqual(httpStats(tree).aborted, { GET: { "/forever": 1 } });
      assert.deepEqual(httpStats(tree).activeRequests, { GET: 0 });
    });
  });
});
