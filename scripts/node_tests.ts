/**
 * Runs the test suite under `node --test` against the built package in `npm/`,
 * not against the TypeScript sources.
 *
 * Run `deno task build:npm` first, then `deno run -A scripts/node_tests.ts`
 * (add `--keep` to keep the staging directory; test file names narrow the run).
 *
 * How: `tests/` is copied into a temporary directory beside
 * `node_modules/@scales/core`, a symlink to `npm/`, so the tests'
 * `"@scales/core"` imports resolve to the built package through its
 * `exports`. The package's own folders (`src/`, `http/`, ...) are linked in
 * too, so a test that imports an internal module by relative path
 * (`../src/_sketch.ts`) gets the built `.js` and `.d.ts`. tsc type-checks the
 * tests against the package's `.d.ts` files and compiles them, then
 * `node --test` runs them and prints its own summary (`# pass N`, `# fail N`).
 *
 * @module
 */

import process from "node:process";
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runTsc, TSC_OPTIONS } from "./build_npm.ts";

/** The repository root. */
export const ROOT: string = join(dirname(fileURLToPath(import.meta.url)), "..");
const NPM = join(ROOT, "npm");

/**
 * Test files and test helpers that do not run under Node, with the reason.
 * A test file that imports a listed helper (`./_carbon.ts`) is left out too.
 * Keep these short: a test that needs files, processes, sockets or the
 * environment can use node:fs, node:child_process, node:net, node:os and
 * process.env, and import npm packages by bare name (listed in package.json),
 * which work on both runtimes. Remove an entry once it is ported.
 */
export const DENO_ONLY: Record<string, string> = {
  "workers_deno_serve_test.ts": "runs `deno serve --parallel` (the group of Deno workers)",
  "workers_cluster_test.ts": "bundles its node:cluster / PM2 app with `deno bundle`",
  "workers_processes_test.ts": "runs its server processes with `deno run`",
  "workers_prometheus_test.ts": "runs `deno serve --parallel`",
};

/**
 * Why `name` (a test file in `dir`) cannot run, from `skip` (test files and
 * helpers with the reason), or `undefined`. A test file that imports a listed
 * helper is left out too.
 */
function skipReason(dir: string, name: string, skip: Record<string, string>): string | undefined {
  if (name in skip) return skip[name];
  const text = readFileSync(join(dir, name), "utf8");
  for (const [helper, reason] of Object.entries(skip)) {
    if (!helper.endsWith("_test.ts") && text.includes(`"./${helper}"`)) {
      return `imports ./${helper}, which ${reason}`;
    }
  }
  return undefined;
}

function stage(dir: string, tool: string, skip: Record<string, string>): string[] {
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "scales-node-tests", private: true, type: "module" }, null, 2) + "\n",
  );
  // The package under its own name, resolved through its package.json exports,
  // beside the repository's dev dependencies that tests import (fake timers).
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@scales"), { recursive: true });
  symlinkSync(NPM, join(modules, "@scales", "core"), "dir");
  const rootModules = join(ROOT, "node_modules");
  for (const name of existsSync(rootModules) ? readdirSync(rootModules) : []) {
    if (name.startsWith(".") || name === "@scales") continue;
    if (!name.startsWith("@")) {
      symlinkSync(join(rootModules, name), join(modules, name));
      continue;
    }
    mkdirSync(join(modules, name), { recursive: true });
    for (const scoped of readdirSync(join(rootModules, name))) {
      symlinkSync(join(rootModules, name, scoped), join(modules, name, scoped));
    }
  }
  // The package's files at the top level, for tests that import internals by path.
  for (const entry of readdirSync(NPM)) {
    if (entry === "package.json" || entry === "node_modules") continue;
    symlinkSync(join(NPM, entry), join(dir, entry));
  }
  cpSync(join(ROOT, "tests"), join(dir, "tests"), { recursive: true });
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith("--")).map((a) => basename(a));
  const files: string[] = [];
  for (const name of readdirSync(join(dir, "tests")).sort()) {
    if (!name.endsWith("_test.ts")) continue;
    const reason = skipReason(join(dir, "tests"), name, skip);
    if (reason !== undefined) {
      console.log(`${tool}: skipping ${name}: ${reason}`);
      rmSync(join(dir, "tests", name));
      continue;
    }
    if (wanted.length > 0 && !wanted.includes(name)) {
      rmSync(join(dir, "tests", name));
      continue;
    }
    files.push(join("tests", name));
  }
  return files;
}

/**
 * Stages `tests/` against `npm/` (leaving out the files `skip` lists),
 * compiles them with tsc, and calls `run` with the compiled test files (in
 * the staging directory). Returns `run`'s exit code, or 1 when the tests do
 * not type-check (they still run, so one file's error hides no results).
 * `tool` prefixes the messages.
 */
export function runStagedTests(
  tool: string,
  skip: Record<string, string>,
  run: (files: string[]) => number,
): number {
  if (!existsSync(join(NPM, "package.json"))) {
    console.error(`${tool}: npm/ is not built: run \`deno task build:npm\` first`);
    return 1;
  }
  const keep = process.argv.includes("--keep");
  const dir = mkdtempSync(join(tmpdir(), `scales-${tool.replace(/_/g, "-")}-`));
  let status = 1;
  try {
    const files = stage(dir, tool, skip);
    if (files.length === 0) {
      console.error(`${tool}: no test files to run`);
      return 1;
    }
    // Type errors fail the run, but tsc still emits and the runner still runs
    // every file, so one file's error does not hide the others' results.
    const options = TSC_OPTIONS
      .filter((o) => !["--declaration", "--inlineSources", "--noEmitOnError"].includes(o))
      .map((o) => o === "--sourceMap" ? "--inlineSourceMap" : o);
    let typeErrors = false;
    try {
      runTsc([
        ...options,
        "--typeRoots",
        join(ROOT, "node_modules", "@types"),
        // Dev dependencies' own declarations (playwright-core's need DOM
        // types) are not ours to check; the tests and npm/ are.
        "--skipLibCheck",
        "--rootDir",
        dir,
        ...files.map((f) => join(dir, f)),
      ]);
    } catch (error) {
      typeErrors = true;
      console.error(
        `${tool}: the tests do not type-check against npm/ (${error}); running them anyway`,
      );
    }
    status = run(files.map((f) => join(dir, f.replace(/\.ts$/, ".js"))));
    if (typeErrors) {
      console.error(
        `${tool}: FAILED: type errors above (a test using Deno.* belongs in DENO_ONLY)`,
      );
      status ||= 1;
    }
    return status;
  } finally {
    if (keep || status !== 0) console.log(`${tool}: staging directory kept at ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Stages, compiles and runs the suite under `node --test`; returns node's exit code. */
export function main(): number {
  return runStagedTests("node_tests", DENO_ONLY, (js) => {
    const result = spawnSync(
      "node",
      ["--expose-gc", "--enable-source-maps", "--test", "--test-reporter=tap", ...js],
      { cwd: ROOT, stdio: "inherit", env: { ...process.env, SCALES_NODE_TESTS: "1" } },
    );
    if (result.error) throw result.error;
    return result.status ?? 1;
  });
}

if (import.meta.main) {
  try {
    process.exitCode = main();
  } catch (error) {
    console.error(`node_tests: FAILED: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  }
}
