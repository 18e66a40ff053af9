/**
 * Test harness: real carbon-cache instances (and carbon-c-relay) on
 * loopback ports in temporary directories, with a 1-second retention, and
 * a reader for the whisper files they write. Uses only `node:` modules, so
 * it runs under Deno and Node alike.
 *
 * @module
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** Whether an executable is on the PATH. */
export function haveBinary(name: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    try {
      if (statSync(join(dir, name)).isFile()) return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}

/**
 * The `skip` option for tests that need `binaries`: a loud reason when one
 * is missing, or `false` (run, and fail) when `CI=true`.
 */
export function skipWithout(...binaries: string[]): string | false {
  const missing = binaries.filter((name) => !haveBinary(name));
  if (missing.length === 0) return false;
  const reason = `SKIPPED: ${
    missing.join(", ")
  } not installed (apt-get install graphite-carbon python3-whisper carbon-c-relay)`;
  if (process.env.CI === "true") return false;
  console.warn(reason);
  return reason;
}

/** A free TCP port on 127.0.0.1 (listen on port 0, close, reuse the number). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether something accepts connections on `port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** Resolves once something accepts connections on `port`, or throws after `timeoutMs`. */
export async function waitForPort(
  port: number,
  timeoutMs = 20_000,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    if (await listening(port)) return;
    await sleep(100);
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Resolves once nothing accepts connections on `port`. */
async function waitForPortClosed(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await listening(port))) return;
    await sleep(100);
  }
  throw new Error(`127.0.0.1:${port} still listened after ${timeoutMs} ms`);
}

/** Starts a quiet child process; its `exited` promise resolves when it ends. */
function start(command: string, args: string[]): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(command, args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => {
    child.on("exit", () => resolve());
    child.on("error", () => resolve());
  });
  return { child, exited };
}

/** One whisper point: seconds since the epoch and value. */
export type Point = [timestamp: number, value: number];

/**
 * Reads every stored point of a whisper file's first (finest) archive
 * (format: big-endian header, archive table, then `(u32 timestamp, f64
 * value)` points), sorted by time. A file carbon is still creating (shorter
 * than its header says) has no points yet.
 */
export function readWhisper(path: string): Point[] {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 28) return [];
  const offset = view.getUint32(16);
  const count = view.getUint32(24);
  if (offset + count * 12 > bytes.byteLength) return [];
  const points = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const at = offset + i * 12;
    const timestamp = view.getUint32(at);
    if (timestamp !== 0 && !points.has(timestamp)) points.set(timestamp, view.getFloat64(at + 4));
  }
  return [...points].sort((x, y) => x[0] - y[0]);
}

/** carbon-cache ended before it listened. */
class CarbonExited extends Error {
  constructor(port: number) {
    super(`carbon-cache exited before it listened on 127.0.0.1:${port}`);
  }
}

/** A running (or stopped) carbon-cache in its own temporary directory. */
export class Carbon {
  /** Its temporary directory. */
  readonly dir: string;
  /** The plaintext line port. */
  readonly port: number;
  #process: { child: ChildProcess; exited: Promise<void> } | undefined;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /**
   * Makes the directory and config on free loopback ports and starts
   * carbon-cache. If carbon-cache exits before it listens (a port taken
   * between choosing it and binding it), tries again on new ports, at most
   * three times.
   */
  static async start(): Promise<Carbon> {
    for (let attempt = 1;; attempt++) {
      const carbon = await Carbon.#configure();
      try {
        await carbon.restart();
        return carbon;
      } catch (error) {
        await carbon.dispose();
        if (!(error instanceof CarbonExited) || attempt === 3) throw error;
      }
    }
  }

  static async #configure(): Promise<Carbon> {
    const dir = mkdtempSync(join(tmpdir(), "scales-carbon-"));
    const port = await freePort();
    const pickle = await freePort();
    const query = await freePort();
    for (const sub of ["whisper", "log", "pid", "lists"]) await mkdir(join(dir, sub));
    writeFileSync(
      join(dir, "carbon.conf"),
      `[cache]
STORAGE_DIR = ${dir}/
LOCAL_DATA_DIR = ${dir}/whisper/
WHITELISTS_DIR = ${dir}/lists/
CONF_DIR = ${dir}/
LOG_DIR = ${dir}/log/
PID_DIR = ${dir}/pid/
DATABASE = whisper
ENABLE_LOGROTATION = False
ENABLE_TAGS = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = 100000
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${port}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = ${pickle}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = ${query}
LOG_LISTENER_CONN_SUCCESS = False
LOG_UPDATES = False
LOG_CREATES = False
WHISPER_AUTOFLUSH = False
WHISPER_FALLOCATE_CREATE = False
`,
    );
    writeFileSync(
      join(dir, "storage-schemas.conf"),
      "[all]\npattern = .*\nretentions = 1s:1h\n",
    );
    return new Carbon(dir, port);
  }

  /** Starts carbon-cache (again, in the foreground) on the same port and data. */
  async restart(): Promise<void> {
    if (this.#process !== undefined) throw new Error("carbon-cache is already running");
    this.#process = start("carbon-cache", [
      `--config=${join(this.dir, "carbon.conf")}`,
      `--pidfile=${join(this.dir, "pid", "carbon.pid")}`,
      `--logdir=${join(this.dir, "log")}`,
      "--nodaemon",
      "start",
    ]);
    const exited = this.#process.exited.then(() => {
      throw new CarbonExited(this.port);
    });
    const giveUp = new AbortController();
    try {
      await Promise.race([waitForPort(this.port, 60_000, giveUp.signal), exited]);
    } catch (error) {
      if (error instanceof CarbonExited) this.#process = undefined;
      throw error;
    } finally {
      giveUp.abort();
    }
    exited.catch(() => {}); // a later exit (stop()) is not an error
  }

  /** Stops carbon-cache with SIGTERM and waits until it is gone. */
  async stop(): Promise<void> {
    const running = this.#process;
    if (running === undefined) return;
    this.#process = undefined;
    running.child.kill("SIGTERM");
    await running.exited;
    await waitForPortClosed(this.port);
  }

  /** Stops carbon-cache and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Kills carbon-cache (SIGKILL: it cannot write into the directory while
   * shutting down) and removes the directory without waiting: for `unload`
   * handlers.
   */
  killSync(): void {
    this.#process?.child.kill("SIGKILL");
    this.#process = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The whisper file of a metric name. */
  whisperPath(name: string): string {
    return join(this.dir, "whisper", ...name.split(".")) + ".wsp";
  }

  /** Every metric name that has a whisper file, sorted. */
  series(): string[] {
    const names: string[] = [];
    const walk = (dir: string, prefix: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}.`);
        else if (entry.name.endsWith(".wsp")) names.push(prefix + entry.name.slice(0, -4));
      }
    };
    walk(join(this.dir, "whisper"), "");
    return names.sort();
  }

  /** The points of a metric, or `[]` when it has no file yet. */
  points(name: string): Point[] {
    try {
      return readWhisper(this.whisperPath(name));
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return [];
      throw error;
    }
  }

  /**
   * Waits (bounded) until `check` holds for the stored data: carbon writes
   * whisper files asynchronously.
   */
  async waitUntil(check: () => boolean, timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (check()) return true;
      await sleep(100);
    }
    return check();
  }
}

/** The points of a metric as `whisper-fetch --json` reports them, non-null only. */
export function whisperFetch(path: string, from: number, until: number): Promise<Point[]> {
  return new Promise((resolve, reject) => {
    execFile(
      "whisper-fetch",
      ["--from", String(from), "--until", String(until), "--json", path],
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`whisper-fetch failed: ${stderr || error.message}`));
          return;
        }
        const json = JSON.parse(String(stdout)) as {
          start: number;
          step: number;
          values: Array<number | null>;
        };
        const points: Point[] = [];
        json.values.forEach((value, i) => {
          if (value !== null) points.push([json.start + i * json.step, value]);
        });
        resolve(points);
      },
    );
  });
}

/** A running carbon-c-relay with consistent hashing over some carbon-caches. */
export class Relay {
  /** Its plaintext listen port. */
  readonly port: number;
  readonly #process: { child: ChildProcess; exited: Promise<void> };
  readonly #dir: string;

  private constructor(
    port: number,
    process: { child: ChildProcess; exited: Promise<void> },
    dir: string,
  ) {
    this.port = port;
    this.#process = process;
    this.#dir = dir;
  }

  /** Starts carbon-c-relay on a free loopback port with `carbon_ch` over `ports`. */
  static async start(ports: number[]): Promise<Relay> {
    const dir = mkdtempSync(join(tmpdir(), "scales-relay-"));
    const port = await freePort();
    const config = join(dir, "relay.conf");
    writeFileSync(
      config,
      `listen type linemode 127.0.0.1:${port} proto tcp;\n` +
        // carbon_ch hashes host and instance, not the port: name the instances.
        `cluster c carbon_ch ${
          ports.map((p, i) => `127.0.0.1:${p}=${"abcdefgh"[i]}`).join(" ")
        };\n` +
        `match * send to c stop;\n`,
    );
    const relay = new Relay(
      port,
      start("carbon-c-relay", ["-f", config, "-s", "-w", "1", "-l", join(dir, "relay.log")]),
      dir,
    );
    await waitForPort(port).catch(async (error) => {
      await relay.dispose();
      throw error;
    });
    return relay;
  }

  /** Stops the relay and removes its directory. */
  async dispose(): Promise<void> {
    this.#process.child.kill("SIGTERM");
    await this.#process.exited;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
