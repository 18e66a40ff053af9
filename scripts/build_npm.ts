/**
 * Builds the npm package of `@scales/core` into `npm/`.
 *
 * Run with `deno task build:npm` (or `deno run -A scripts/build_npm.ts`).
 *
 * The entry points, name, version and license all come from `deno.json`, so an
 * entry point added to its `exports` is built and exported here with no change
 * to this script. The TypeScript compiler from npm (a devDependency in
 * package.json) compiles the sources to ES modules with `.d.ts` files and
 * source maps; its `rewriteRelativeImportExtensions` option turns the sources'
 * `./x.ts` imports into `./x.js`. scripts/README.md says why this is tsc and
 * not dnt, and how to switch.
 *
 * The package is ESM only. Node 20.19+ and 22.12+ can `require()` it too
 * (require(esm)), which is why each export also has a `default` condition.
 *
 * @module
 */

import process from "node:process";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, posix, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The lowest Node version the Node suite and the consumer check run on. */
export const LOWEST_TESTED_NODE = "20.20.0";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "npm");

/** What the build reads from `deno.json`. */
export interface DenoJson {
  name: string;
  version: string;
  license?: string;
  description?: string;
  exports: string | Record<string, string>;
}

/** One entry point: its export key (`.`, `./http`) and its source (`./http/mod.ts`). */
export interface EntryPoint {
  key: string;
  source: string;
}

/** Reads `deno.json` from the repository root. */
export function readDenoJson(root: string = ROOT): DenoJson {
  return JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
}

/** The entry points listed in `deno.json` `exports`. */
export function entryPoints(config: DenoJson): EntryPoint[] {
  const exports = typeof config.exports === "string" ? { ".": config.exports } : config.exports;
  return Object.entries(exports).map(([key, source]) => ({ key, source }));
}

/**
 * The files tsc compiles: the entry points, and every module in their folders,
 * in `src/`, in `push/` (the push pipeline) and in `runtime/` (the runtime
 * adapters), neither an entry point of its own, so that the package mirrors
 * the source tree and a test that imports an internal module by path finds
 * its built counterpart.
 */
export function sourceFiles(entries: EntryPoint[], root: string = ROOT): string[] {
  const files = new Set(entries.map((e) => posix.normalize(e.source)));
  const dirs = new Set([
    "src",
    "push",
    "runtime",
    ...entries.map((e) => posix.dirname(posix.normalize(e.source))),
  ]);
  dirs.delete(".");
  for (const dir of dirs) {
    if (!existsSync(join(root, dir))) continue;
    for (const name of readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })) {
      const path = posix.join(dir, name.split(sep).join("/"));
      if (!path.endsWith(".ts") || path.endsWith(".d.ts") || /_test\.ts$/.test(path)) continue;
      files.add(path);
    }
  }
  return [...files].sort();
}

/** `./http/mod.ts` becomes `./http/mod.js` (or `.d.ts` for types). */
function compiled(source: string, ext: ".js" | ".d.ts"): string {
  if (!source.endsWith(".ts")) throw new Error(`entry point ${source} is not a .ts file`);
  return "./" + posix.normalize(source.slice(0, -".ts".length) + ext);
}

/** The `package.json` written into `npm/`. */
export function npmPackageJson(config: DenoJson, entries: EntryPoint[]): Record<string, unknown> {
  const exports: Record<string, unknown> = {};
  for (const { key, source } of entries) {
    exports[key] = {
      types: compiled(source, ".d.ts"),
      import: compiled(source, ".js"),
      default: compiled(source, ".js"),
    };
  }
  exports["./package.json"] = "./package.json";
  return {
    name: config.name,
    version: config.version,
    description: config.description ??
      "An in-process stat tree for servers: counters, gauges, timers and meters, " +
        "browsable over HTTP and pushed to Graphite or OpenTelemetry (OTLP).",
    license: config.license ?? "Apache-2.0",
    keywords: [
      "metrics",
      "stats",
      "graphite",
      "opentelemetry",
      "otlp",
      "monitoring",
      "deno",
      "node",
    ],
    type: "module",
    main: compiled(entries.find((e) => e.key === ".")?.source ?? entries[0].source, ".js"),
    types: compiled(entries.find((e) => e.key === ".")?.source ?? entries[0].source, ".d.ts"),
    exports,
    engines: { node: `>=${LOWEST_TESTED_NODE}` },
  };
}

/** The compiler options: ES modules for Node 20, with declarations and source maps. */
export const TSC_OPTIONS: string[] = [
  "--module",
  "nodenext",
  "--moduleResolution",
  "nodenext",
  "--target",
  "es2022",
  // ES2023 is what Node 20 implements in full; anything newer fails the build.
  // DOM for the viewer's page script (http/_page_script.ts), browser code that
  // the server inlines into the page: JSR bans a `/// <reference lib>` there,
  // so the lib is set here and in deno.json's compilerOptions.
  "--lib",
  "es2023,dom,dom.iterable",
  "--types",
  "node",
  "--rewriteRelativeImportExtensions",
  "--verbatimModuleSyntax",
  "--strict",
  "--declaration",
  "--sourceMap",
  "--inlineSources",
  "--skipLibCheck",
  "false",
  "--noEmitOnError",
  "--newLine",
  "lf",
];

function tscPath(root: string): string {
  const path = join(root, "node_modules", "typescript", "bin", "tsc");
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npm ci\` (typescript is a devDependency)`);
  }
  return path;
}

/** Runs tsc from the repository's node_modules with `node`; throws when it fails. */
export function runTsc(args: string[], root: string = ROOT): void {
  const result = spawnSync("node", [tscPath(root), ...args], { cwd: root, stdio: "inherit" });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`tsc exited with ${result.status}`);
}

/** Builds `npm/`. Returns the entry points it built. */
export function build(): EntryPoint[] {
  const config = readDenoJson();
  const all = entryPoints(config);
  const missing = all.filter((e) => !existsSync(join(ROOT, e.source)));
  for (const e of missing) {
    console.warn(`build_npm: deno.json exports ${e.key} -> ${e.source}, which does not exist`);
  }
  if (missing.length > 0 && process.env.CI === "true") {
    throw new Error("deno.json names entry points that do not exist");
  }
  const entries = all.filter((e) => !missing.includes(e));

  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  runTsc([
    ...TSC_OPTIONS,
    "--rootDir",
    ".",
    "--outDir",
    "npm",
    ...sourceFiles(entries),
  ]);

  const pkg = npmPackageJson(config, entries);
  writeFileSync(join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  for (const file of ["README.md", "LICENSE"]) {
    if (existsSync(join(ROOT, file))) copyFileSync(join(ROOT, file), join(OUT, file));
    else console.warn(`build_npm: ${file} is missing; the package ships without it`);
  }
  for (const e of entries) {
    for (const ext of [".js", ".d.ts"] as const) {
      const path = join(OUT, compiled(e.source, ext));
      if (!existsSync(path)) throw new Error(`the build did not write ${path}`);
    }
  }
  console.log(
    `build_npm: wrote npm/ for ${pkg.name}@${pkg.version} with exports ${
      entries.map((e) => e.key).join(", ")
    }`,
  );
  return entries;
}

if (import.meta.main) build();
