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
  /** CPU time (user + system) the server process has used so far, in ms, from /proc. */
  cpuMs(): number;
  stop(): Promise<void>;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function cpuMsOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
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
          cpuMs: () => cpuMsOf(child.pid!),
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

/** One autocannon run: requests per second, and the server's CPU µs per request. */
async function load(server: Server): Promise<{ rps: number; cpuUs: number }> {
  const cpu0 = server.cpuMs();
  const result = await autocannon({
    url: `${server.url}/r0/1`,
    connections: 32,
    duration: SECONDS,
  });
  const cpuMs = server.cpuMs() - cpu0;
  return { rps: result.requests.average, cpuUs: 1000 * cpuMs / result.requests.total };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Throughput {
  /** Median requests per second over the rounds. */
  readonly rps: number;
  /** Median server CPU time per request, in µs. */
  readonly cpuUs: number;
}

/** Throughput of each variant, taking turns over rounds; medians. */
async function throughput(variants: string[]): Promise<Record<string, Throughput>> {
  const servers: Record<string, Server> = {};
  for (const v of variants) servers[v] = await start(v);
  const rps: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  try {
    for (const v of variants) await load(servers[v]); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const sample = await load(servers[v]);
        rps[v].push(sample.rps);
        cpu[v].push(sample.cpuUs);
      }
    }
  } finally {
    for (const v of variants) await servers[v].stop();
  }
  return Object.fromEntries(
    variants.map((v) => [v, { rps: median(rps[v]), cpuUs: median(cpu[v]) }]),
  );
}

/** Report lines for one comparison: each variant against the first. */
function compare(
  title: string,
  results: Record<string, Throughput>,
  names: Record<string, string>,
) {
  const [base, ...others] = Object.keys(results);
  const b = results[base];
  line(`${title}:`);
  line(
    `  ${names[base].padEnd(34)} ${b.rps.toFixed(0).padStart(6)} req/s  ${
      b.cpuUs.toFixed(1).padStart(6)
    } µs CPU/request`,
  );
  for (const v of others) {
    const r = results[v];
    line(
      `  ${names[v].padEnd(34)} ${r.rps.toFixed(0).padStart(6)} req/s (${
        (100 * r.rps / b.rps).toFixed(1)
      }%)  ${r.cpuUs.toFixed(1).padStart(6)} µs CPU/request (${
        (100 * b.cpuUs / r.cpuUs).toFixed(1)
      }% of the bare server's throughput per CPU)`,
    );
  }
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
compare(
  "Deno.serve",
  await throughput([
    "deno-bare",
    "deno-instrument",
    "deno-instrument-noinfo",
    "deno-instrument-body",
  ]),
  {
    "deno-bare": "bare",
    "deno-instrument": "instrument(handler)",
    "deno-instrument-noinfo": "instrument, no info.completed",
    "deno-instrument-body": "instrument, handler reads .body",
  },
);
if (only) Deno.exit(0);
compare("Hono on Deno.serve", await throughput(["hono-bare", "hono-scales", "hono-peer"]), {
  "hono-bare": "bare",
  "hono-scales": "honoStats()",
  "hono-peer": "@hono/prometheus",
});
compare("Express 5 on Node", await throughput(["express-bare", "express-scales", "express-peer"]), {
  "express-bare": "bare",
  "express-scales": "expressStats()",
  "express-peer": "express-prom-bundle",
});
for (const v of ["hono-scales", "hono-peer", "express-scales", "express-peer"]) {
  const m = await metricsTime(v);
  line(`/metrics ${v.padEnd(16)} ${m.ms.toFixed(2)} ms (${m.bytes} bytes)`);
}
const mem = await memory();
line(
  `memory: snapshot ${mem.after1k} bytes after 1,000 random paths, ${mem.after1m} after 1,000,000; routes kept: ${mem.keys}`,
);
