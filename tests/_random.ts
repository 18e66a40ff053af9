/**
 * Seeded randomness for tests and benchmarks, so every run sees the same
 * samples.
 *
 * @module
 */

/** A tiny seeded PRNG (mulberry32), uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A log-normal sample `exp(mu + sigma * N(0, 1))`, by Box-Muller from `next`. */
export function logNormal(next: () => number, mu: number, sigma: number): number {
  const g = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return Math.exp(mu + sigma * g);
}
