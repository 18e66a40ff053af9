/**
 * What `collectRuntimeStats()` costs an idle process: CPU time of a process
 * that does nothing for a fixed period, without the collector and with it at
 * several event-loop resolutions, on Deno and (when `npm/` is built) Node.
 *
 * ```sh
 * deno run -A bench/runtime_cost.ts                    # 3 trials of 20 s per setting
 * deno run -A bench/runtime_cost.ts --seconds 30 --trials 5 --runtime deno
 * ```
 *
 * Each trial is a fresh child process: it starts the collector (or not),
 * waits one second to settle, reads its own CPU time (`process.cpuUsage()`,
 * user + system), sleeps for the period on one timer, and reads it again.
 * Two children run at a time, one without and one with the collector, so
 * load from elsewhere on the machine hits both alike. The figure is the
 * median CPU time per second of wall time, in percent of one core; the
 * collector's cost is the difference from the median without it. Not a
 * unit test: the numbers depend on the machine.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The child: `resolution` 0 means no collector. Prints `{ cpuMs, wallMs }`. */
function childSource(moduleUrl: string, resolution: number, seconds: number): string {
  return `
import process from "node:process";
import { collectRuntimeStats } from ${JSON.stringify(moduleUrl)};
if (${resolution} > 0) collectRuntimeStats({ resolutionMs: ${resolution} });
await new Promise((resolve) => setTimeout(resolve, 1000));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await new Promise((resolve) => setTimeout(resolve, ${seconds * 1000}));
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0 }));
`;
}

type Runtime = "deno" | "node";

function command(runtime: Runtime, source: string): [string, string[]] {
  return runtime === "deno"
    ? [process.execPath, ["eval", "--quiet", source]]
    : ["node", ["--input-type=module", "-e", source]];
}

function moduleUrl(runtime: Runtime): string {
  const file = runtime === "deno"
    ? join(ROOT, "src", "runtime_stats.ts")
    : join(ROOT, "npm", "src", "runtime_stats.js");
  return pathToFileURL(file).href;
}

/** Runs one child; resolves with its CPU percent of one core over the period. */
function trial(runtime: Runtime, resolution: number, seconds: number): Promise<number> {
  const [cmd, args] = command(runtime, childSource(moduleUrl(runtime), resolution, seconds));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    const limit = setTimeout(() => child.kill("SIGKILL"), (seconds + 30) * 1000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(limit);
      if (code !== 0) return reject(new Error(`${cmd} child exited with ${code}: ${out}`));
      const { cpuMs, wallMs } = JSON.parse(out.trim().split("\n").pop()!);
      resolve((cpuMs / wallMs) * 100);
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1] ?? fallback;
}

const seconds = Number(option("seconds", "20"));
const trials = Number(option("trials", "3"));
const which = option("runtime", "both");
const resolutions = option("resolutions", "100,50,20").split(",").map(Number);
const runtimes: Runtime[] = [];
if (which === "deno" || which === "both") runtimes.push("deno");
if (which === "node" || which === "both") {
  if (existsSync(join(ROOT, "npm", "src", "runtime_stats.js"))) runtimes.push("node");
  else console.log("node: skipped, npm/ is not built (deno task build:npm)");
}

for (const runtime of runtimes) {
  const off: number[] = [];
  const on = new Map<number, number[]>(resolutions.map((r) => [r, []]));
  for (let i = 0; i < trials; i++) {
    for (const resolution of resolutions) {
      const [without, withIt] = await Promise.all([
        trial(runtime, 0, seconds),
        trial(runtime, resolution, seconds),
      ]);
      off.push(without);
      on.get(resolution)!.push(withIt);
    }
  }
  const base = median(off);
  console.log(
    `${runtime}: ${
      trials * resolutions.length
    } idle trials of ${seconds} s without the collector: ` +
      `median ${base.toFixed(4)}% of one core (${off.map((v) => v.toFixed(4)).join(", ")})`,
  );
  for (const [resolution, values] of on) {
    const m = median(values);
    console.log(
      `${runtime}: with the collector, resolutionMs ${resolution}: median ${m.toFixed(4)}% ` +
        `(${values.map((v) => v.toFixed(4)).join(", ")}); cost ${
          (m - base).toFixed(4)
        }% of one core`,
    );
  }
}
