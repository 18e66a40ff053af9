/**
 * The runtime adapter (runtime/): the selector picks this runtime's adapter,
 * environment variables, timers that let the process exit, atomic writes,
 * and the fallback for a runtime with no known APIs.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { runtime } from "../runtime/mod.ts";
import { webAdapter } from "../runtime/web.ts";

const GLOBALS = globalThis as { Deno?: unknown; Bun?: unknown };
const ON_BUN = typeof GLOBALS.Bun === "object";
const ON_DENO = typeof GLOBALS.Deno === "object";
/** The selector as a file URL a child process can import (the built `.js` outside Deno). */
const SELECTOR = new URL(ON_DENO ? "../runtime/mod.ts" : "../runtime/mod.js", import.meta.url).href;

/** Runs `body` (after importing the selector's exports) in a child of this runtime. */
async function runChild(
  body: string,
  denoFlags: string[] = ["-A"],
): Promise<{ code: number | null; stdout: string; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), "scales-runtime-"));
  const script = join(dir, ON_DENO ? "main.ts" : "main.mjs");
  writeFileSync(script, `import * as r from ${JSON.stringify(SELECTOR)};\n${body}\n`);
  const args = ON_DENO ? ["run", "--no-config", ...denoFlags, script] : [script];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk) => stdout += chunk);
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(killer);
  rmSync(dir, { recursive: true, force: true });
  return { code, stdout, ms: performance.now() - started };
}

describe("runtime()", () => {
  it("is this runtime's adapter, the same one on every call", () => {
    const adapter = runtime();
    assert.equal(adapter.name, ON_BUN ? "Bun" : ON_DENO ? "Deno" : "Node");
    assert.equal(runtime(), adapter);
  });

  it("reads an environment variable, and undefined for one that is not set", () => {
    process.env.SCALES_RUNTIME_TEST = "otel-like value";
    try {
      assert.equal(runtime().env("SCALES_RUNTIME_TEST"), "otel-like value");
    } finally {
      delete process.env.SCALES_RUNTIME_TEST;
    }
    assert.equal(runtime().env("SCALES_RUNTIME_TEST"), undefined);
  });

  it(
    "reads undefined for an environment variable it may not read (Deno without --allow-env)",
    { skip: !ON_DENO && "only Deno has permissions" },
    async () => {
      const { code, stdout } = await runChild(
        `console.log(JSON.stringify([r.runtime().env("HOME") ?? null, r.runtime().hostname() ?? null]));`,
        [`--allow-read`],
      );
      assert.equal(code, 0);
      assert.equal(stdout.trim(), "[null,null]");
    },
  );

  it("gives timers that do not keep the process alive", async () => {
    const { code, stdout, ms } = await runChild(
      `r.unrefInterval(() => {}, 1_000); r.unrefTimeout(() => console.log("fired"), 60_000); console.log("done");`,
    );
    assert.equal(code, 0);
    assert.equal(stdout, "done\n");
    assert.ok(ms < 15_000, `the child took ${ms} ms`);
  });

  it("writes a file atomically, async then sync, leaving no temporary file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scales-runtime-"));
    try {
      const path = join(dir, "dump.json");
      await runtime().writeFileAtomic(path, '{"a":1}');
      assert.equal(readFileSync(path, "utf8"), '{"a":1}');
      runtime().writeFileAtomicSync(path, '{"a":2}');
      assert.equal(readFileSync(path, "utf8"), '{"a":2}');
      assert.deepEqual(readdirSync(dir), ["dump.json"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects a write into a missing folder with the runtime's error, leaving nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scales-runtime-"));
    try {
      await assert.rejects(runtime().writeFileAtomic(join(dir, "no", "dump.json"), "{}"));
      assert.throws(() => runtime().writeFileAtomicSync(join(dir, "no", "dump.json"), "{}"));
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the fallback adapter (no Deno, Bun or Node APIs)", () => {
  it("names no runtime and reads nothing", () => {
    const web = webAdapter();
    assert.equal(web.name, "unknown");
    assert.equal(web.version, "");
    assert.equal(web.env("HOME"), undefined);
    assert.equal(web.hostname(), undefined);
    assert.equal(web.memory, undefined);
    assert.equal(web.cpu, undefined);
  });

  it("rejects listening, connecting and writing with an error saying what is missing", async () => {
    const web = webAdapter();
    const message = (what: string) =>
      `${what} needs Deno, Node (20.16 or later) or Bun; this runtime has none of them`;
    await assert.rejects(
      web.listen({ hostname: "127.0.0.1", port: 0, handler: () => new Response() }),
      { message: message("listening for HTTP") },
    );
    await assert.rejects(web.connect("127.0.0.1", 1), { message: message("a TCP connection") });
    await assert.rejects(web.writeFileAtomic("x.json", "{}"), {
      message: message("writing a file"),
    });
    assert.throws(() => web.writeFileAtomicSync("x.json", "{}"), {
      message: message("writing a file"),
    });
  });
});
