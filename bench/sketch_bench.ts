/**
 * Benchmarks `QuantileSketch.add` (base-2 exponential buckets, scale 6) against
 * peer sketches on the same data.
 *
 * Each iteration records a batch of {@linkcode BATCH} values, so the reported
 * time per iteration divided by 1000 is the cost of one `add`, in ns.
 *
 * Run with `deno bench -A bench/sketch_bench.ts`.
 *
 * @module
 */
// Peers are dev dependencies (package.json), never imported by the library.
import { DDSketch } from "@datadog/sketches-js";
import * as hdr from "hdr-histogram-js";
import { QuantileSketch } from "../src/_sketch.ts";
import { mulberry32 } from "../tests/_random.ts";

/** Values recorded per bench iteration. */
const BATCH = 1000;

// Latency-like log-normal values in seconds (median ~20 ms), and the same in
// integer microseconds for HdrHistogram, which records integers only.
const random = mulberry32(42);
const SIZE = 1 << 16;
const MASK = SIZE - 1;
const seconds = new Float64Array(SIZE);
const micros = new Float64Array(SIZE);
for (let i = 0; i < SIZE; i++) {
  const u = 1 - random();
  const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  seconds[i] = Math.exp(-4 + 1.2 * g);
  micros[i] = Math.max(1, Math.round(seconds[i] * 1e6));
}

let cursor = 0;

const ours = new QuantileSketch();
Deno.bench("QuantileSketch.add (scale 6, 0.54%) x1000", { group: "add", baseline: true }, () => {
  let i = cursor;
  for (let n = 0; n < BATCH; n++) ours.add(seconds[i++ & MASK]);
  cursor = i;
});

const ddsketch = new DDSketch({ relativeAccuracy: 0.005 });
Deno.bench("@datadog/sketches-js DDSketch.accept (α=0.005) x1000", { group: "add" }, () => {
  let i = cursor;
  for (let n = 0; n < BATCH; n++) ddsketch.accept(seconds[i++ & MASK]);
  cursor = i;
});

const ddsketch1 = new DDSketch({ relativeAccuracy: 0.01 });
Deno.bench("@datadog/sketches-js DDSketch.accept (α=0.01) x1000", { group: "add" }, () => {
  let i = cursor;
  for (let n = 0; n < BATCH; n++) ddsketch1.accept(seconds[i++ & MASK]);
  cursor = i;
});

const histogram = hdr.build({
  bitBucketSize: 64,
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 2,
});
Deno.bench("hdr-histogram-js recordValue (2 digits, µs) x1000", { group: "add" }, () => {
  let i = cursor;
  for (let n = 0; n < BATCH; n++) histogram.recordValue(micros[i++ & MASK]);
  cursor = i;
});

Deno.bench("empty loop (harness overhead) x1000", { group: "add" }, () => {
  let i = cursor;
  let s = 0;
  for (let n = 0; n < BATCH; n++) s += seconds[i++ & MASK];
  cursor = i + (s > 0 ? 0 : 1);
});

// Reading quantiles: the five summary quantiles of a sketch of 65536 values.
const QS = [0.5, 0.75, 0.95, 0.99, 0.999];
const full = new QuantileSketch();
const fullDd = new DDSketch({ relativeAccuracy: 0.005 });
for (let i = 0; i < SIZE; i++) {
  full.add(seconds[i]);
  fullDd.accept(seconds[i]);
}
let sink = 0;
Deno.bench("QuantileSketch.quantile x5", { group: "quantile", baseline: true }, () => {
  for (const q of QS) sink += full.quantile(q);
});
Deno.bench("@datadog/sketches-js getValueAtQuantile x5", { group: "quantile" }, () => {
  for (const q of QS) sink += fullDd.getValueAtQuantile(q);
});

// Merging two sketches of 65536 values each.
Deno.bench("QuantileSketch clone + merge", { group: "merge", baseline: true }, () => {
  const copy = full.clone();
  copy.merge(full);
  sink += copy.count;
});
