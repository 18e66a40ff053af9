/**
 * One HTTP server for `instrument_bench.ts`, run as a child process:
 * `deno run -A bench/_http_server.ts <variant> <port> <routes>`. It serves `GET /r<i>/:id` for `routes`
 * route templates, answering "hello", and `GET /metrics` where the variant
 * has one; it prints `ready` once listening.
 *
 * Variants: `deno-bare`, `deno-instrument`, `deno-instrument-noinfo` (without
 * `Deno.serve`'s `info`, so without waiting for `completed`),
 * `deno-instrument-body` (reads `response.body` as a streaming check would), `hono-bare`, `hono-scales`,
 * `hono-peer` (@hono/prometheus). Express runs on Node: `_express_server.mjs`.
 *
 * @module
 */

import process from "node:process";

const [variant, portText, routesText] = process.argv.slice(2);
const port = Number(portText);
const routes = Number(routesText ?? "1");
const lib = process.env.SCALES_MODULE ?? "../mod.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

async function scales(): Promise<Any> {
  return await import(lib);
}

interface DenoServe {
  serve(
    options: { port: number; hostname: string; onListen: () => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): unknown;
}
const deno = (globalThis as { Deno?: DenoServe }).Deno;

function ready(): void {
  console.log("ready");
}

async function main(): Promise<void> {
  if (variant.startsWith("deno-")) {
    const handler = (_request: Request) => new Response("hello");
    let served: (request: Request, info: unknown) => Response | Promise<Response> = handler;
    if (variant !== "deno-bare") {
      const { instrument } = await scales();
      const wrapped = instrument(
        variant === "deno-instrument-body"
          ? (request: Request) => {
            const response = handler(request);
            void response.body;
            return response;
          }
          : handler,
      );
      served = variant === "deno-instrument-noinfo"
        ? (request: Request) => wrapped(request, {})
        : wrapped;
    }
    deno!.serve({ port, hostname: "127.0.0.1", onListen: ready }, served);
    return;
  }
  if (variant.startsWith("hono-")) {
    const { Hono } = await import("hono");
    const app = new Hono();
    if (variant === "hono-scales") {
      const { honoStats, statsHandler } = await scales();
      const metrics = statsHandler({ prefix: "/status/" });
      app.use(honoStats());
      app.get("/metrics", (c: Any) => metrics(c.req.raw));
    } else if (variant === "hono-peer") {
      const { prometheus } = await import("@hono/prometheus");
      const { printMetrics, registerMetrics } = prometheus();
      app.use("*", registerMetrics);
      app.get("/metrics", printMetrics);
    }
    for (let i = 0; i < routes; i++) app.get(`/r${i}/:id`, (c: Any) => c.text("hello"));
    deno!.serve({ port, hostname: "127.0.0.1", onListen: ready }, app.fetch);
    return;
  }
  throw new Error(`unknown variant ${variant}`);
}

await main();
