/**
 * Runs the test suite under Bun against the built package in `npm/`, as
 * `node_tests.ts` does under Node.
 *
 * Run `deno task build:npm` first, then `deno run -A scripts/bun_tests.ts`
 * (add `--keep` to keep the staging directory; test file names narrow the run).
 *
 * How: the tests are staged and compiled exactly as for Node (see
 * `node_tests.ts`), then each compiled file runs in its own `bun test`
 * process (Bun's runner runs `node:test` suites, and a process per file
 * isolates them as `node --test` does). `gc.js`, preloaded, stands in for
 * `--expose-gc`. The closing line is `bun_tests: N passed, N failed, N
 * skipped`, summed over the files; a file whose process fails without a
 * failed test (a crash, an error at load) counts as one failure.
 *
 * Bun is the binary of the pinned `bun` devDependency,
 * `node_modules/@oven/bun-linux-x64/bin/bun` (the `bun` package's own
 * postinstall, which would link it, does not run: `.npmrc` has
 * `ignore-scripts`), or `$BUN` when set.
 *
 * @module
 */

import process from "node:process";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DENO_ONLY, ROOT, runStagedTests } from "./node_tests.ts";

/**
 * Test files and helpers that do not run under Bun, for a reason outside
 * this project, with the reason (on top of `DENO_ONLY`). Keep it short;
 * remove an entry once Bun fixes it.
 */
export const BUN_SKIP: Record<string, string> = {};

/** The Bun binary: `$BUN`, else the one the `bun` devDependency installed. */
export function bunPath(): string {
  const path = process.env.BUN ??
    join(ROOT, "node_modules", "@oven", `bun-${process.platform}-${process.arch}`, "bin", "bun");
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npm ci\` (bun is a devDependency)`);
  }
  return path;
}

/** Counts in `bun test`'s closing summary (` 3 pass`, ` 1 skip`, ` 1 fail`). */
function counts(output: string): { pass: number; fail: number; skip: number } {
  const read = (word: string) => {
    const match = output.match(new RegExp(`^\\s*(\\d+) ${word}$`, "m"));
    return match === null ? 0 : Number(match[1]);
  };
  return { pass: read("pass"), fail: read("fail"), skip: read("skip") + read("todo") };
}

/** Runs every file in its own `bun test`; prints the summary; returns 0 when all passed. */
function runUnderBun(files: string[]): number {
  const bun = bunPath();
  const preload = join(dirname(files[0]), "..", "gc.js");
  writeFileSync(
    preload,
    "// --expose-gc for Bun: the tests call globalThis.gc().\n" +
      "globalThis.gc ??= () => Bun.gc(true);\n",
  );
  let pass = 0;
  let fail = 0;
  let skip = 0;
  const failedFiles: string[] = [];
  for (const file of files) {
    const result = spawnSync(
      bun,
      // No per-test timeout beyond the tests' own: as under `node --test`.
      ["test", "--preload", preload, "--timeout", "600000", file],
      { cwd: ROOT, encoding: "utf8", env: process.env, maxBuffer: 64 * 1024 * 1024 },
    );
    if (result.error) throw result.error;
    const output = `${result.stdout}${result.stderr}`;
    process.stdout.write(output);
    const seen = counts(output);
    if (result.status !== 0 && seen.fail === 0) seen.fail = 1;
    pass += seen.pass;
    fail += seen.fail;
    skip += seen.skip;
    if (seen.fail > 0) failedFiles.push(basename(file));
  }
  if (failedFiles.length > 0) console.log(`bun_tests: failed in ${failedFiles.join(", ")}`);
  console.log(`bun_tests: ${pass} passed, ${fail} failed, ${skip} skipped`);
  return fail === 0 ? 0 : 1;
}

/** Stages, compiles and runs the suite under Bun; returns 0 when every test passed. */
export function main(): number {
  const bun = bunPath();
  const version = spawnSync(bun, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(`bun_tests: Bun ${version} (${bun})`);
  return runStagedTests("bun_tests", { ...DENO_ONLY, ...BUN_SKIP }, runUnderBun);
}

if (import.meta.main) {
  try {
    process.exitCode = main();
  } catch (error) {
    console.error(`bun_tests: FAILED: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  }
}
