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
import { mappingTables } from "../src/_exponential_mapping.ts";
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

// Floors: the bucket step alone, no sketch around it (no statistics, no
// growth, no slow path), to show what V8 spends on it in this loop.
const floorCounts = new Uint16Array(8192);
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const tables = mappingTables(6);
const bins = tables.bins;
const boundLow = tables.boundLow;
const LOG_FACTOR = 64 / Math.LN2;
const floorStore = { counts: new Uint16Array(2048), offset: -1000, limit: 0xffff };
const floorStats = { count: 0, sum: 0, origin: 20, squares: 0, min: Infinity, max: -Infinity };

const contenders: Array<[string, (n: number) => void]> = [
  ["floor: float bits, octave counter++", (n) => {
    for (let i = 0; i < n; i++) {
      F64[0] = samples[i & MASK]!;
      floorCounts[(U32[1]! >>> 20) - 900]++;
    }
  }],
  ["floor: float bits, scale-6 bin from table, counter++", (n) => {
    for (let i = 0; i < n; i++) {
      F64[0] = samples[i & MASK]!;
      const high = U32[1]!;
      const at = ((high >>> 13) & 127) << 1;
      floorCounts[((((high >>> 20) - 1023) << 6) + bins[at]!) + 4096]++;
    }
  }],
  ["floor: float bits, exact scale-6 bucket, counter++", (n) => {
    for (let i = 0; i < n; i++) {
      F64[0] = samples[i & MASK]!;
      const high = U32[1]!;
      const at = ((high >>> 13) & 127) << 1;
      const top = high & 0xfffff;
      const boundHigh = bins[at + 1]!;
      let above = (boundHigh - top) >>> 31;
      if (top === boundHigh) above = U32[0]! > boundLow[at >> 1]! ? 1 : 0;
      floorCounts[((((high >>> 20) - 1023) << 6) + bins[at]! + above) + 4096]++;
    }
  }],
  ["floor: exact scale-6 bucket, counter++, count/sum/min/max/squares", (n) => {
    const st = floorStats;
    for (let i = 0; i < n; i++) {
      const v = samples[i & MASK]!;
      st.count++;
      st.sum += v;
      const d = v - st.origin;
      st.squares += d * d;
      if (v < st.min) st.min = v;
      if (v > st.max) st.max = v;
      F64[0] = v;
      const high = U32[1]!;
      const at = ((high >>> 13) & 127) << 1;
      const top = high & 0xfffff;
      const boundHigh = bins[at + 1]!;
      let above = (boundHigh - top) >>> 31;
      if (top === boundHigh) above = U32[0]! > boundLow[at >> 1]! ? 1 : 0;
      floorCounts[((((high >>> 20) - 1023) << 6) + bins[at]! + above) + 4096]++;
    }
  }],
  ["floor: the above + finite/range test, store object, counter limit", (n) => {
    const st = floorStats;
    const store = floorStore;
    store.counts.fill(0); // a fresh round: no counter reaches its limit
    for (let i = 0; i < n; i++) {
      const v = samples[i & MASK]!;
      F64[0] = v;
      const high = U32[1]!;
      const exponent = (high >>> 20) & 0x7ff;
      if (((exponent - 994) >>> 0) >= 1053) continue;
      st.count++;
      st.sum += v;
      const d = v - st.origin;
      st.squares += d * d;
      if (v < st.min) st.min = v;
      if (v > st.max) st.max = v;
      const at = ((high >>> 13) & 127) << 1;
      const top = high & 0xfffff;
      const boundHigh = bins[at + 1]!;
      let above = (boundHigh - top) >>> 31;
      if (top === boundHigh) above = U32[0]! > boundLow[at >> 1]! ? 1 : 0;
      const counts = store.counts;
      const j = ((exponent - 1023) << 6) + bins[at]! + above - store.offset;
      const c = counts[j]! + 1;
      if (c <= store.limit) counts[j] = c;
    }
  }],
  ["floor: Math.log bucket, counter++", (n) => {
    for (let i = 0; i < n; i++) {
      floorCounts[Math.floor(Math.log(samples[i & MASK]!) * LOG_FACTOR) + 4096]++;
    }
  }],
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
