/**
 * The value-to-bucket mapping of base-2 exponential buckets, from the bits of
 * the float: no logarithm.
 *
 * At scale `s` (base `2^(2^-s)`), bucket `i` covers `(base^i, base^(i+1)]`
 * (see `exponential_histogram.ts`). A positive normal double is
 * `2^e * (1 + M / 2^52)`; its bucket is `(e << s) + j`, where `j` in
 * `[-1, 2^s)` places the mantissa among the `2^s` boundaries
 * `2^(k / 2^s)` of one octave (`j = -1` for an exact power of two, which is
 * the upper edge of the bucket below).
 *
 * To find `j` without a logarithm, the mantissa's top `s + 1` bits pick one
 * of `2^(s+1)` equal bins of the octave. A bin is narrower than any bucket
 * (`2^-(s+1)` against more than `ln 2 / 2^s`), so it holds at most one
 * boundary: `j` is the bin's `first` entry, plus one when the mantissa lies
 * above the bin's bound (the largest mantissa at or below that boundary,
 * computed exactly with BigInt arithmetic when the table is built). One table
 * lookup and one comparison, exact for every double. The comparison is on the
 * top 20 mantissa bits, as the sign of an integer subtraction (no branch to
 * mispredict); only when those bits equal the bound's do the low 32 decide.
 *
 * @module
 */

/** The smallest scale a sketch uses (Prometheus native histograms' lowest schema). */
export const MIN_SCALE = -4;
/** The largest scale a sketch accepts (Prometheus native histograms' highest schema). */
export const MAX_SCALE = 8;

/** The lookup tables of one scale, from 0 to {@linkcode MAX_SCALE}. */
export interface MappingTables {
  /** The scale of the indexes the tables give. */
  readonly scale: number;
  /** Right shift of the high word that leaves the bin number (with `binMask`). */
  readonly binShift: number;
  /** Mask of the bin number, `2^(scale+1) - 1`. */
  readonly binMask: number;
  /**
   * Per bin `t`, two entries (one array, one bounds check on the hot path):
   * at `2t` the in-octave bucket of a mantissa at or below the bin's bound;
   * at `2t + 1` the top 20 bits of that bound's mantissa, or `2^20` (above
   * any) if the bin has no boundary.
   */
  readonly bins: Int32Array;
  /** Per bin: the low 32 bits of its bound's mantissa. */
  readonly boundLow: Uint32Array;
}

// An 8-byte view: write a double, read its two 32-bit words (the sketch's
// hot path keeps its own copy, module-local constants being cheaper to reach).
const FLOAT_VIEW = new Float64Array(1);
const WORD_VIEW = new Uint32Array(FLOAT_VIEW.buffer);
FLOAT_VIEW[0] = 1;
/** Which word of `WORD_VIEW` holds the sign, exponent and top mantissa bits. */
const HIGH_WORD = WORD_VIEW[1] === 0x3ff00000 ? 1 : 0;
/** Which word holds the low 32 mantissa bits. */
const LOW_WORD = 1 - HIGH_WORD;

const TWO_52 = 2 ** 52;
const cache: MappingTables[] = [];

/** The largest mantissa `M` with `1 + M / 2^52 <= 2^(k / 2^scale)`, exactly. */
function boundaryMantissa(k: number, scale: number): number {
  if (k === 0) return 0;
  const p = BigInt(2 ** scale);
  const limit = 1n << (BigInt(k) + 52n * p);
  // At or below the boundary: (2^52 + M)^(2^s) <= 2^(k + 52 * 2^s); equality
  // is impossible for 0 < k < 2^s (the boundary is irrational).
  const atOrBelow = (m: number) => (BigInt(TWO_52 + m) ** p) <= limit;
  let m = Math.floor((Math.pow(2, k / 2 ** scale) - 1) * TWO_52);
  while (!atOrBelow(m)) m--;
  while (atOrBelow(m + 1)) m++;
  return m;
}

/** The lookup tables for indexes at `scale` (0 to {@linkcode MAX_SCALE}), built once. */
export function mappingTables(scale: number): MappingTables {
  const cached = cache[scale];
  if (cached !== undefined) return cached;
  const buckets = 2 ** scale;
  const bins = 2 * buckets;
  const binWidth = TWO_52 / bins;
  const packed = new Int32Array(2 * bins);
  const boundLow = new Uint32Array(bins);
  const boundaries = Array.from({ length: buckets }, (_, k) => boundaryMantissa(k, scale));
  let below = 0; // boundaries with a mantissa below the current bin's left edge
  for (let t = 0; t < bins; t++) {
    while (below < buckets && boundaries[below]! < t * binWidth) below++;
    packed[2 * t] = below - 1;
    packed[2 * t + 1] = 0x100000;
  }
  for (let k = 0; k < buckets; k++) {
    const t = Math.floor(boundaries[k]! / binWidth);
    packed[2 * t] = k - 1;
    packed[2 * t + 1] = Math.floor(boundaries[k]! / 2 ** 32);
    boundLow[t] = boundaries[k]! % 2 ** 32;
  }
  const tables = {
    scale,
    binShift: 20 - (scale + 1),
    binMask: bins - 1,
    bins: packed,
    boundLow,
  };
  cache[scale] = tables;
  return tables;
}

/**
 * The bucket index of `|value|` at `tables.scale`, for a normal, finite,
 * non-zero `value` (the sketch's hot path inlines the same steps).
 */
export function bucketIndex(tables: MappingTables, value: number): number {
  FLOAT_VIEW[0] = value;
  const high = WORD_VIEW[HIGH_WORD]!;
  const exponent = ((high >>> 20) & 0x7ff) - 1023;
  const bin = (high >>> tables.binShift) & tables.binMask;
  const top = high & 0xfffff;
  const boundHigh = tables.bins[2 * bin + 1]!;
  let above = (boundHigh - top) >>> 31;
  if (top === boundHigh) above = WORD_VIEW[LOW_WORD]! > tables.boundLow[bin]! ? 1 : 0;
  return (exponent << tables.scale) + tables.bins[2 * bin]! + above;
}

/** The upper edge of bucket `index` at `scale`: `2^((index + 1) / 2^scale)`. */
export function upperEdge(index: number, scale: number): number {
  return Math.pow(2, (index + 1) * Math.pow(2, -scale));
}
