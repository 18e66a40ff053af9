/**
 * The group transport for processes on one host (node:cluster, PM2,
 * independent processes behind a proxy): a directory where every member
 * listens on a unix socket `<name>.sock` and keeps its last state in
 * `<name>.json`.
 *
 * A view connects to every socket at once and reads each member's state
 * (a member saves its state file before it answers, and the member taking
 * the view saves its own, so a file is at least as recent as anything a
 * view has shown). A refused socket is a member that
 * died: its file's totals stay in every later view, so counters never go
 * backwards. A member that does not answer in time counts with its file.
 * Members also save their state every few seconds and when the process
 * exits. Uses `node:` modules, which Deno and Bun provide too.
 *
 * @module
 */

import { existsSync, promises as fs, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { runtime, unrefInterval } from "../runtime/mod.ts";
import { log } from "../src/log.ts";
import { type NodeState, retiredState, treeState } from "../src/worker_state.ts";
import type { Answer, Gathered, Missing, Transport, TransportContext } from "./_transport.ts";

/** How often a member saves its state file besides when a view reads it. */
const SAVE_INTERVAL_MS = 5000;

const NAME = /^[A-Za-z0-9._-]+$/;

/** The default directory: one per cluster (by its primary), per PM2 app, or per group and user. */
export function defaultDirectory(group: string): string {
  const env = process.env;
  let which: string;
  if (env.pm_id !== undefined) {
    which = `pm2-${(env.name ?? "app").replace(/[^A-Za-z0-9._-]/g, "_")}`;
  } else which = `user-${process.getuid?.() ?? "any"}`;
  return join(tmpdir(), `scales-${group}-${which}`);
}

type Asked = { readonly state: NodeState } | "dead" | "late";

/** Asks the member listening at `path` for its state, within `deadlineMs`. */
function ask(path: string, deadlineMs: number): Promise<Asked> {
  return new Promise((resolve) => {
    const chunks: string[] = [];
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("late");
    }, deadlineMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => chunks.push(chunk));
    socket.on("end", () => {
      clearTimeout(timer);
      try {
        resolve({ state: JSON.parse(chunks.join("")) as NodeState });
      } catch {
        resolve("late"); // cut short: count it with its file
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === "ECONNREFUSED" || error.code === "ENOENT" ? "dead" : "late");
    });
  });
}

/** Whether a member listens at `path` (connects within `deadlineMs`). */
function reachable(path: string, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(true); // alive but slow: still a member
    }, deadlineMs);
    socket.on("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

async function readState(file: string): Promise<NodeState | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as NodeState;
  } catch {
    return undefined;
  }
}

/** Joins the group in `directory` (default: {@linkcode defaultDirectory}). */
export async function directoryTransport(
  context: TransportContext,
  directory: string | undefined,
): Promise<Transport> {
  const dir = directory ?? defaultDirectory(context.group);
  const worker = context.name ?? String(process.pid);
  if (!NAME.test(worker)) {
    throw new TypeError(
      `joinWorkers: name must be letters, digits, ".", "_" or "-" for the directory transport, got ${
        JSON.stringify(worker)
      }`,
    );
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const socketPath = join(dir, `${worker}.sock`);
  const file = join(dir, `${worker}.json`);
  // A process of the same name (a reused pid) that died: keep its totals apart.
  if (existsSync(file)) await fs.rename(file, join(dir, `${worker}~${Date.now()}.json`));
  await fs.rm(socketPath, { force: true });

  /** Saves the state file (write, then rename: readers never see half a file). */
  const save = (text: string) => {
    try {
      runtime().writeFileAtomicSync(file, text);
    } catch (error) {
      log(`workers: cannot save the state file ${file}`, error);
    }
  };
  const stateText = () => JSON.stringify(treeState(context.tree));

  const server = createServer((socket) => {
    socket.on("error", () => {});
    // Saved before answering: what any view has shown outlives this process.
    const text = stateText();
    save(text);
    socket.end(text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref();
  save(stateText());
  const timer = unrefInterval(() => save(stateText()), SAVE_INTERVAL_MS);
  const onExit = () => {
    save(stateText());
    try {
      rmSync(socketPath, { force: true });
    } catch {
      // exiting: nothing more to do
    }
  };
  const removeExitHook = runtime().onExit(onExit, false);

  let closed = false;

  return {
    worker,
    async alive(deadlineMs: number): Promise<readonly string[]> {
      let entries: string[];
      try {
        entries = await fs.readdir(dir);
      } catch {
        return [worker];
      }
      const names = entries.filter((e) => e.endsWith(".sock")).map((e) => e.slice(0, -5))
        .filter((name) => name !== worker);
      const up = await Promise.all(
        names.map((name) => reachable(join(dir, `${name}.sock`), deadlineMs)),
      );
      return [worker, ...names.filter((_, i) => up[i])];
    },
    async gather(deadlineMs: number, self: NodeState): Promise<Gathered> {
      save(JSON.stringify(self));
      let entries: string[];
      try {
        entries = await fs.readdir(dir);
      } catch (error) {
        log(`workers: cannot read the group directory ${dir}`, error);
        return { answers: [], missing: [], departed: [] };
      }
      const sockets = new Set<string>();
      const files = new Set<string>();
      for (const entry of entries) {
        if (entry.endsWith(".sock")) sockets.add(entry.slice(0, -5));
        else if (entry.endsWith(".json")) files.add(entry.slice(0, -5));
      }
      sockets.delete(worker);
      files.delete(worker);
      const names = [...sockets];
      const asked = await Promise.all(
        names.map((name) => ask(join(dir, `${name}.sock`), deadlineMs)),
      );
      const answers: Answer[] = [];
      const missing: Missing[] = [];
      const gone: string[] = [...files].filter((name) => !sockets.has(name));
      await Promise.all(names.map(async (name, i) => {
        const result = asked[i]!;
        if (result === "dead") {
          await fs.rm(join(dir, `${name}.sock`), { force: true });
          if (files.has(name)) gone.push(name);
        } else if (result === "late") {
          missing.push({ worker: name, state: await readState(join(dir, `${name}.json`)) });
        } else answers.push({ worker: name, state: result.state });
      }));
      const departed: Answer[] = [];
      for (const name of gone) {
        const state = await readState(join(dir, `${name}.json`));
        if (state !== undefined) departed.push({ worker: name, state: retiredState(state) });
      }
      return { answers, missing, departed };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      removeExitHook();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      onExit();
    },
  };
}
