/**
 * The cost of recording one sample, as CPU time rather than wall time: on a
 * shared machine, wall-clock averages (what `deno bench` reports) include
 * time spent waiting for a core, while the best of many CPU-time rounds does
 * not. Every contender runs in the same process, interleaved round by round,
 * on the same latency-like samples, so the ratios are same-run ratios.
 *
 * Run with `deno run -A bench/add_cost.ts` (about 20 seconds).
 *
 * @module
 */
// Peers are dev dependencies (package.json), never imported by the library.
import process from "node:process";
import { DDSketch } from "@datadog/sketches-js";
import { collection, PmfStat } from "@scales/core";
import { QuantileSketch } from "../src/_sketch.ts";
import { logNormal, mulberry32 } from "../tests/_random.ts";

/** Samples per round. */
const N = 1_000_000;
/** Rounds; each contender's best round counts. */
const ROUNDS = 30;

// Latency-like samples in milliseconds (log-normal, median about 20 ms), as
// in hot_path_bench.ts.
const random = mulberry32(42);
const SIZE = 1 << 14;
const MASK = SIZE - 1;
const samples = Float64Array.from({ length: SIZE }, () => logNormal(random, 3, 1.2));

const STATS = collection("/bench", PmfStat("latency"));
const sketch = new QuantileSketch();
const ddsketch = new DDSketch({ relativeAccuracy: 0.005 });
const plain = { x: 0 };

const contenders: Array<[string, (n: number) => void]> = [
  ["plain o.x++", (n) => {
    for (let i = 0; i < n; i++) plain.x++;
  }],
  ["scales PmfStat.add", (n) => {
    for (let i = 0; i < n; i++) STATS.latency.add(samples[i & MASK]!);
  }],
  ["scales QuantileSketch.add (private)", (n) => {
    for (let i = 0; i < n; i++) sketch.add(samples[i & MASK]!);
  }],
  ["@datadog/sketches-js accept (α = 0.005)", (n) => {
    for (let i = 0; i < n; i++) ddsketch.accept(samples[i & MASK]!);
  }],
];

const best = new Map<string, number>();
for (const [, run] of contenders) run(2 * N); // warm up: compile every loop
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of contenders) {
    const start = process.cpuUsage();
    run(N);
    const used = process.cpuUsage(start);
    const ns = (used.user + used.system) * 1000 / N;
    best.set(name, Math.min(best.get(name) ?? Infinity, ns));
  }
}
const dd = best.get("@datadog/sketches-js accept (α = 0.005)")!;
console.log("| operation | best CPU ns/op | DDSketch accept ÷ this |");
console.log("| --- | --- | --- |");
for (const [name, ns] of best) {
  console.log(`| ${name} | ${ns.toFixed(2)} | ${(dd / ns).toFixed(2)}× |`);
}
