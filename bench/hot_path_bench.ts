/**
 * The hot paths side by side with the peers a user would pick instead.
 *
 * Every bench runs a batch of {@linkcode BATCH} operations per iteration, so
 * the time per iteration in ns divided by 1,000 is the cost of one operation.
 * Read the results as ratios within one run (`deno task bench`); the machine
 * is small and noisy. Peers are dev dependencies only.
 *
 * @module
 */
import { DDSketch } from "@datadog/sketches-js";
import * as hdr from "hdr-histogram-js";
import {
  Counter as MeasuredCounter,
  Histogram as MeasuredHistogram,
  Meter as MeasuredMeter,
} from "measured-core";
import promClient from "prom-client";
import { collection, IntDictStat, IntStat, MeterStat, Pmf, PmfStat } from "@scales/core";
import { mulberry32 } from "../tests/_random.ts";

const BATCH = 1000;

const STATS = collection(
  "/bench",
  IntStat("requests"),
  IntDictStat("byPath"),
  PmfStat("latency"),
  MeterStat("hits"),
);

// Latency-like samples in milliseconds (log-normal, median about 20 ms).
const random = mulberry32(42);
const SIZE = 1 << 14;
const MASK = SIZE - 1;
const samples = new Float64Array(SIZE);
for (let i = 0; i < SIZE; i++) {
  const g = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  samples[i] = Math.exp(3 + 1.2 * g);
}
const PATHS = Array.from({ length: 64 }, (_, i) => `/api/v1/item/${i}`);
let cursor = 0;

const plain = { x: 0 };

const registry = new promClient.Registry();
const promCounter = new promClient.Counter({ name: "c", help: "c", registers: [registry] });
const promLabeled = new promClient.Counter({
  name: "cl",
  help: "cl",
  labelNames: ["path"],
  registers: [registry],
});
const promHistogram = new promClient.Histogram({ name: "h", help: "h", registers: [registry] });
const promSummary = new promClient.Summary({ name: "s", help: "s", registers: [registry] });
const measuredCounter = new MeasuredCounter();
const measuredMeter = new MeasuredMeter();
const measuredHistogram = new MeasuredHistogram();
const ddsketch = new DDSketch({ relativeAccuracy: 0.005 });
const hdrHistogram = hdr.build({ numberOfSignificantValueDigits: 2 });

Deno.bench("plain o.x++", { group: "counter", baseline: true }, () => {
  for (let i = 0; i < BATCH; i++) plain.x++;
});
Deno.bench("scales IntStat += 1", { group: "counter" }, () => {
  for (let i = 0; i < BATCH; i++) STATS.requests += 1;
});
Deno.bench("prom-client Counter.inc", { group: "counter" }, () => {
  for (let i = 0; i < BATCH; i++) promCounter.inc();
});
Deno.bench("measured-core Counter.inc", { group: "counter" }, () => {
  for (let i = 0; i < BATCH; i++) measuredCounter.inc();
});

Deno.bench("scales IntDictStat inc(key)", { group: "dict", baseline: true }, () => {
  for (let i = 0; i < BATCH; i++) STATS.byPath.inc(PATHS[i & 63]!);
});
Deno.bench("scales IntDictStat dict[key] += 1", { group: "dict" }, () => {
  for (let i = 0; i < BATCH; i++) STATS.byPath[PATHS[i & 63]!] += 1;
});
Deno.bench("prom-client labeled Counter.inc({path})", { group: "dict" }, () => {
  for (let i = 0; i < BATCH; i++) promLabeled.inc({ path: PATHS[i & 63]! });
});

Deno.bench("scales PmfStat add", { group: "distribution", baseline: true }, () => {
  for (let i = 0; i < BATCH; i++) STATS.latency.add(samples[cursor++ & MASK]!);
});
Deno.bench("@datadog/sketches-js accept", { group: "distribution" }, () => {
  for (let i = 0; i < BATCH; i++) ddsketch.accept(samples[cursor++ & MASK]!);
});
Deno.bench("hdr-histogram-js recordValue", { group: "distribution" }, () => {
  for (let i = 0; i < BATCH; i++) hdrHistogram.recordValue(Math.round(samples[cursor++ & MASK]!));
});
Deno.bench("prom-client Histogram.observe", { group: "distribution" }, () => {
  for (let i = 0; i < BATCH; i++) promHistogram.observe(samples[cursor++ & MASK]!);
});
Deno.bench("prom-client Summary.observe", { group: "distribution" }, () => {
  for (let i = 0; i < BATCH; i++) promSummary.observe(samples[cursor++ & MASK]!);
});
Deno.bench("measured-core Histogram.update", { group: "distribution" }, () => {
  for (let i = 0; i < BATCH; i++) measuredHistogram.update(samples[cursor++ & MASK]!);
});

Deno.bench("scales MeterStat mark", { group: "meter", baseline: true }, () => {
  for (let i = 0; i < BATCH; i++) STATS.hits.mark();
});
Deno.bench("measured-core Meter.mark", { group: "meter" }, () => {
  for (let i = 0; i < BATCH; i++) measuredMeter.mark();
});

// A distribution holding 100,000 latency-like samples, for the snapshot cost.
const filled = new Pmf();
for (let i = 0; i < 100_000; i++) filled.add(samples[i & MASK]!);

Deno.bench("scales PmfStat snapshot, all eleven fields (x1000)", { group: "snapshot" }, () => {
  for (let i = 0; i < BATCH; i++) filled.snapshot();
});

addEventListener("unload", () => {
  measuredMeter.end();
});
