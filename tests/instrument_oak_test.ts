/**
 * `oakStats` with the real oak from npm, requests through `app.handle`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Application, Router } from "@oakserver/oak";
import { StatTree } from "@scales/core";
import { oakStats } from "@scales/core/instrument";
import { durationCount, httpStats } from "./_instrument.ts";

function app(tree: StatTree): Application {
  const api = new Router();
  api.get("/users/:id", (ctx) => {
    ctx.response.body = `user ${ctx.params.id}`;
  });
  api.post("/items", (ctx) => {
    ctx.response.status = 201;
    ctx.response.body = { ok: true };
  });
  api.get("/boom", () => {
    throw new Error("boom");
  });
  const router = new Router();
  router.use("/api", api.routes());
  const application = new Application({ logErrors: false });
  application.use(oakStats({ tree }));
  application.use(router.routes());
  application.use(router.allowedMethods());
  return application;
}

async function handle(application: Application, path: string, init?: RequestInit) {
  // oak's types take undici's Request; at run time it is the runtime's own.
  const handleRequest = application.handle.bind(application) as unknown as (
    request: Request,
  ) => Promise<Response | undefined>;
  return (await handleRequest(new Request(`http://localhost${path}`, init)))!;
}

describe("oakStats", () => {
  it("records oak's route template, router prefix included", async () => {
    const tree = new StatTree();
    const server = app(tree);
    assert.equal(await (await handle(server, "/api/users/1")).text(), "user 1");
    await handle(server, "/api/users/2");
    assert.equal(durationCount(tree, "GET", "/api/users/:id", "200"), 2);
    assert.deepEqual(Object.keys(httpStats(tree).requestDuration.GET), ["/api/users/:id"]);
  });

  it("counts requests no route matched under one key", async () => {
    const tree = new StatTree();
    const server = app(tree);
    assert.equal((await handle(server, "/nope/1")).status, 404);
    assert.equal((await handle(server, "/nope/2")).status, 404);
    assert.equal(durationCount(tree, "GET", "(unmatched)", "404"), 2);
  });

  it("records status codes and methods", async () => {
    const tree = new StatTree();
    const server = app(tree);
    assert.equal((await handle(server, "/api/items", { method: "POST" })).status, 201);
    assert.equal(durationCount(tree, "POST", "/api/items", "201"), 1);
    assert.deepEqual(httpStats(tree).activeRequests, { POST: 0 });
  });

  it("counts a handler's error and re-throws it to oak, which answers 500", async () => {
    const tree = new StatTree();
    const server = app(tree);
    const errors: unknown[] = [];
    server.addEventListener("error", (event) => {
      errors.push((event as unknown as { error: unknown }).error);
    });
    assert.equal((await handle(server, "/api/boom")).status, 500);
    assert.equal((errors[0] as Error).message, "boom");
    assert.deepEqual(httpStats(tree).errors, { GET: { "/api/boom": 1 } });
    assert.equal(durationCount(tree, "GET", "/api/boom", "500"), 1);
  });
});
