/**
 * Before and after in one process: this checkout's expositions against
 * another checkout's (such as `git archive main | tar -x -C /tmp/base`, with
 * `node_modules` linked), on identical trees built by each copy, CPU time,
 * interleaved rounds.
 *
 * - The 10,000-stat tree of `render_bench.ts`: `toPrometheusText()` and
 *   `toPrometheusProtobuf()` (issue 13).
 * - 10,000 requests over 100 routes through `instrument()`: the
 *   `/metrics` text as a string (what `renderExposition` returns), and
 *   the answer of `statsHandler` read back as text (issue 12).
 *
 * ```sh
 * deno run -A --v8-flags=--single-threaded bench/exposition_ab_bench.ts /tmp/base
 * ```
 *
 * @module
 */

import process from "node:process";
import { mulberry32 as random } from "../tests/_random.ts";

type Lib = typeof import("../mod.ts");
type Http = typeof import("../http/mod.ts");
type Instrument = typeof import("../instrument/mod.ts");

interface Copy {
  label: string;
  lib: Lib;
  http: Http;
  instrument: Instrument;
}

async function load(label: string, dir: string): Promise<Copy> {
  const base = new URL(dir.endsWith("/") ? dir : `${dir}/`, `file://${Deno.cwd()}/`);
  return {
    label,
    lib: await import(new URL("mod.ts", base).href),
    http: await import(new URL("http/mod.ts", base).href),
    instrument: await import(new URL("instrument/mod.ts", base).href),
  };
}

/** The render bench's 10,000-stat tree, in `copy`'s own tree. */
function bigTree(copy: Copy) {
  const { DoubleStat, IntDictStat, IntStat, MeterStat, PmfStat, Stat, StatTree } = copy.lib;
  const tree = new StatTree();
  const next = random(42);
  for (let i = 0; i < 1_000; i++) {
    const stats = tree.collection(
      `/service${i % 10}/handler${i}`,
      IntStat("requests"),
      IntStat("errors"),
      IntStat("timeouts"),
      IntStat("retries"),
      DoubleStat("load"),
      DoubleStat("queueDepth"),
      Stat("state", "serving"),
      IntDictStat("byStatus"),
      PmfStat("latency"),
      MeterStat("hits"),
    );
    const requests = Math.floor(next() * 1e6);
    stats.requests = requests;
    stats.errors = Math.floor(requests / 100);
    stats.timeouts = 3;
    stats.retries = 7;
    stats.load = next();
    stats.queueDepth = Math.floor(next() * 50);
    for (const status of ["200", "304", "404", "500"]) {
      stats.byStatus.inc(status, Math.floor(next() * 1000));
    }
    for (let s = 0; s < 100; s++) stats.latency.add(Math.exp(3 + next()));
    stats.hits.mark(requests);
  }
  return tree;
}

/** 10,000 requests over 100 routes through `instrument()`, in a tree of `copy`'s. */
async function routeTree(copy: Copy) {
  const tree = new copy.lib.StatTree();
  const handler = copy.instrument.instrument(
    (_request: Request, _info?: unknown) => new Response("hello"),
    {
      tree,
      route: (request: Request) => `/r${new URL(request.url).pathname.split("/")[1]}/:id`,
    },
  );
  for (let i = 0; i < 10_000; i++) {
    await (await handler(new Request(`http://x/r${i % 100}/${i}`), undefined)).text();
  }
  return tree;
}

const other = Deno.args[0];
if (other === undefined) throw new Error("expected the other checkout's directory as argument");
const copies = [await load("before", other), await load("after", ".")];
const cases: Array<[string, () => unknown]> = [];
for (const copy of copies) {
  const big = bigTree(copy);
  const routes = await routeTree(copy);
  const metrics = copy.http.statsHandler({ tree: routes });
  const { renderExposition, toPrometheusProtobuf, toPrometheusText } = copy.http;
  cases.push(
    [`${copy.label} 10,000 stats toPrometheusText()`, () => toPrometheusText(big.root)],
    [`${copy.label} 10,000 stats toPrometheusProtobuf()`, () => toPrometheusProtobuf(big.root)],
    [`${copy.label} 100 routes text string`, () => renderExposition(routes.root, "prometheus")],
    [`${copy.label} 100 routes /metrics answer, .text()`, async () => {
      await metrics(new Request("http://localhost/metrics")).text();
    }],
  );
}
const times = new Map<string, number[]>();
const caseOf = (name: string) => name.slice(name.indexOf(" ") + 1);
const ROUNDS = 31;
// One workload at a time (an application has one tree): its cases, both
// copies, interleaved round by round.
for (const workload of ["10,000 stats", "100 routes"]) {
  const mine = cases.filter(([name]) => caseOf(name).startsWith(workload));
  for (const [, run] of mine) await run(); // warm up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of mine) {
      const start = process.cpuUsage();
      await run();
      const used = process.cpuUsage(start);
      times.set(name, [...(times.get(name) ?? []), (used.user + used.system) / 1000]);
    }
  }
}
for (const [name] of cases.toSorted((a, b) => caseOf(a[0]).localeCompare(caseOf(b[0])))) {
  const list = times.get(name)!.toSorted((a, b) => a - b);
  console.log(
    `${name.padEnd(48)} median ${list[ROUNDS >> 1].toFixed(2).padStart(7)} ms, min ${
      list[0].toFixed(2).padStart(7)
    } ms`,
  );
}
