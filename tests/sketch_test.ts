import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_MAX_BUCKETS, QuantileSketch, ZERO_THRESHOLD } from "../src/_sketch.ts";
import { mulberry32 } from "./_random.ts";

/** A standard normal deviate by Box-Muller. */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const QUANTILES = [0.5, 0.75, 0.95, 0.98, 0.99, 0.999];
const TOLERANCE = 0.01;

/** The exact sample at 0-based rank floor(q * (n - 1)), the sketch's rank convention. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

function sketchOf(values: readonly number[]): QuantileSketch {
  const sketch = new QuantileSketch();
  for (const v of values) sketch.add(v);
  return sketch;
}

function assertQuantilesWithinOnePercent(values: readonly number[]): void {
  const sketch = sketchOf(values);
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of QUANTILES) {
    const exact = exactQuantile(sorted, q);
    const estimate = sketch.quantile(q);
    const error = exact === 0 ? Math.abs(estimate) : Math.abs(estimate - exact) / Math.abs(exact);
    assert.ok(
      error <= TOLERANCE,
      `q=${q}: estimate ${estimate} vs exact ${exact}, relative error ${error}`,
    );
  }
}

function generate(n: number, next: () => number): number[] {
  return Array.from({ length: n }, next);
}

function twoPass(values: readonly number[]): { mean: number; stddev: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, stddev: Math.sqrt(squares / (values.length - 1)) };
}

function assertRelativelyClose(actual: number, expected: number, tolerance: number): void {
  const error = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(error <= tolerance, `${actual} vs ${expected}: relative error ${error}`);
}

describe("QuantileSketch accuracy: quantiles within 1% of the exact sample quantile", () => {
  it("holds for uniform values", () => {
    const random = mulberry32(1);
    assertQuantilesWithinOnePercent(generate(100_000, () => 1 + 999 * random()));
  });

  it("holds for log-normal values", () => {
    const random = mulberry32(2);
    assertQuantilesWithinOnePercent(generate(100_000, () => Math.exp(3 + 2 * gaussian(random))));
  });

  it("holds for bimodal values", () => {
    const random = mulberry32(3);
    assertQuantilesWithinOnePercent(
      generate(100_000, () => (random() < 0.9 ? 0.002 : 1.5) * Math.exp(0.1 * gaussian(random))),
    );
  });

  it("holds for a constant value", () => {
    assertQuantilesWithinOnePercent(generate(10_000, () => 42.5));
  });

  it("holds for values exactly on bucket edges", () => {
    const random = mulberry32(4);
    assertQuantilesWithinOnePercent(
      generate(50_000, () => Math.pow(2, (Math.floor(random() * 2000) - 1000) / 64)),
    );
  });

  it("holds for log-uniform values from 1e-6 to 1e12", () => {
    const random = mulberry32(5);
    assertQuantilesWithinOnePercent(generate(100_000, () => Math.pow(10, -6 + 18 * random())));
  });

  it("holds for values including zeros and negatives", () => {
    const random = mulberry32(6);
    assertQuantilesWithinOnePercent(generate(100_000, () => {
      const r = random();
      if (r < 0.1) return 0;
      const magnitude = Math.exp(5 * gaussian(random));
      return r < 0.4 ? -magnitude : magnitude;
    }));
  });

  it("holds at every rank, not only the summary quantiles", () => {
    const random = mulberry32(16);
    const values = generate(50_000, () => (random() < 0.5 ? -1 : 1) * Math.pow(10, 6 * random()));
    const sketch = sketchOf(values);
    const sorted = [...values].sort((a, b) => a - b);
    for (let i = 0; i <= 1000; i++) {
      const exact = exactQuantile(sorted, i / 1000);
      const error = Math.abs(sketch.quantile(i / 1000) - exact) / Math.abs(exact);
      assert.ok(error <= sketch.relativeAccuracy * (1 + 1e-9), `q=${i / 1000}: error ${error}`);
    }
  });

  it("holds at every one of 10,001 quantiles of log-uniform data from 1e-6 to 1e12, at scale 6", () => {
    const random = mulberry32(20);
    const values = generate(100_000, () => Math.pow(10, -6 + 18 * random()));
    const sketch = sketchOf(values);
    const sorted = [...values].sort((a, b) => a - b);
    // 18 decades need 3,827 buckets: within the default cap, so no downscaling.
    assert.equal(sketch.scale, 6);
    const bound = (Math.pow(2, 1 / 64) - 1) / (Math.pow(2, 1 / 64) + 1); // 0.5415%
    assert.equal(sketch.relativeAccuracy, bound);
    for (let i = 0; i <= 10_000; i++) {
      const exact = exactQuantile(sorted, i / 10_000);
      const error = Math.abs(sketch.quantile(i / 10_000) - exact) / exact;
      assert.ok(error <= bound * (1 + 1e-12), `q=${i / 10_000}: error ${error}`);
    }
  });

  it("holds for only negative values", () => {
    const random = mulberry32(7);
    assertQuantilesWithinOnePercent(generate(50_000, () => -Math.pow(10, -3 + 9 * random())));
  });
});

describe("QuantileSketch quantile conventions", () => {
  it("returns exactly min at q=0 and max at q=1", () => {
    const random = mulberry32(8);
    const values = generate(10_000, () => 1e6 * random() - 1e5);
    const sketch = sketchOf(values);
    assert.equal(sketch.quantile(0), Math.min(...values));
    assert.equal(sketch.quantile(1), Math.max(...values));
  });

  it("clamps every quantile into [min, max]", () => {
    const sketch = sketchOf([10.001, 10.002, 10.003]);
    for (const q of [0, 0.1, 0.5, 0.9, 1]) {
      const value = sketch.quantile(q);
      assert.ok(value >= 10.001 && value <= 10.003, `q=${q}: ${value}`);
    }
  });

  it("reports values below the zero threshold as exactly themselves when alone", () => {
    const sketch = sketchOf([ZERO_THRESHOLD / 10, ZERO_THRESHOLD / 10]);
    assert.equal(sketch.quantile(0.5), ZERO_THRESHOLD / 10);
  });

  it("returns NaN for every statistic of an empty sketch", () => {
    const sketch = new QuantileSketch();
    assert.equal(sketch.count, 0);
    assert.ok(Number.isNaN(sketch.quantile(0.5)));
    assert.ok(Number.isNaN(sketch.min));
    assert.ok(Number.isNaN(sketch.max));
    assert.ok(Number.isNaN(sketch.mean));
  });

  it("rejects quantiles outside [0, 1]", () => {
    const sketch = sketchOf([1]);
    assert.throws(() => sketch.quantile(-0.1), RangeError);
    assert.throws(() => sketch.quantile(1.1), RangeError);
    assert.throws(() => sketch.quantile(NaN), RangeError);
  });

  it("ignores NaN and infinite values", () => {
    const sketch = sketchOf([1, NaN, Infinity, -Infinity, 3]);
    assert.equal(sketch.count, 2);
    assert.equal(sketch.sum, 4);
    assert.equal(sketch.max, 3);
  });

  it("answers several quantiles at once in the order asked", () => {
    const sketch = sketchOf(generate(
      1000,
      (() => {
        let i = 0;
        return () => ++i;
      })(),
    ));
    assert.deepEqual(sketch.quantiles([0.99, 0.5]), [sketch.quantile(0.99), sketch.quantile(0.5)]);
  });
});

describe("QuantileSketch exact statistics", () => {
  it("keeps count, min, max and sum exact", () => {
    const random = mulberry32(9);
    const values = generate(100_000, () => Math.round(2000 * gaussian(random)));
    const sketch = sketchOf(values);
    assert.equal(sketch.count, values.length);
    assert.equal(sketch.min, Math.min(...values));
    assert.equal(sketch.max, Math.max(...values));
    assert.equal(sketch.sum, values.reduce((a, b) => a + b, 0));
  });

  it("keeps mean and stddev within 1e-9 relative of a two-pass computation", () => {
    const random = mulberry32(10);
    const values = generate(100_000, () => 1e6 + Math.exp(3 + gaussian(random)));
    const sketch = sketchOf(values);
    const exact = twoPass(values);
    assertRelativelyClose(sketch.mean, exact.mean, 1e-9);
    assertRelativelyClose(sketch.stddev, exact.stddev, 1e-9);
  });

  it("keeps mean and stddev within 1e-9 relative after merging", () => {
    const random = mulberry32(11);
    const values = generate(60_000, () => 1e6 + Math.exp(3 + gaussian(random)));
    const parts = [values.slice(0, 10), values.slice(10, 40_000), values.slice(40_000)];
    const merged = new QuantileSketch();
    for (const part of parts) merged.merge(sketchOf(part));
    const exact = twoPass(values);
    assertRelativelyClose(merged.mean, exact.mean, 1e-9);
    assertRelativelyClose(merged.stddev, exact.stddev, 1e-9);
  });

  it("reports a stddev of 0 for a single value", () => {
    assert.equal(sketchOf([5]).stddev, 0);
  });
});

describe("QuantileSketch merge", () => {
  const everyQuantile = Array.from({ length: 1001 }, (_, i) => i / 1000);

  function assertSameSketch(actual: QuantileSketch, expected: QuantileSketch): void {
    assert.deepEqual(actual.quantiles(everyQuantile), expected.quantiles(everyQuantile));
    assert.equal(actual.count, expected.count);
    assert.equal(actual.min, expected.min);
    assert.equal(actual.max, expected.max);
  }

  it("gives exactly the quantiles of one sketch fed both streams", () => {
    const random = mulberry32(12);
    const a = generate(50_000, () => Math.exp(2 * gaussian(random)));
    const b = generate(30_000, () => -Math.exp(4 + gaussian(random)));
    const merged = sketchOf(a);
    merged.merge(sketchOf(b));
    assertSameSketch(merged, sketchOf([...a, ...b]));
  });

  it("stays exact when the merged range forces the lowest buckets to collapse", () => {
    const random = mulberry32(13);
    const small = generate(20_000, () => Math.pow(10, -15 + 10 * random()));
    const large = generate(20_000, () => Math.pow(10, 5 + 10 * random()));
    const merged = sketchOf(small);
    merged.merge(sketchOf(large));
    assertSameSketch(merged, sketchOf([...small, ...large]));
    const reversed = sketchOf(large);
    reversed.merge(sketchOf(small));
    assertSameSketch(reversed, sketchOf([...small, ...large]));
  });

  it("merges sketches of different scales at the coarser one, as one sketch at that scale", () => {
    const random = mulberry32(17);
    const a = generate(20_000, () => Math.exp(3 * gaussian(random)));
    const b = generate(20_000, () => -Math.exp(2 * gaussian(random)));
    const fine = sketchOf(a);
    const coarse = new QuantileSketch({ scale: 3 });
    for (const v of b) coarse.add(v);
    fine.merge(coarse);
    const single = new QuantileSketch({ scale: 3 });
    for (const v of [...a, ...b]) single.add(v);
    assert.equal(fine.scale, 3);
    assertSameSketch(fine, single);
    assert.deepEqual(
      { ...fine.exponentialHistogram(), sum: 0 },
      { ...single.exponentialHistogram(), sum: 0 },
    );
  });

  it("leaves a sketch unchanged when merging an empty one", () => {
    const sketch = sketchOf([1, 2, 3]);
    const before = sketch.quantiles(everyQuantile);
    sketch.merge(new QuantileSketch());
    assert.deepEqual(sketch.quantiles(everyQuantile), before);
    assert.equal(sketch.count, 3);
  });
});

describe("QuantileSketch buckets", () => {
  it("exports zeros, negatives by magnitude and positives as the formats define them", () => {
    const sketch = sketchOf([0, ZERO_THRESHOLD, -ZERO_THRESHOLD, -1, -1, 2, 2.5]);
    assert.deepEqual(sketch.exponentialHistogram(), {
      scale: 6,
      zeroThreshold: 2 ** -30,
      zeroCount: 3,
      positive: { offset: 63, counts: [1, ...Array(20).fill(0), 1] },
      negative: { offset: -1, counts: [2] },
      count: 7,
      sum: 2.5,
      min: -1,
      max: 2.5,
    });
  });

  it("lowers the scale, exactly, when one sign spans more than maxBuckets", () => {
    const random = mulberry32(18);
    const values = generate(10_000, () => Math.pow(2, 10 * random()));
    const capped = new QuantileSketch({ maxBuckets: 128 });
    for (const v of values) capped.add(v);
    // 10 octaves: 640 buckets at scale 6, 80 at scale 3.
    assert.equal(capped.scale, 3);
    const direct = new QuantileSketch({ scale: 3, maxBuckets: 128 });
    for (const v of values) direct.add(v);
    assert.deepEqual(capped.exponentialHistogram(), direct.exponentialHistogram());
    assert.ok(capped.bucketCount <= 2 * 128);
  });

  it("merges capped sketches into exactly one capped sketch fed both streams", () => {
    const random = mulberry32(19);
    const small = generate(5_000, () => Math.pow(2, 3 * random()));
    const large = generate(5_000, () => Math.pow(2, 6 + 3 * random()));
    const merged = new QuantileSketch({ maxBuckets: 256 });
    for (const v of small) merged.add(v);
    const other = new QuantileSketch({ maxBuckets: 256 });
    for (const v of large) other.add(v);
    merged.merge(other);
    const single = new QuantileSketch({ maxBuckets: 256 });
    for (const v of [...small, ...large]) single.add(v);
    assert.equal(merged.scale, 4);
    assert.deepEqual(
      { ...merged.exponentialHistogram(), sum: 0 },
      { ...single.exponentialHistogram(), sum: 0 },
    );
  });

  it("counts past 255, 65,535 and 2^32 in one bucket exactly as counters widen", () => {
    const sketch = new QuantileSketch();
    for (let i = 0; i < 70_000; i++) sketch.add(3);
    assert.deepEqual(sketch.exponentialHistogram().positive.counts, [70_000]);
    const big = sketchOf([3]);
    for (let i = 0; i < 3; i++) big.merge(big);
    for (let i = 0; i < 30; i++) big.merge(big);
    assert.deepEqual(big.exponentialHistogram().positive.counts, [2 ** 33]);
  });
});

describe("QuantileSketch copy and clear", () => {
  it("clones into an independent, identical sketch", () => {
    const sketch = sketchOf([1, 2, 3, -4, 0]);
    const copy = sketch.clone();
    assert.deepEqual(
      copy.quantiles([0, 0.25, 0.5, 0.75, 1]),
      sketch.quantiles([0, 0.25, 0.5, 0.75, 1]),
    );
    copy.add(1000);
    assert.equal(sketch.count, 5);
    assert.equal(sketch.max, 3);
  });

  it("forgets every value on clear", () => {
    const sketch = sketchOf([1, 2, 3, -4, 0]);
    sketch.clear();
    assert.equal(sketch.count, 0);
    assert.equal(sketch.sum, 0);
    sketch.add(7);
    assert.equal(sketch.quantile(0.5), 7);
    assert.equal(sketch.min, 7);
    assert.equal(sketch.mean, 7);
  });
});

describe("QuantileSketch memory", () => {
  it("keeps each store under the bucket cap after 1e6 values across the full range", () => {
    const random = mulberry32(14);
    const sketch = new QuantileSketch();
    for (let i = 0; i < 1_000_000; i++) {
      const magnitude = Math.pow(10, -30 + 60 * random());
      sketch.add(random() < 0.5 ? -magnitude : magnitude);
    }
    assert.ok(sketch.bucketCount <= 2 * DEFAULT_MAX_BUCKETS, `${sketch.bucketCount} buckets`);
    assert.equal(sketch.count, 1_000_000);
  });

  it("allocates only a few hundred buckets for latency-like data", () => {
    const random = mulberry32(15);
    const sketch = new QuantileSketch();
    for (let i = 0; i < 100_000; i++) sketch.add(Math.exp(-4 + 0.5 * gaussian(random)));
    assert.ok(sketch.bucketCount <= 1024, `${sketch.bucketCount} buckets`);
  });
});
