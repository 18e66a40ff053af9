/**
 * `expressStats` with the real Express 5 from npm, served by node:http on
 * loopback (Deno and Node).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { setLogger, StatTree } from "@scales/core";
import { expressStats } from "@scales/core/instrument";
import {
  abortAfterFirstChunk,
  durationCount,
  eventually,
  httpStats,
  sleep,
} from "./_instrument.ts";

async function serve(tree: StatTree): Promise<{ url: string; server: Server }> {
  const stats = expressStats({ tree, maxKeys: 100 });
  const app = express();
  app.use(stats);
  const api = express.Router();
  api.get("/users/:id", (req, res) => {
    res.send(`user ${req.params.id}`);
  });
  app.use("/api", api);
  app.post("/items", (_req, res) => {
    res.status(201).json({ ok: true });
  });
  app.get("/boom", () => {
    throw new Error("boom");
  });
  app.get("/stream", async (_req, res) => {
    res.write("a");
    await sleep(100);
    res.write("b");
    await sleep(100);
    res.end("c");
  });
  app.get("/forever", (_req, res) => {
    const timer = setInterval(() => res.write("tick\n"), 10);
    res.on("close", () => clearInterval(timer));
  });
  app.use(stats.errors);
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function withServer(test: (url: string, tree: StatTree) => Promise<void>): Promise<void> {
  const tree = new StatTree();
  const { url, server } = await serve(tree);
  try {
    await test(url, tree);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("expressStats", () => {
  it("records Express's route template, router mount path included", async () => {
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
      assert.equal(durationCount(tree, "GET", "(unmatched)", "404"), 1_000);
    });
  });

  it("records status codes and methods", async () => {
    await withServer(async (url, tree) => {
      assert.equal((await fetch(`${url}/items`, { method: "POST" })).status, 201);
      await eventually(() => durationCount(tree, "POST", "/items", "201") === 1);
      assert.equal(durationCount(tree, "POST", "/items", "201"), 1);
      assert.deepEqual(httpStats(tree).activeRequests, { POST: 0 });
    });
  });

  it("counts a handler's error and passes it on to Express, which answers 500", async () => {
    const previous = setLogger(() => {});
    const consoleError = console.error;
    console.error = () => {}; // Express's final handler prints the stack
    try {
      await withServer(async (url, tree) => {
        assert.equal((await fetch(`${url}/boom`)).status, 500);
        await eventually(() => durationCount(tree, "GET", "/boom", "500") === 1);
        assert.deepEqual(httpStats(tree).errors, { GET: { "/boom": 1 } });
      });
    } finally {
      console.error = consoleError;
      setLogger(previous);
    }
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
