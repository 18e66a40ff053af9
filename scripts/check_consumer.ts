/**
 * Checks the built package the way a Node user gets it: `npm pack` of `npm/`,
 * installed into a fresh project in a temporary directory, then
 *
 * 1. imported from an ES module, every entry point;
 * 2. required from CommonJS (the package is ESM only; Node 20.19+ and 22.12+
 *    load it with `require()` unflagged, through the `default` condition);
 * 3. type-checked from a TypeScript consumer (`.mts` and `.cts`) with
 *    `tsc --noEmit` under `module`/`moduleResolution: "nodenext"`, with
 *    `skipLibCheck: false` so the package's `.d.ts` files are checked too;
 * 4. when the package has `./http`: a tiny node:http server that serves the
 *    viewer is started and its `?format=json` answer is fetched and checked.
 *
 * Run `deno task build:npm` first, then `deno run -A scripts/check_consumer.ts`
 * (add `--keep` to keep the temporary project).
 *
 * @module
 */

import process from "node:process";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const NPM = join(ROOT, "npm");

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, unknown>;
}

function run(command: string, args: string[], options: SpawnSyncOptions = {}): void {
  console.log(`$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status}`);
  }
}

/** The entry points the consumer imports: every export but `./package.json`. */
function specifiers(pkg: PackageJson): string[] {
  return Object.keys(pkg.exports)
    .filter((key) => key !== "./package.json")
    .map((key) => key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`);
}

const ESM_CONSUMER = (names: string[]) => `
import assert from "node:assert/strict";
import * as scales from "@scales/core";
${names.map((name, i) => `import * as entry${i} from ${JSON.stringify(name)};`).join("\n")}

${
  names.map((name, i) => `assert.ok(Object.keys(entry${i}).length > 0, ${JSON.stringify(name)});`)
    .join("\n")
}
scales.reset();
const STATS = scales.collection("/web", scales.IntStat("errors"), scales.IntStat("success"));
STATS.success += 1;
assert.deepEqual(scales.getStats()?.web, { errors: 0, success: 1 });
console.log("esm consumer: ok, imported " + ${JSON.stringify(names.join(", "))});
`;

const CJS_CONSUMER = (names: string[]) => `
const assert = require("node:assert/strict");
const scales = require("@scales/core");
${
  names.map((name) => `assert.ok(Object.keys(require(${JSON.stringify(name)})).length > 0);`).join(
    "\n",
  )
}
scales.reset();
const STATS = scales.collection("/web", scales.IntStat("errors"), scales.IntStat("success"));
STATS.success += 1;
assert.deepEqual(scales.getStats()?.web, { errors: 0, success: 1 });
console.log("cjs consumer: ok, required " + ${JSON.stringify(names.join(", "))});
`;

const TS_CONSUMER = (names: string[]) => `
import * as scales from "@scales/core";
${names.map((name, i) => `import * as entry${i} from ${JSON.stringify(name)};`).join("\n")}

${names.map((_, i) => `void entry${i};`).join("\n")}
const STATS = scales.collection("/web", scales.IntStat("errors"), scales.IntStat("success"));
STATS.success += 1;
const errors: number = STATS.errors;
const snapshot: scales.Snapshot | undefined = scales.getStats();
// @ts-expect-error: an IntStat holds numbers
STATS.errors = "many";
export { errors, snapshot };
`;

/**
 * The viewer servers: `serveInBackground` (the node:http seam), and the
 * statsHandler mounted in an existing node:http server with toNodeListener,
 * as the README's Node section shows (keep the two the same).
 */
const SERVER = `
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { collection, IntStat, reset } from "@scales/core";
import { serveInBackground, statsHandler, toNodeListener } from "@scales/core/http";

reset();
const STATS = collection("/web", IntStat("errors"), IntStat("success"));
STATS.success += 3;

// 1. The viewer on its own port.
{
  const server = await serveInBackground(0, { serverName: "consumer-check" });
  try {
    const response = await fetch(\`\${server.url}?format=json\`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /json/);
    const body = await response.json();
    assert.equal(body.web.success, 3);
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /consumer-check/);
    console.log("serveInBackground: ok, ?format=json answered " + JSON.stringify(body));
  } finally {
    await server.shutdown();
  }
}

// 2. The viewer mounted in an existing node:http server (the README's toNodeListener).
const stats = toNodeListener(statsHandler({ serverName: "my-app" })); // /status/ and /metrics
const isStats = (url = "/") => url.startsWith("/status/") || url.startsWith("/metrics");

const app = createServer((req, res) => {
  if (isStats(req.url)) return void stats(req, res);
  res.end("hello from the app\\n");
});
await new Promise((resolve) => app.listen(0, "127.0.0.1", resolve));
const base = \`http://127.0.0.1:\${app.address().port}\`;
try {
  const json = await fetch(\`\${base}/status/web?format=json\`);
  assert.equal(json.status, 200);
  assert.deepEqual(await json.json(), { errors: 0, success: 3 });
  const page = await fetch(\`\${base}/status/\`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /my-app/);
  const metrics = await fetch(\`\${base}/metrics\`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /success/);
  assert.equal(await (await fetch(\`\${base}/\`)).text(), "hello from the app\\n");
  console.log("node:http mount: ok, /status/web?format=json, /status/ and /metrics answered");
} finally {
  app.close();
}
`;

/** Runs the check; throws on the first failure. */
export function main(): void {
  if (!existsSync(join(NPM, "package.json"))) {
    throw new Error("npm/ is not built: run `deno task build:npm` first");
  }
  const pkg: PackageJson = JSON.parse(readFileSync(join(NPM, "package.json"), "utf8"));
  const keep = process.argv.includes("--keep");
  const dir = mkdtempSync(join(tmpdir(), "scales-consumer-"));
  let ok = false;
  try {
    run("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: NPM });
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    if (!tarball) throw new Error("npm pack wrote no tarball");
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "scales-consumer", private: true, type: "module" }, null, 2) + "\n",
    );
    // The package has no dependencies, so this install needs no network.
    run("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--offline",
      `./${tarball}`,
    ], { cwd: dir });

    const names = specifiers(pkg);
    writeFileSync(join(dir, "consumer.mjs"), ESM_CONSUMER(names));
    run("node", ["consumer.mjs"], { cwd: dir });

    writeFileSync(join(dir, "consumer.cjs"), CJS_CONSUMER(names));
    run("node", ["consumer.cjs"], { cwd: dir });

    writeFileSync(join(dir, "consumer.mts"), TS_CONSUMER(names));
    writeFileSync(join(dir, "consumer.cts"), TS_CONSUMER(names));
    run("node", [
      join(ROOT, "node_modules", "typescript", "bin", "tsc"),
      "--noEmit",
      "--strict",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--lib",
      "es2023",
      "--types",
      "node",
      "--typeRoots",
      join(ROOT, "node_modules", "@types"),
      "--skipLibCheck",
      "false",
      "consumer.mts",
      "consumer.cts",
    ], { cwd: dir });
    console.log("ts consumer: ok, consumer.mts and consumer.cts type-check under nodenext");

    if ("./http" in pkg.exports) {
      writeFileSync(join(dir, "server.mjs"), SERVER);
      run("node", ["server.mjs"], { cwd: dir, timeout: 60_000 });
    } else {
      console.log("viewer server: skipped, the package has no ./http export yet");
    }
    ok = true;
    console.log(`check_consumer: ${pkg.name}@${pkg.version} works for a Node consumer`);
  } finally {
    if (keep || !ok) console.log(`check_consumer: project kept at ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  try {
    main();
  } catch (error) {
    console.error(`check_consumer: FAILED: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  }
}
