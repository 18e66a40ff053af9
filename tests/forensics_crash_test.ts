/**
 * Crash forensics in a real child process: after an uncaught error, an
 * unhandled rejection or SIGTERM, the dump file is valid JSON holding the
 * last stats.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

const MOD = new URL("../mod.ts", import.meta.url).href;
const FORENSICS = new URL("../forensics/mod.ts", import.meta.url).href;

/** Runs `body` in a child `deno run` with a dumper on `stats.json`; returns the dump and status. */
async function runChild(
  body: string,
  signal?: "SIGTERM",
): Promise<{ code: number; dump: Record<string, unknown>; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "scales-crash-" });
  const path = join(dir, "stats.json");
  await Deno.writeTextFile(
    join(dir, "main.ts"),
    `import { collection, IntStat } from ${JSON.stringify(MOD)};
import { PeriodicFileDumper } from ${JSON.stringify(FORENSICS)};
const STATS = collection("/app", IntStat("requests"), IntStat("step"));
const dumper = new PeriodicFileDumper(${JSON.stringify(path)}, { periodMs: 60_000 });
await dumper.start();
STATS.requests = 41;
${body}
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "-A", join(dir, "main.ts")],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (signal !== undefined) {
    // Wait for the child to say it is ready, then signal it.
    const reader = child.stdout.getReader();
    let seen = "";
    const deadline = Date.now() + 20_000;
    while (!seen.includes("ready") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    child.kill(signal);
  }
  const output = await child.output();
  const dump = JSON.parse(await Deno.readTextFile(path));
  await Deno.remove(dir, { recursive: true });
  return { code: output.code, dump, stderr: new TextDecoder().decode(output.stderr) };
}

describe("PeriodicFileDumper at a crash", () => {
  it("holds the last stats after an uncaught error", async () => {
    const { code, dump, stderr } = await runChild(
      `setTimeout(() => { STATS.requests = 42; STATS.step = 1; throw new Error("boom"); }, 20);`,
    );
    assert.notEqual(code, 0);
    assert.match(stderr, /boom/);
    assert.deepEqual(dump.app, { requests: 42, step: 1 });
    assert.equal(typeof dump["last-updated"], "string");
  });

  it("holds the last stats after an unhandled rejection", async () => {
    const { code, dump } = await runChild(
      `setTimeout(() => { STATS.requests = 43; Promise.reject(new Error("nope")); }, 20);`,
    );
    assert.notEqual(code, 0);
    assert.deepEqual(dump.app, { requests: 43, step: 0 });
  });

  it("holds the last stats after SIGTERM, and exits with 143", async () => {
    const { code, dump } = await runChild(
      `STATS.requests = 44;
const keepAlive = setInterval(() => {}, 1000);
console.log("ready");`,
      "SIGTERM",
    );
    assert.equal(code, 143);
    assert.deepEqual(dump.app, { requests: 44, step: 0 });
  });

  it("holds the last stats after a normal exit", async () => {
    const { code, dump } = await runChild(`STATS.requests = 45;`);
    assert.equal(code, 0);
    assert.deepEqual(dump.app, { requests: 45, step: 0 });
  });
});
