/**
 * Crash forensics: the stat tree as a JSON file, written atomically, kept
 * current every period and written once more when the process dies on an
 * uncaught error or a signal, so the last stats survive a crash.
 *
 * @example
 * ```ts
 * import { PeriodicFileDumper } from "@scales/core";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await using dumper = new PeriodicFileDumper(path, { periodMs: 5_000 });
 * await dumper.start();
 * ```
 *
 * @module
 */

export {
  type DumpOptions,
  dumpStatsTo,
  PeriodicFileDumper,
  type PeriodicFileDumperOptions,
  type StatsDump,
} from "./dump.ts";
