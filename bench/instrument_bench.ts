/**
 * What request metrics cost a server, against the same server without them
 * and against the peers, on loopback with autocannon's programmatic API.
 *
 * ```sh
 * deno task build:npm                               # Express runs on Node against npm/
 * deno run -A bench/instrument_bench.ts             # 3 rounds of 3 s per server
 * deno run -A bench/instrument_bench.ts --seconds 5 --rounds 5
 * ```
 *
 * Each server is a child process (`_http_server.ts` on Deno,
 * `_express_server.mjs` on Node) serving `GET /r<i>/:id` for 100 route
 * templates. Throughput: autocannon with 32 connections on `/r0/1`; the
 * servers of one comparison take turns, round after round, so load from
 * elsewhere on the machine hits them alike, and the figure is the median
 * over rounds. `/metrics`: after 10,000 requests spread over the 100
 * routes (sequential batches of 50 concurrent fetches), the median time of
 * 20 `GET /metrics`. Memory: 1,000,000 requests with random raw paths under
 * one route template, the stats' snapshot size before and after. Not a unit
 * test: the numbers depend on the machine.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { setLogger, StatTree } from "../mod.ts";
import { instrument } from "../instrument/mod.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const SECONDS = option("seconds", 3);
const ROUNDS = option("rounds", 3);
const ROUTES = 100;

let nextPort = 18_400 + Math.floor(Math.random() * 1000);

interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

function start(variant: string): Promise<Server> {
  const port = nextPort++;
  const node = variant.startsWith("express-");
  const child: ChildProcess = node
    ? spawn("node", [
      join(ROOT, "bench/_express_server.mjs"),
      variant,
      String(port),
      String(ROUTES),
    ])
    : spawn(Deno.execPath(), [
      "run",
      "-A",
      join(ROOT, "bench/_http_server.ts"),
      variant,
      String(port),
      String(ROUTES),
    ]);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stderr!.on("data", (d) => out += d);
    child.stdout!.on("data", (d) => {
      if (String(d).includes("ready")) {
        resolve({
          url: `http://127.0.0.1:${port}`,
          stop: () =>
            new Promise((done) => {
              child.once("exit", () => done());
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`${variant} exited ${code}: ${out}`)));
  });
}

async function requestsPerSecond(url: string): Promise<number> {
  const result = await autocannon({
    url: `${url}/r0/1`,
    connections: 32,
    duration: SECONDS,
  });
  return result.requests.average;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Throughput of each variant, taking turns over rounds; medians in req/s. */
async function throughput(variants: string[]): Promise<Record<string, number>> {
  const servers: Record<string, Server> = {};
  for (const v of variants) servers[v] = await start(v);
  const samples: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  try {
    for (const v of variants) await requestsPerSecond(servers[v].url); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) samples[v].push(await requestsPerSecond(servers[v].url));
    }
  } finally {
    for (const v of variants) await servers[v].stop();
  }
  return Object.fromEntries(variants.map((v) => [v, median(samples[v])]));
}

/** Median ms of `GET /metrics` after 10,000 requests over the routes. */
async function metricsTime(variant: string): Promise<{ ms: number; bytes: number }> {
  const server = await start(variant);
  try {
    for (let i = 0; i < 10_000; i += 50) {
      await Promise.all(
        Array.from(
          { length: 50 },
          (_, j) =>
            fetch(`${server.url}/r${(i + j) % ROUTES}/${i + j}`).then((r) => r.arrayBuffer()),
        ),
      );
    }
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 22; i++) {
      const t0 = performance.now();
      const body = await (await fetch(`${server.url}/metrics`)).arrayBuffer();
      const t = performance.now() - t0;
      if (i >= 2) times.push(t);
      bytes = body.byteLength;
    }
    return { ms: median(times), bytes };
  } finally {
    await server.stop();
  }
}

/** Snapshot size (JSON bytes) after 1,000 and after 1,000,000 random raw paths under one template. */
async function memory(): Promise<{ after1k: number; after1m: number; keys: number }> {
  const previous = setLogger(() => {});
  const tree = new StatTree();
  const handler = instrument(() => new Response(null, { status: 204 }), {
    tree,
    route: (request) =>
      new URL(request.url).pathname.startsWith("/users/") ? "/users/:id" : undefined,
  });
  const size = () => JSON.stringify(tree.getStats("/http/server")).length;
  let after1k = 0;
  for (let i = 0; i < 1_000_000; i++) {
    await handler(new Request(`http://localhost/users/${Math.random().toString(36).slice(2)}`), {});
    if (i === 999) after1k = size();
  }
  setLogger(previous);
  const routes = (tree.getStats("/http/server")!.requestDuration as Record<string, object>).GET;
  return { after1k, after1m: size(), keys: Object.keys(routes).length };
}

const report: string[] = [];
const line = (s: string) => {
  console.log(s);
  report.push(s);
};

const only = args.includes("--deno-only");
const deno = await throughput([
  "deno-bare",
  "deno-instrument",
  "deno-instrument-noinfo",
  "deno-instrument-body",
]);
line(`Deno.serve bare            ${deno["deno-bare"].toFixed(0)} req/s`);
line(
  `Deno.serve + instrument    ${deno["deno-instrument"].toFixed(0)} req/s (${
    (100 * deno["deno-instrument"] / deno["deno-bare"]).toFixed(1)
  }%)`,
);
line(
  `Deno.serve + instrument, no info ${deno["deno-instrument-noinfo"].toFixed(0)} req/s (${
    (100 * deno["deno-instrument-noinfo"] / deno["deno-bare"]).toFixed(1)
  }%)`,
);
line(
  `Deno.serve + instrument, handler reads response.body ${
    deno["deno-instrument-body"].toFixed(0)
  } req/s (${(100 * deno["deno-instrument-body"] / deno["deno-bare"]).toFixed(1)}%)`,
);
if (only) Deno.exit(0);
const hono = await throughput(["hono-bare", "hono-scales", "hono-peer"]);
line(`Hono bare                  ${hono["hono-bare"].toFixed(0)} req/s`);
line(
  `Hono + honoStats           ${hono["hono-scales"].toFixed(0)} req/s (${
    (100 * hono["hono-scales"] / hono["hono-bare"]).toFixed(1)
  }%)`,
);
line(
  `Hono + @hono/prometheus    ${hono["hono-peer"].toFixed(0)} req/s (${
    (100 * hono["hono-peer"] / hono["hono-bare"]).toFixed(1)
  }%)`,
);
const express = await throughput(["express-bare", "express-scales", "express-peer"]);
line(`Express bare               ${express["express-bare"].toFixed(0)} req/s`);
line(
  `Express + expressStats     ${express["express-scales"].toFixed(0)} req/s (${
    (100 * express["express-scales"] / express["express-bare"]).toFixed(1)
  }%)`,
);
line(
  `Express + express-prom-bundle ${express["express-peer"].toFixed(0)} req/s (${
    (100 * express["express-peer"] / express["express-bare"]).toFixed(1)
  }%)`,
);
for (const v of ["hono-scales", "hono-peer", "express-scales", "express-peer"]) {
  const m = await metricsTime(v);
  line(`/metrics ${v.padEnd(16)} ${m.ms.toFixed(2)} ms (${m.bytes} bytes)`);
}
const mem = await memory();
line(
  `memory: snapshot ${mem.after1k} bytes after 1,000 random paths, ${mem.after1m} after 1,000,000; routes kept: ${mem.keys}`,
);
