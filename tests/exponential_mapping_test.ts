import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bucketIndex, mappingTables, MAX_SCALE } from "../src/_exponential_mapping.ts";
import { mulberry32 } from "./_random.ts";

const FLOAT = new Float64Array(1);
const BITS = new BigUint64Array(FLOAT.buffer);

/**
 * The bucket of a positive normal `v` at `scale` by exact integer arithmetic:
 * the `i` with `2^i < v^(2^scale) <= 2^(i+1)`, which is `base^i < v <= base^(i+1)`.
 */
function exactIndex(v: number, scale: number): number {
  FLOAT[0] = v;
  const exponent = Number((BITS[0]! >> 52n) & 0x7ffn) - 1075;
  const significand = (BITS[0]! & ((1n << 52n) - 1n)) | (1n << 52n);
  const power = significand ** BigInt(2 ** scale); // v^(2^s) = power * 2^(exponent * 2^s)
  const bits = power.toString(2).length;
  const floorLog2 = bits - 1 + exponent * 2 ** scale;
  return power === 1n << BigInt(bits - 1) ? floorLog2 - 1 : floorLog2;
}

describe("exponential bucket mapping", () => {
  it("puts an exact power of two at the top of the bucket below it, at every scale", () => {
    for (let scale = 0; scale <= MAX_SCALE; scale++) {
      const tables = mappingTables(scale);
      for (const k of [-29, -1, 0, 1, 10, 1023]) {
        assert.equal(bucketIndex(tables, 2 ** k), (k << scale) - 1, `2^${k} at scale ${scale}`);
      }
    }
  });

  it("at scale 6, bucket 0 is (1, 2^(1/64)] and bucket 63 is (2^(63/64), 2]", () => {
    const tables = mappingTables(6);
    assert.equal(bucketIndex(tables, 1), -1);
    assert.equal(bucketIndex(tables, 1 + 2 ** -52), 0);
    assert.equal(bucketIndex(tables, 1.0108), 0);
    assert.equal(bucketIndex(tables, 1.011), 1);
    assert.equal(bucketIndex(tables, 1.99), 63);
    assert.equal(bucketIndex(tables, 2), 63);
    assert.equal(bucketIndex(tables, 2 + 2 ** -51), 64);
  });

  it("agrees with exact integer arithmetic on random values at every scale", () => {
    const random = mulberry32(21);
    for (let scale = 0; scale <= MAX_SCALE; scale++) {
      const tables = mappingTables(scale);
      for (let n = 0; n < 2000; n++) {
        const v = Math.pow(2, 80 * random() - 29);
        assert.equal(bucketIndex(tables, v), exactIndex(v, scale), `${v} at scale ${scale}`);
      }
    }
  });

  it("agrees with exact integer arithmetic on the doubles nearest every boundary at scale 6", () => {
    const tables = mappingTables(6);
    for (let k = -128; k <= 128; k++) {
      const edge = Math.pow(2, k / 64);
      for (const v of [edge * (1 - 2 ** -52), edge, edge * (1 + 2 ** -52), edge * (1 + 2 ** -51)]) {
        assert.equal(bucketIndex(tables, v), exactIndex(v, 6), `${v} near 2^(${k}/64)`);
      }
    }
  });
});
