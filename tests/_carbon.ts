/**
 * Test harness: real carbon-cache instances (and carbon-c-relay) on
 * loopback ports in temporary directories, with a 1-second retention, and
 * a reader for the whisper files they write.
 *
 * @module
 */

import { join } from "node:path";

/** Whether an executable is on the PATH. */
export function haveBinary(name: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(join(dir, name)).isFile) return true;
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
  if (Deno.env.get("CI") === "true") return false;
  console.warn(reason);
  return reason;
}

/** A free TCP port on 127.0.0.1 (listen on port 0, close, reuse the number). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Resolves once something accepts connections on `port`, or throws after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Resolves once nothing accepts connections on `port`. */
async function waitForPortClosed(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } catch {
      return;
    }
  }
  throw new Error(`127.0.0.1:${port} still listened after ${timeoutMs} ms`);
}

/** One whisper point: seconds since the epoch and value. */
export type Point = [timestamp: number, value: number];

/**
 * Reads every stored point of a whisper file (format: big-endian header,
 * archive table, then `(u32 timestamp, f64 value)` points), sorted by time.
 */
export function readWhisper(path: string): Point[] {
  const bytes = Deno.readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const archiveCount = view.getUint32(12);
  const points = new Map<number, number>();
  for (let a = 0; a < archiveCount; a++) {
    const info = 16 + a * 12;
    const offset = view.getUint32(info);
    const count = view.getUint32(info + 8);
    for (let i = 0; i < count; i++) {
      const at = offset + i * 12;
      const timestamp = view.getUint32(at);
      if (timestamp !== 0 && !points.has(timestamp)) points.set(timestamp, view.getFloat64(at + 4));
    }
    break; // The first archive has the finest resolution; the tests use one.
  }
  return [...points].sort((x, y) => x[0] - y[0]);
}

/** A running (or stopped) carbon-cache in its own temporary directory. */
export class Carbon {
  /** Its temporary directory. */
  readonly dir: string;
  /** The plaintext line port. */
  readonly port: number;
  #child: Deno.ChildProcess | undefined;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** Makes the directory and config on free loopback ports and starts carbon-cache. */
  static async start(): Promise<Carbon> {
    const dir = await Deno.makeTempDir({ prefix: "scales-carbon-" });
    const port = freePort();
    const pickle = freePort();
    const query = freePort();
    for (const sub of ["whisper", "log", "pid", "lists"]) await Deno.mkdir(join(dir, sub));
    await Deno.writeTextFile(
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
    await Deno.writeTextFile(
      join(dir, "storage-schemas.conf"),
      "[all]\npattern = .*\nretentions = 1s:1h\n",
    );
    const carbon = new Carbon(dir, port);
    await carbon.restart();
    return carbon;
  }

  /** Starts carbon-cache (again) on the same port and data. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) throw new Error("carbon-cache is already running");
    this.#child = new Deno.Command("carbon-cache", {
      args: [
        `--config=${join(this.dir, "carbon.conf")}`,
        `--pidfile=${join(this.dir, "pid", "carbon.pid")}`,
        `--logdir=${join(this.dir, "log")}`,
        "--nodaemon",
        "start",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitForPort(this.port);
  }

  /** Stops carbon-cache with SIGTERM (it writes its cache out first) and waits for it. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await waitForPortClosed(this.port);
  }

  /** Sends SIGTERM and removes the directory without waiting: for `unload` handlers. */
  killSync(): void {
    try {
      this.#child?.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    this.#child = undefined;
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch {
      // Already removed.
    }
  }

  /** Stops carbon-cache and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** The whisper file of a metric name. */
  whisperPath(name: string): string {
    return join(this.dir, "whisper", ...name.split(".")) + ".wsp";
  }

  /** Every metric name that has a whisper file, sorted. */
  series(): string[] {
    const names: string[] = [];
    const walk = (dir: string, prefix: string) => {
      for (const entry of Deno.readDirSync(dir)) {
        if (entry.isDirectory) walk(join(dir, entry.name), `${prefix}${entry.name}.`);
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
      if (error instanceof Deno.errors.NotFound) return [];
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
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return check();
  }
}

/** The points of a metric as `whisper-fetch --json` reports them, non-null only. */
export async function whisperFetch(path: string, from: number, until: number): Promise<Point[]> {
  const output = await new Deno.Command("whisper-fetch", {
    args: ["--from", String(from), "--until", String(until), "--json", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  const json = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    start: number;
    step: number;
    values: Array<number | null>;
  };
  const points: Point[] = [];
  json.values.forEach((value, i) => {
    if (value !== null) points.push([json.start + i * json.step, value]);
  });
  return points;
}

/** A running carbon-c-relay with consistent hashing over some carbon-caches. */
export class Relay {
  /** Its plaintext listen port. */
  readonly port: number;
  readonly #child: Deno.ChildProcess;
  readonly #dir: string;

  private constructor(port: number, child: Deno.ChildProcess, dir: string) {
    this.port = port;
    this.#child = child;
    this.#dir = dir;
  }

  /** Starts carbon-c-relay on a free loopback port with `carbon_ch` over `ports`. */
  static async start(ports: number[]): Promise<Relay> {
    const dir = await Deno.makeTempDir({ prefix: "scales-relay-" });
    const port = freePort();
    const config = join(dir, "relay.conf");
    await Deno.writeTextFile(
      config,
      `listen type linemode 127.0.0.1:${port} proto tcp;\n` +
        // carbon_ch hashes host and instance, not the port: name the instances.
        `cluster c carbon_ch ${
          ports.map((p, i) => `127.0.0.1:${p}=${"abcdefgh"[i]}`).join(" ")
        };\n` +
        `match * send to c stop;\n`,
    );
    const child = new Deno.Command("carbon-c-relay", {
      args: ["-f", config, "-s", "-w", "1", "-l", join(dir, "relay.log")],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const relay = new Relay(port, child, dir);
    await waitForPort(port).catch(async (error) => {
      await relay.dispose();
      throw error;
    });
    return relay;
  }

  /** Stops the relay and removes its directory. */
  async dispose(): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
