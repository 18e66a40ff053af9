/**
 * The cost of reading a distribution, as CPU time (best of many rounds, as
 * `add_cost.ts` does, because the machine is shared): `Pmf.snapshot()` (the
 * window's count, sum, min, max, mean, stddev and six percentiles) and
 * `Pmf.exponentialHistogram()` (the all-time buckets), for
 *
 * - 1,000 small distributions (100 samples in the current slot, as the
 *   render benchmark's tree), read right after a write to each ("changed")
 *   and read again with no write in between ("unchanged");
 * - one busy distribution (five full one-minute window slots of 100,000
 *   latency samples each and two retired: 852 buckets per slot).
 *
 * Run with `deno run -A bench/pmf_read_cost.ts` (about 20 seconds).
 *
 * @module
 */
import process from "node:process";
import FakeTimers from "@sinonjs/fake-timers";
import { Pmf, reset } from "@scales/core";
import { logNormal, mulberry32 } from "../tests/_random.ts";

const ROUNDS = 30;

const clock = FakeTimers.install({
  toFake: ["performance", "Date", "setInterval", "clearInterval", "setTimeout", "clearTimeout"],
});
reset();

const random = mulberry32(7);
const busy = new Pmf();
const busySamples = Float64Array.from(
  { length: 100_000 },
  () => Math.min(10_000, Math.max(1, logNormal(random, Math.log(50), 1.2))),
);
for (let minute = 0; minute < 7; minute++) {
  for (const v of busySamples) busy.add(v);
  if (minute < 6) clock.tick(60_000);
}

const small = Array.from({ length: 1_000 }, () => {
  const pmf = new Pmf();
  for (let i = 0; i < 100; i++) pmf.add(logNormal(random, 3, 1.2));
  return pmf;
});
let sink = 0;
const cases: Array<[string, number, () => void]> = [
  ["1,000 small: snapshot(), each changed", 1_000, () => {
    for (const pmf of small) {
      pmf.add(20);
      sink += pmf.snapshot().median;
    }
  }],
  ["1,000 small: snapshot(), unchanged", 1_000, () => {
    for (const pmf of small) sink += pmf.snapshot().median;
  }],
  ["1,000 small: exponentialHistogram(), each changed", 1_000, () => {
    for (const pmf of small) {
      pmf.add(20);
      sink += pmf.exponentialHistogram().count;
    }
  }],
  ["1,000 small: exponentialHistogram(), unchanged", 1_000, () => {
    for (const pmf of small) sink += pmf.exponentialHistogram().count;
  }],
  ["busy: snapshot(), changed", 100, () => {
    for (let i = 0; i < 100; i++) {
      busy.add(20);
      sink += busy.snapshot().median;
    }
  }],
  ["busy: snapshot(), unchanged", 100, () => {
    for (let i = 0; i < 100; i++) sink += busy.snapshot().median;
  }],
  ["busy: exponentialHistogram(), changed", 100, () => {
    for (let i = 0; i < 100; i++) {
      busy.add(20);
      sink += busy.exponentialHistogram().count;
    }
  }],
];

const best = new Map<string, number>();
for (const [, , run] of cases) run(); // warm up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, reads, run] of cases) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    const us = (used.user + used.system) / reads;
    best.set(name, Math.min(best.get(name) ?? Infinity, us));
  }
}
console.log("| case | best CPU µs per read |");
console.log("| --- | --- |");
for (const [name, us] of best) console.log(`| ${name} | ${us.toFixed(3)} |`);
if (sink === 0) console.log("(sink)");
clock.uninstall();
reset();
