/**
 * The merged answer over 8 node:cluster workers × 1,000 stats, scales
 * (directory transport) and prom-client (`AggregatorRegistry`) side by side:
 * `deno run -A bench/workers_cluster_bench.ts`. Bundles the app for Node
 * with `deno bundle`, runs it once per library, prints the figures.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

// Inside the repository, so that the bundle resolves prom-client from its node_modules.
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(ROOT, ".cluster-bench-"));
try {
  const bundle = join(dir, "app.mjs");
  const app = fileURLToPath(new URL("./_workers_cluster_bench_app.ts", import.meta.url));
  const built = spawnSync(process.execPath, [
    "bundle",
    "--platform=node",
    "--external=prom-client",
    app,
    "-o",
    bundle,
  ], {
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(built.stderr);
  for (const mode of ["scales", "prom-client"]) {
    const run = spawnSync("node", [bundle], {
      encoding: "utf8",
      timeout: 300_000,
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: {
        ...process.env,
        MODE: mode,
        SCALES_DIR: join(tmpdir(), `scales-cluster-bench-${process.pid}`),
        NODE_PATH: fileURLToPath(new URL("../node_modules", import.meta.url)),
      },
    });
    console.log(run.stdout.trim(), run.stderr.trim());
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
