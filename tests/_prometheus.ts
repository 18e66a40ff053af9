/**
 * Test helpers for the viewer's Prometheus output: stats with fixed
 * snapshots (exact expected text), and the external binaries (`promtool`,
 * `prometheus`), which are skipped loudly when missing and required on CI.
 *
 * @module
 */

import {
  findNode,
  reset,
  type SnapshotValue,
  type StatCell,
  type StatKind,
  type StatSpec,
} from "@scales/core";

/** A stat whose snapshot is always `value` (or whose read throws `value` when it is an Error). */
export function FixedStat<N extends string>(
  name: N,
  type: string,
  kind: StatKind,
  value: SnapshotValue | Error,
): StatSpec<N, SnapshotValue> {
  return {
    name,
    type,
    kind,
    create: (): StatCell<SnapshotValue> => ({
      name,
      type,
      kind,
      aggregators: null,
      get() {
        if (value instanceof Error) throw value;
        return value;
      },
      set() {
        throw new TypeError(`${name} is fixed`);
      },
      snapshot() {
        if (value instanceof Error) throw value;
        return value;
      },
    }),
  };
}

/** A PmfStat-shaped snapshot with round numbers. */
export const PMF_SNAPSHOT = {
  count: 10,
  sum: 150,
  min: 1,
  max: 40,
  mean: 15,
  stddev: 5,
  median: 12,
  "75percentile": 20,
  "95percentile": 30,
  "98percentile": 35,
  "99percentile": 38,
  "999percentile": 40,
} as const;

/** A MeterStat-shaped snapshot with round numbers. */
export const METER_SNAPSHOT = {
  count: 42,
  m1: 1.5,
  m5: 1.25,
  m15: 1,
  mean: 2,
  unit: "per second",
} as const;

/** Whether `path` is an executable file. */
export async function hasBinary(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * The `skip` option for a test that needs `path`: `false` when it exists;
 * a reason (and a loud warning) when it is missing; and on CI
 * (`CI=true`) `false` anyway, so the test runs and fails.
 */
export async function skipUnless(path: string): Promise<string | false> {
  if (await hasBinary(path)) return false;
  if (Deno.env.get("CI") === "true") return false;
  const reason = `SKIPPED: ${path} is not installed (required when CI=true)`;
  console.warn(`\n*** ${reason} ***\n`);
  return reason;
}

/** Runs `promtool check metrics` on `text`; returns its exit code and output. */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("/usr/bin/promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/** A free loopback TCP port (bound then released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * `reset()`, then takes the library's own stats (`/scales`, such as the
 * Graphite pusher's counters) out of the tree, so that whole-tree outputs
 * in these tests hold only the stats the test made.
 */
export function resetToEmptyTree(): void {
  reset();
  findNode("/")?.children.delete("scales");
}
