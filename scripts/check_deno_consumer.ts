/**
 * Checks the package the way a Deno user gets it from JSR: only the files
 * that `deno publish` would ship, imported as `jsr:@scales/core`.
 *
 * JSR cannot be reached from here, so the check stands in for it: it asks
 * `deno publish --dry-run` for the exact file list, copies just those files
 * into a temporary folder, and makes a fresh Deno project whose import map
 * points `jsr:@scales/core` (and every subpath export) at that copy. Then it
 *
 * 1. imports every entry point of `deno.json` `exports` through `jsr:`;
 * 2. runs the README's first example (its first `ts` block not marked
 *    `ignore`), imported as `@scales/core` the way the README writes it.
 *
 * A file missing from `publish.include` fails the import. Run with
 * `deno run -A scripts/check_deno_consumer.ts` (add `--keep` to keep the
 * temporary project).
 *
 * @module
 */

import process from "node:process";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DENO = process.execPath;

interface DenoJson {
  name: string;
  exports: string | Record<string, string>;
}

function deno(args: string[], cwd: string): string {
  console.log(`$ deno ${args.join(" ")}`);
  const result = spawnSync(DENO, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  if (result.error) throw result.error;
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) {
    console.log(output);
    throw new Error(`deno ${args.join(" ")} exited with ${result.status}`);
  }
  return output;
}

/** The files `deno publish` would ship, relative to the root. */
function publishedFiles(): string[] {
  const output = deno(["publish", "--dry-run", "--allow-dirty"], ROOT);
  const files = [...output.matchAll(/^\s+(file:\/\/\S+)/gm)].map((match) =>
    relative(ROOT, fileURLToPath(match[1]!))
  );
  if (files.length === 0) throw new Error(`deno publish --dry-run listed no files:\n${output}`);
  return files;
}

/** The README's first runnable TypeScript block. */
function firstReadmeExample(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  for (const match of readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) return match[1]!;
  throw new Error("README.md has no ```ts block that is not marked ignore");
}

const config: DenoJson = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
const exportsMap = typeof config.exports === "string" ? { ".": config.exports } : config.exports;
const files = publishedFiles();
for (const target of Object.values(exportsMap)) {
  if (!files.includes(target.replace(/^\.\//, ""))) {
    throw new Error(`export ${target} is not among the published files`);
  }
}

const dir = mkdtempSync(join(tmpdir(), "scales-deno-consumer-"));
try {
  const pkg = join(dir, "jsr_scales_core");
  for (const file of files) {
    mkdirSync(dirname(join(pkg, file)), { recursive: true });
    cpSync(join(ROOT, file), join(pkg, file));
  }
  const imports: Record<string, string> = {};
  const specifiers: string[] = [];
  for (const [key, target] of Object.entries(exportsMap)) {
    const subpath = key === "." ? "" : key.slice(1);
    const path = `./jsr_scales_core/${target.replace(/^\.\//, "")}`;
    imports[`jsr:${config.name}${subpath}`] = path;
    imports[`${config.name}${subpath}`] = path;
    specifiers.push(`jsr:${config.name}${subpath}`);
  }
  // node:assert is what the README's examples may use; no npm package is needed.
  writeFileSync(join(dir, "deno.json"), JSON.stringify({ imports }, null, 2));
  writeFileSync(
    join(dir, "entries.ts"),
    specifiers.map((s, i) => `import * as entry${i} from ${JSON.stringify(s)};`).join("\n") +
      "\n" +
      specifiers.map((s, i) =>
        `if (Object.keys(entry${i}).length === 0) throw new Error(${
          JSON.stringify(s)
        } + " exports nothing");`
      ).join("\n") + `\nconsole.log("entries: ${specifiers.length} imported");\n`,
  );
  writeFileSync(
    join(dir, "readme_example.ts"),
    firstReadmeExample() + `\nconsole.log("readme example: ran");\n`,
  );
  console.log(deno(["run", "--no-lock", "-A", "entries.ts"], dir).trim());
  console.log(deno(["run", "--no-lock", "-A", "readme_example.ts"], dir).trim());
  console.log(`deno consumer check: ${files.length} published files, every entry point imports`);
} finally {
  if (process.argv.includes("--keep")) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
