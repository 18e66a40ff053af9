/**
 * collectRuntimeStats: the stats it publishes on this runtime, their values,
 * the Prometheus names they map to, idempotence, options, stop() and reset().
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  collection,
  collectRuntimeStats,
  findNode,
  getStats,
  IntStat,
  type PmfSnapshot,
  reset,
} from "@scales/core";
import { toPrometheusText } from "@scales/core/http";

const GLOBALS = globalThis as {
  Deno?: { version: { deno: string } };
  Bun?: { version: string };
  process?: { version: string };
};
const ON_BUN = typeof GLOBALS.Bun === "object";
const ON_DENO = typeof GLOBALS.Deno === "object";
const ON_NODE = !ON_BUN && !ON_DENO;

/** What the `runtime` stat must say here, from the runtime's own version global. */
const RUNTIME_NAME = ON_BUN
  ? `Bun ${GLOBALS.Bun!.version}`
  : ON_DENO
  ? `Deno ${GLOBALS.Deno!.version.deno}`
  : `Node ${GLOBALS.process!.version}`;

const COMMON = [
  "runtime",
  "startTimeSeconds",
  "uptimeSeconds",
  "residentMemoryBytes",
  "heapUsedBytes",
  "heapTotalBytes",
  "externalMemoryBytes",
  "cpuUserSecondsTotal",
  "cpuSystemSecondsTotal",
  "eventLoopDelaySeconds",
];
/** Deno 2.9 and Bun 1.4 have no working event-loop utilization and report no GC entries. */
const EXPECTED = ON_NODE ? [...COMMON, "eventLoopUtilization", "gcDurationSeconds"] : COMMON;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps the event loop busy for `ms` milliseconds. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

describe("collectRuntimeStats", () => {
  afterEach(() => reset());

  it("publishes this runtime's stats under /process, in order", () => {
    const runtime = collectRuntimeStats();
    assert.deepEqual(runtime.stats, EXPECTED);
    assert.deepEqual(Object.keys(getStats("/process")!), EXPECTED);
    assert.equal(runtime.path, "/process");
    assert.equal(runtime.resolutionMs, 100);
  });

  it("names the runtime and its version: Bun 1.4.5, Deno 2.9.6 or Node v20.20.2", () => {
    const runtime = collectRuntimeStats();
    assert.equal(runtime.runtime, RUNTIME_NAME);
    assert.match(
      runtime.runtime,
      ON_BUN ? /^Bun \d+\.\d+\.\d+$/ : ON_DENO ? /^Deno \d+\.\d+\.\d+$/ : /^Node v\d+\.\d+\.\d+$/,
    );
    assert.equal(getStats("/process")!.runtime, runtime.runtime);
  });

  it("reads memory, CPU time, start time and uptime as plausible numbers", () => {
    collectRuntimeStats();
    const stats = getStats("/process")!;
    const rss = stats.residentMemoryBytes as number;
    assert.ok(Number.isInteger(rss) && rss > 1_000_000, `rss ${rss}`);
    const used = stats.heapUsedBytes as number;
    const total = stats.heapTotalBytes as number;
    assert.ok(used > 0 && used <= total, `heap used ${used}, total ${total}`);
    assert.ok((stats.externalMemoryBytes as number) >= 0);
    assert.ok((stats.cpuUserSecondsTotal as number) > 0);
    assert.ok((stats.cpuSystemSecondsTotal as number) >= 0);
    const start = stats.startTimeSeconds as number;
    assert.ok(Math.abs(start - performance.timeOrigin / 1000) < 0.002, `start ${start}`);
    const uptime = stats.uptimeSeconds as number;
    assert.ok(Math.abs(uptime - performance.now() / 1000) < 0.1, `uptime ${uptime}`);
  });

  it("counts CPU seconds that grow while the process works", async () => {
    collectRuntimeStats();
    const before = getStats("/process")!.cpuUserSecondsTotal as number;
    // Busy slices of 100 ms until 50 ms of CPU show (on a loaded machine a
    // slice of wall time may get only part of a core), at most 3 s of them.
    let after = before;
    for (let slice = 0; slice < 30 && after - before < 0.05; slice++) {
      block(100);
      await sleep(60); // past the 50 ms during which a reading is reused
      after = getStats("/process")!.cpuUserSecondsTotal as number;
    }
    assert.ok(after - before >= 0.05, `user CPU grew by ${after - before} s`);
  });

  it("records a stalled event loop in eventLoopDelaySeconds", async () => {
    collectRuntimeStats({ resolutionMs: 10 });
    await sleep(30);
    block(150);
    await sleep(30);
    const delay = getStats("/process")!.eventLoopDelaySeconds as unknown as PmfSnapshot;
    assert.ok(delay.count >= 2, `count ${delay.count}`);
    assert.ok(delay.max >= 0.12 && delay.max < 1, `max ${delay.max} s`);
  });

  it("maps to the conventional Prometheus names and types", () => {
    collectRuntimeStats();
    const text = toPrometheusText(findNode("/")!);
    for (
      const line of [
        "# TYPE process_start_time_seconds gauge",
        "# TYPE process_uptime_seconds gauge",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE nodejs_heap_size_used_bytes gauge",
        "# TYPE nodejs_heap_size_total_bytes gauge",
        "# TYPE nodejs_external_memory_bytes gauge",
        "# TYPE process_cpu_user_seconds_total counter",
        "# TYPE process_cpu_system_seconds_total counter",
        "# TYPE nodejs_eventloop_lag_seconds summary",
      ]
    ) assert.ok(text.includes(`${line}\n`), `missing ${line}`);
    assert.ok(!text.includes("process_runtime"), "the runtime name is text, not exported");
  });

  it("returns the running collector when called again with the same options", () => {
    const runtime = collectRuntimeStats();
    assert.equal(collectRuntimeStats(), runtime);
    assert.equal(collectRuntimeStats({ path: "/process/", resolutionMs: 100 }), runtime);
  });

  it("refuses other options while a collector runs, naming both", () => {
    collectRuntimeStats();
    assert.throws(() => collectRuntimeStats({ path: "/runtime" }), {
      name: "TypeError",
      message:
        "collectRuntimeStats is already running at /process every 100 ms; call stop() on it before starting one at /runtime every 100 ms",
    });
  });

  it("rejects a resolution below 1 ms, naming it", () => {
    assert.throws(() => collectRuntimeStats({ resolutionMs: 0.5 }), {
      name: "TypeError",
      message:
        "collectRuntimeStats resolutionMs must be a finite number of milliseconds, at least 1, got 0.5",
    });
  });

  it("publishes under another path when asked", () => {
    const runtime = collectRuntimeStats({ path: "/app/runtime" });
    assert.equal(runtime.path, "/app/runtime");
    assert.deepEqual(Object.keys(getStats("/app/runtime")!), EXPECTED);
    assert.equal(getStats("/process"), undefined);
  });

  it("refuses to set a CPU counter, naming it and the value", () => {
    collectRuntimeStats();
    const cell = findNode("/process")!.cells.get("cpuUserSecondsTotal")!;
    assert.throws(() => cell.set(5), {
      name: "TypeError",
      message: "/process/cpuUserSecondsTotal is read from the runtime and cannot be set, got 5",
    });
  });

  it("stop() stops sampling and removes /process", async () => {
    const runtime = collectRuntimeStats({ resolutionMs: 5 });
    const delay = findNode("/process")!.cells.get("eventLoopDelaySeconds")!.get() as {
      count: number;
    };
    await sleep(30);
    runtime.stop();
    const count = delay.count;
    await sleep(40);
    assert.equal(delay.count, count);
    assert.equal(runtime.stopped, true);
    assert.equal(getStats("/process"), undefined);
    runtime.stop(); // again: nothing
  });

  it("stop() leaves other stats in the container", () => {
    const runtime = collectRuntimeStats();
    collection("/process", IntStat("restarts")).restarts = 2;
    runtime.stop();
    assert.deepEqual(getStats("/process"), { restarts: 2 });
  });

  it("starts afresh after stop()", () => {
    const first = collectRuntimeStats();
    first.stop();
    const second = collectRuntimeStats({ resolutionMs: 50 });
    assert.notEqual(second, first);
    assert.equal(second.resolutionMs, 50);
  });

  it("is stopped by `using` at the end of the block", () => {
    {
      using _runtime = collectRuntimeStats();
      assert.notEqual(getStats("/process"), undefined);
    }
    assert.equal(getStats("/process"), undefined);
  });

  it("is stopped by reset()", () => {
    const runtime = collectRuntimeStats();
    reset();
    assert.equal(runtime.stopped, true);
    assert.notEqual(collectRuntimeStats(), runtime);
  });

  it(
    "records GC pauses by kind on Node",
    { skip: ON_DENO ? "Deno reports no GC entries" : ON_BUN && "Bun reports no GC entries" },
    async () => {
      collectRuntimeStats();
      let garbage: unknown[] = [];
      for (let round = 0; round < 20; round++) {
        garbage = Array.from({ length: 100_000 }, (_, i) => ({ i }));
        await sleep(5);
      }
      assert.ok(garbage.length > 0);
      await sleep(50); // GC entries reach observers asynchronously
      const gc = getStats("/process")!.gcDurationSeconds as unknown as Record<string, PmfSnapshot>;
      assert.ok(gc.minor !== undefined && gc.minor.count > 0, JSON.stringify(Object.keys(gc)));
      assert.ok(gc.minor.max > 0 && gc.minor.max < 1, `minor max ${gc.minor.max} s`);
    },
  );

  it(
    "reads event-loop utilization between 0 and 1 on Node",
    {
      skip: ON_DENO
        ? "Deno's eventLoopUtilization always answers 0"
        : ON_BUN && "Bun's eventLoopUtilization always answers 0",
    },
    () => {
      collectRuntimeStats();
      const value = getStats("/process")!.eventLoopUtilization as number;
      assert.ok(value >= 0 && value <= 1, `utilization ${value}`);
    },
  );
});
