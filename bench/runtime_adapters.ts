/**
 * Which API the Bun adapter should use: Bun's own or its `node:*`, measured
 * in one run under Bun. Run with
 * `node_modules/@oven/bun-linux-x64/bin/bun bench/runtime_adapters.ts`.
 *
 * - listen: the stats viewer (`statsHandler`, 200 stats, `?format=json`)
 *   served by `Bun.serve` and by `node:http` + `toNodeListener`, loaded by
 *   autocannon (under Node, 16 connections, 5 s, each twice, alternating).
 * - connect: 64 MiB in 64 KiB writes through a `Connection` (as the
 *   Graphite pusher writes) to a sink in another process, by `Bun.connect`
 *   and by `node:net`; then 300 sequential connect + close.
 * - file write: 300 atomic writes (temporary file + rename) of a 200 KB
 *   JSON dump, with `Bun.write` and with `node:fs/promises` `writeFile`.
 *
 * Results and the choices they led to: bench/README.md, "Runtime adapters".
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { collection, IntStat, PmfStat } from "../mod.ts";
import { statsHandler } from "../http/mod.ts";
import type { Connection, Listener, ListenOptions } from "../runtime/adapter.ts";
import { bunListen } from "../runtime/bun.ts";
import { nodeAdapter } from "../runtime/node.ts";

interface BunGlobal {
  readonly version: string;
  write(path: string, data: string): Promise<number>;
  connect(
    options: { hostname: string; port: number; socket: BunSocketHandler },
  ): Promise<BunSocket>;
}

const bunGlobal = (globalThis as { Bun?: BunGlobal }).Bun!;
if (bunGlobal === undefined) throw new Error("run this under Bun");
const bun = bunGlobal;
const node = nodeAdapter();

// The measured alternative to node:net, not shipped: a Connection over Bun.connect.

interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  unref(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}

interface BunSocketHandler {
  open?(socket: BunSocket): void;
  data?(socket: BunSocket, data: Uint8Array): void;
  drain?(socket: BunSocket): void;
  close?(socket: BunSocket, error?: Error): void;
  end?(socket: BunSocket): void;
  error?(socket: BunSocket, error: Error): void;
  connectError?(socket: BunSocket, error: Error): void;
}

/** A `Bun.connect` socket: writes what the kernel takes now, or waits for `drain`. */
class BunConnection implements Connection {
  #socket: BunSocket | undefined;
  #closed = false;
  /** Wakes a write waiting for `drain` (or for the close that ends it). */
  #wake: (() => void) | undefined;

  attach(socket: BunSocket): void {
    this.#socket = socket;
    socket.unref();
    socket.setNoDelay?.(true);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Called by the socket handler on `drain`, `close`, `end` and `error`. */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async write(bytes: Uint8Array): Promise<number> {
    for (;;) {
      if (this.#closed || this.#socket === undefined) throw new Error("connection is closed");
      const written = this.#socket.write(bytes);
      if (written > 0) return written;
      if (written < 0) {
        this.close();
        throw new Error("connection is closed");
      }
      // Nothing fit: the kernel buffer is full. Wait for room (or a close).
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket?.terminate();
    } catch {
      // Already closed.
    }
    this.wake();
  }
}

/** `Bun.connect`; an abort while connecting rejects at once and closes the socket when it opens. */
function bunConnect(host: string, port: number, signal?: AbortSignal): Promise<Connection> {
  signal?.throwIfAborted();
  const connection = new BunConnection();
  const gone = () => connection.close();
  const connecting = bunGlobal.connect({
    hostname: host,
    port,
    socket: {
      // The peers this serves (Graphite) never send anything: discard it.
      data() {},
      drain: () => connection.wake(),
      end: gone,
      close: gone,
      error: gone,
    },
  });
  return new Promise<Connection>((resolve, reject) => {
    const onAbort = () => reject(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    connecting.then(
      (socket) => {
        signal?.removeEventListener("abort", onAbort);
        connection.attach(socket);
        if (signal?.aborted) connection.close();
        resolve(connection);
      },
      (error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// --- listen -------------------------------------------------------------

for (let i = 0; i < 100; i++) {
  const stats = collection(`/bench/s${i}`, IntStat("hits"), PmfStat("latency"));
  stats.hits = i;
  stats.latency.add(i);
}
const handler = statsHandler();

async function load(
  name: string,
  listen: (options: ListenOptions) => Promise<Listener>,
): Promise<void> {
  const listener = await listen({ hostname: "127.0.0.1", port: 0, handler });
  const url = `http://127.0.0.1:${listener.addr.port}/status/?format=json`;
  const cpu0 = cpuMs();
  const child = spawn("node", [
    "node_modules/autocannon/autocannon.js",
    "-c",
    "16",
    "-d",
    "5",
    "-j",
    url,
  ], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout.on("data", (chunk) => out += chunk);
  await new Promise((resolve) => child.on("close", resolve));
  const cpu = cpuMs() - cpu0;
  const result = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  console.log(
    `listen ${name.padEnd(10)} ${
      result.requests.average.toFixed(0).padStart(6)
    } req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  server CPU ${
      (cpu / result.requests.total * 1000).toFixed(0)
    } µs/req  errors ${result.errors + result.non2xx}`,
  );
  await listener.shutdown();
}

for (let round = 0; round < 2; round++) {
  await load("Bun.serve", bunListen);
  await load("node:http", node.listen);
}

// --- connect --------------------------------------------------------------

const SINK = `
const server = require("node:net").createServer((s) => { s.on("data", () => {}); s.on("error", () => {}); });
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;
const sink = spawn("node", ["-e", SINK], { stdio: ["ignore", "pipe", "inherit"] });
const sinkPort = await new Promise<number>((resolve) =>
  sink.stdout.once("data", (chunk) => resolve(Number(String(chunk).trim())))
);

async function writeAll(connection: Connection, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await connection.write(bytes.subarray(offset));
}

type Connect = (host: string, port: number) => Promise<Connection>;

async function stream(name: string, connect: Connect): Promise<void> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const connection = await connect("127.0.0.1", sinkPort);
  const cpu0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < 1024; i++) await writeAll(connection, chunk);
  const ms = performance.now() - t0;
  const cpu = cpuMs() - cpu0;
  connection.close();
  console.log(
    `connect ${name.padEnd(11)} 64 MiB in ${ms.toFixed(0)} ms (${
      (64 / (ms / 1000)).toFixed(0)
    } MiB/s), CPU ${cpu.toFixed(0)} ms`,
  );
}

async function churn(name: string, connect: Connect): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < 300; i++) (await connect("127.0.0.1", sinkPort)).close();
  const ms = performance.now() - t0;
  console.log(`connect ${name.padEnd(11)} ${(ms / 300 * 1000).toFixed(0)} µs per connect + close`);
}

for (let round = 0; round < 2; round++) {
  await stream("Bun.connect", bunConnect);
  await stream("node:net", node.connect);
}
for (let round = 0; round < 2; round++) {
  await churn("Bun.connect", bunConnect);
  await churn("node:net", node.connect);
}
sink.kill();

// --- file write -------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), "scales-bench-"));
const text = JSON.stringify(
  Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`stat-${i}`, { value: i * 1.5 }])),
  null,
  2,
);

async function writes(name: string, write: (path: string, text: string) => Promise<unknown>) {
  const target = join(dir, "dump.json");
  const t0 = performance.now();
  const cpu0 = cpuMs();
  for (let i = 0; i < 300; i++) {
    const temporary = `${target}.tmp-${i}`;
    await write(temporary, text);
    await rename(temporary, target);
  }
  const ms = performance.now() - t0;
  console.log(
    `write ${name.padEnd(13)} ${(ms / 300 * 1000).toFixed(0)} µs per atomic write of ${
      (text.length / 1000).toFixed(0)
    } KB, CPU ${((cpuMs() - cpu0) / 300 * 1000).toFixed(0)} µs`,
  );
}

for (let round = 0; round < 2; round++) {
  await writes("Bun.write", (path, data) => bun.write(path, data));
  await writes("fs.writeFile", (path, data) => writeFile(path, data));
}
const t0 = performance.now();
for (let i = 0; i < 300; i++) node.writeFileAtomicSync(join(dir, "sync.json"), text);
console.log(
  `write ${"sync (node:fs)".padEnd(13)} ${((performance.now() - t0) / 300 * 1000).toFixed(0)} µs`,
);
renameSync(join(dir, "sync.json"), join(dir, "done.json"));
rmSync(dir, { recursive: true, force: true });
console.log(`Bun ${bun.version}; ${spawnSync("nproc").stdout.toString().trim()} cores`);
process.exit(0);
