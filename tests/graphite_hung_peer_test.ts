/**
 * The Graphite pusher's real runtime seam (`Deno.connect` / `node:net`)
 * against a peer that never answers a connect: a loopback listener whose
 * accept queue is full, so the kernel drops further SYNs. Once a push has
 * given up, nothing of the pusher may keep the process alive.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { skipUnless, stopProcess } from "./_system.ts";

const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno === "object";
const GRAPHITE = import.meta.resolve("@scales/core/graphite");
const PYTHON = "/usr/bin/python3";

/** A listener with a full accept queue that never accepts: connects to it hang. */
const BLACKHOLE = `
import socket, sys, time
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(0)
port = server.getsockname()[1]
fillers = []
for _ in range(4):
    filler = socket.socket()
    filler.setblocking(False)
    try:
        filler.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fillers.append(filler)
time.sleep(0.3)
print(port, flush=True)
time.sleep(60)
`;

function startBlackhole(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ["-c", BLACKHOLE], { stdio: ["ignore", "pipe", "inherit"] });
    child.once("error", reject);
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve({ child, port: Number(out.trim()) });
    });
  });
}

describe(
  "GraphitePusher against a peer that never answers",
  { skip: await skipUnless(PYTHON) },
  () => {
    it("lets the process exit soon after a push gave up connecting", async () => {
      const { child: blackhole, port } = await startBlackhole();
      const dir = mkdtempSync(join(tmpdir(), "scales-hung-"));
      try {
        const script = join(dir, IS_DENO ? "main.ts" : "main.mjs");
        writeFileSync(
          script,
          `import { GraphitePusher } from ${JSON.stringify(GRAPHITE)};
const pusher = new GraphitePusher("127.0.0.1", ${port}, "app", { connectTimeoutMs: 300 });
console.log(await pusher.push({ x: 1 }));
`,
        );
        const args = IS_DENO ? ["run", "--no-config", "-A", script] : [script];
        const started = Date.now();
        const child = spawn(process.execPath, args, {
          cwd: dir,
          stdio: ["ignore", "pipe", "ignore"],
        });
        let stdout = "";
        child.stdout!.on("data", (chunk) => stdout += chunk);
        const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        clearTimeout(killer);
        const took = Date.now() - started;
        assert.equal(stdout, "false\n");
        assert.equal(code, 0);
        assert.ok(took < 8_000, `the process lived ${took} ms after a 300 ms connect timeout`);
      } finally {
        await stopProcess(blackhole, 1_000);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
