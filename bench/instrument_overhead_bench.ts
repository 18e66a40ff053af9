/**
 * What the request metrics add to one request, in one process, without a
 * network: the steadier figure beside `instrument_bench.ts`'s throughput
 * on a shared machine.
 *
 * - `instrument(handler)` called like `Deno.serve` calls it, against the
 *   bare handler (a `Request` reused, a `Response` made per call);
 * - Hono's `app.request` bare, with `honoStats()` and with `@hono/prometheus`;
 * - `expressStats()`'s middleware with Node-shaped request and response
 *   objects (its `close` listener fired at once), against a middleware that
 *   only calls `next`.
 *
 * ```sh
 * deno bench -A bench/instrument_overhead_bench.ts
 * ```
 *
 * @module
 */

import { EventEmitter } from "node:events";
import { Hono } from "hono";
import { prometheus } from "@hono/prometheus";
import { StatTree } from "../mod.ts";
import { type ExpressRequest, expressStats, honoStats, instrument } from "../instrument/mod.ts";

const request = new Request("http://localhost/r0/1");
const handler = (_request: Request) => new Response("hello");
const wrapped = instrument(handler, { tree: new StatTree(), route: () => "/r0/:id" });

Deno.bench("bare handler", { group: "fetch", baseline: true }, () => {
  handler(request);
});
Deno.bench("instrument(handler)", { group: "fetch" }, () => {
  wrapped(request, {});
});

function honoApp(kind: "bare" | "scales" | "peer"): Hono {
  const app = new Hono();
  if (kind === "scales") app.use(honoStats({ tree: new StatTree() }));
  if (kind === "peer") app.use("*", prometheus().registerMetrics);
  app.get("/r0/:id", (c) => c.text("hello"));
  return app;
}
const honoBare = honoApp("bare");
const honoScales = honoApp("scales");
const honoPeer = honoApp("peer");

Deno.bench("Hono app.request", { group: "hono", baseline: true }, async () => {
  await honoBare.request("/r0/1");
});
Deno.bench("Hono app.request + honoStats()", { group: "hono" }, async () => {
  await honoScales.request("/r0/1");
});
Deno.bench("Hono app.request + @hono/prometheus", { group: "hono" }, async () => {
  await honoPeer.request("/r0/1");
});

class FakeResponse extends EventEmitter {
  statusCode = 200;
  writableFinished = true;
  getHeader(_name: string): string | undefined {
    return "5";
  }
}
const expressRequest: ExpressRequest = {
  method: "GET",
  baseUrl: "",
  route: { path: "/r0/:id" },
  headers: {},
};
const middleware = expressStats({ tree: new StatTree() });
const next = () => {};

Deno.bench("Express middleware calling next", { group: "express", baseline: true }, () => {
  const response = new FakeResponse();
  ((_req: unknown, _res: unknown, n: () => void) => n())(expressRequest, response, next);
  response.emit("close");
});
Deno.bench("expressStats()", { group: "express" }, () => {
  const response = new FakeResponse();
  middleware(expressRequest, response, next);
  response.emit("close");
});
