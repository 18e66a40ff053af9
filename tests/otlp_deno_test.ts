import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { haveBinary } from "./_carbon.ts";
import { attributesOf, metricsOf, OtlpReceiver } from "./_otlp.ts";

const SERVICE = "scales-otlp-shared";

/** The library as this run has it: the sources under Deno, the built package under Node. */
function library(file: string): string {
  const ts = new URL(`../${file}.ts`, import.meta.url);
  return existsSync(fileURLToPath(ts)) ? ts.href : new URL(`../${file}.js`, import.meta.url).href;
}

/**
 * A Deno program with Deno's built-in telemetry on: an HTTP server (which
 * Deno instruments) counted in a scales tree as well, and an
 * OtlpPeriodicPusher made with no options, so that it reads the same OTEL_*
 * variables as Deno.
 */
function childProgram(): string {
  return `
import { collection, IntStat, PmfStat } from ${JSON.stringify(library("mod"))};
import { OtlpPeriodicPusher } from ${JSON.stringify(library("otlp/mod"))};
const stats = collection("/http/server", IntStat("requests"), PmfStat("durationSeconds"));
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
  const started = performance.now();
  stats.requests += 1;
  stats.durationSeconds.add((performance.now() - started) / 1000);
  return new Response("ok");
});
const pusher = new OtlpPeriodicPusher().start();
for (let i = 0; i < 5; i++) await (await fetch("http://127.0.0.1:" + server.addr.port + "/")).text();
await new Promise((resolve) => setTimeout(resolve, 900));
await pusher.stop();
await server.shutdown();
`;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: "inherit" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

const DENO = process.versions.deno !== undefined ? process.execPath : "deno";
const skip = process.versions.deno !== undefined || haveBinary("deno")
  ? false
  : "SKIPPED: deno is not on the PATH";

describe("OTLP next to Deno's built-in telemetry (OTEL_DENO=true)", () => {
  it("shares one endpoint and one service.name with Deno's metrics, without clashing names", {
    skip,
  }, async () => {
    const receiver = await new OtlpReceiver().up();
    const dir = mkdtempSync(join(tmpdir(), "scales-otlp-deno-"));
    try {
      const program = join(dir, "main.ts");
      writeFileSync(program, childProgram());
      const code = await run(DENO, ["run", "-A", "--no-config", program], {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_SERVICE_NAME: SERVICE,
        OTEL_METRIC_EXPORT_INTERVAL: "200",
      });
      assert.equal(code, 0);
      assert.deepEqual(receiver.failures, []);
      const ours = new Set<string>();
      const theirs = new Set<string>();
      const services = new Set<unknown>();
      for (const { request } of receiver.received) {
        for (const rm of request.resourceMetrics ?? []) {
          services.add(attributesOf(rm.resource?.attributes)["service.name"]);
          for (const sm of rm.scopeMetrics ?? []) {
            const names = sm.scope?.name === "@scales/core" ? ours : theirs;
            for (const metric of sm.metrics ?? []) names.add(metric.name);
          }
        }
      }
      assert.deepEqual([...services], [SERVICE], "one service.name for both");
      assert.ok(ours.has("http.server.requests"), `ours: ${[...ours]}`);
      assert.ok(ours.has("http.server.durationSeconds"));
      // Deno 2.9 exports metrics of its own: the HTTP server's and V8's.
      assert.ok(theirs.has("http.server.request.duration"), `Deno's: ${[...theirs]}`);
      assert.deepEqual([...ours].filter((name) => theirs.has(name)), [], "no name in both");
      const requests = receiver.received.flatMap((r) => metricsOf(r.request))
        .filter((m) => m.name === "http.server.requests")
        .map((m) => m.sum!.dataPoints[0].asInt);
      assert.equal(requests.at(-1), "5");
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await receiver.down();
    }
  });
});
