/**
 * The 1,000 stats of one worker in the workers benchmark: 100 containers,
 * each with 6 `IntStat`, 2 `DoubleStat`, an `IntDictStat` with 4 keys and a
 * `PmfStat` with 100 samples.
 *
 * @module
 */

import { DoubleStat, IntDictStat, IntStat, PmfStat, type StatTree } from "../mod.ts";

/** Fills `tree` with the benchmark's 1,000 stats; `seed` varies the values by worker. */
export function fillTree(tree: StatTree, seed: number): void {
  for (let c = 0; c < 100; c++) {
    const s = tree.collection(
      `/service${c % 10}/handler${c}`,
      IntStat("a"),
      IntStat("b"),
      IntStat("c"),
      IntStat("d"),
      IntStat("e"),
      IntStat("f"),
      DoubleStat("load"),
      DoubleStat("ratio"),
      IntDictStat("byStatus"),
      PmfStat("latency"),
    );
    s.a += c + seed;
    s.b += 2;
    s.load = seed / 8;
    s.ratio = c / 100;
    for (const status of ["200", "301", "404", "500"]) s.byStatus.inc(status, seed + 1);
    for (let i = 0; i < 100; i++) s.latency.add(1 + ((i * 37 + c * 11 + seed * 5) % 500));
  }
}
