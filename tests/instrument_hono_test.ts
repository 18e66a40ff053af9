/**
 * `honoStats` with the real Hono from npm: requests through `app.request`
 * (any runtime), and a streamed body through a real `Deno.serve` (Deno only).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { StatTree } from "@scales/core";
import { honoStats } from "@scales/core/instrument";
import { durationCount, httpStats } from "./_instrument.ts";

function app(tree: StatTree): Hono {
  const api = new Hono();
  api.get("/users/:id", (c) => c.text(`user ${c.req.param("id")}`));
  const root = new Hono();
  root.use(honoStats({ tree }));
  root.get("/", (c) => c.text("home"));
  root.post("/items", (c) => c.json({ ok: true }, 201));
  root.get("/boom", () => {
    throw new Error("boom");
  });
  root.route("/api", api);
  return root;
}

describe("honoStats", () => {
  it("records Hono's route template, sub-app prefix included", async () => {
    const tree = new StatTree();
    const server = app(tree);
    assert.equal(await (await server.request("/api/users/1")).text(), "user 1");
    await server.request("/api/users/2");
    assert.equal(durationCount(tree, "GET", "/api/users/:id", "200"), 2);
    assert.deepEqual(Object.keys(httpStats(tree).requestDuration.GET), ["/api/users/:id"]);
  });

  it("counts requests no route matched under one key, with Hono's 404", async () => {
    const tree = new StatTree();
    const server = app(tree);
    assert.equal((await server.request("/nope/1")).status, 404);
    assert.equal((await server.request("/nope/2")).status, 404);
    assert.equal(durationCount(tree, "GET", "(unmatched)", "404"), 2);
  });

  it("records status codes and methods", async () => {
    const tree = new StatTree();
    const server = app(tree);
    assert.equal((await server.request("/items", { method: "POST" })).status, 201);
    await server.request("/");
    assert.equal(durationCount(tree, "POST", "/items", "201"), 1);
    assert.equal(durationCount(tree, "GET", "/", "200"), 1);
    assert.deepEqual(httpStats(tree).activeRequests, { GET: 0, POST: 0 });
  });

  it("counts a handler's error, which Hono still turns into its 500", async () => {
    const tree = new StatTree();
    const server = app(tree);
    const errors: unknown[] = [];
    server.onError((error, c) => {
      errors.push(error);
      return c.text("handled", 500);
    });
    const response = await server.request("/boom");
    assert.deepEqual([response.status, await response.text()], [500, "handled"]);
    assert.equal((errors[0] as Error).message, "boom");
    assert.deepEqual(httpStats(tree).errors, { GET: { "/boom": 1 } });
    assert.equal(durationCount(tree, "GET", "/boom", "500"), 1);
  });
});

interface DenoLike {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): { readonly addr: { readonly port: number }; shutdown(): Promise<void> };
}
const deno = (globalThis as { Deno?: DenoLike }).Deno;

describe(
  "honoStats under a real Deno.serve",
  { skip: deno === undefined && "needs Deno.serve" },
  () => {
    it("times a streamed body until it was sent", async () => {
      const tree = new StatTree();
      const server = new Hono();
      server.use(honoStats({ tree }));
      server.get("/slow", () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              await new Promise((resolve) => setTimeout(resolve, 150));
              controller.enqueue(new TextEncoder().encode("late"));
              controller.close();
            },
          }),
        ));
      let listening!: () => void;
      const ready = new Promise<void>((resolve) => listening = resolve);
      const served = deno!.serve(
        { port: 0, hostname: "127.0.0.1", onListen: () => listening() },
        server.fetch,
      );
      try {
        await ready;
        const body = await (await fetch(`http://127.0.0.1:${served.addr.port}/slow`)).text();
        assert.equal(body, "late");
        for (let i = 0; i < 200 && durationCount(tree, "GET", "/slow", "200") === 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        const slow = httpStats(tree).requestDuration.GET["/slow"]["200"];
        assert.equal(slow.count, 1);
        assert.ok(slow.max >= 0.14, `duration ${slow.max} s covers the 150 ms body`);
      } finally {
        await served.shutdown();
      }
    });
  },
);
