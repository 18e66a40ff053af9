/**
 * The Node file seam: `node:fs` writes + rename (sync at exit) and
 * `process` events.
 *
 * @module
 */

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import process from "node:process";
import { type FileWriter, temporaryPath } from "./_write_file.ts";

const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** The Node file seam. */
export const writer: FileWriter = {
  async writeAtomic(path, text) {
    const temporary = temporaryPath(path);
    try {
      await writeFile(temporary, text);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => {});
      throw error;
    }
  },
  writeAtomicSync(path, text) {
    const temporary = temporaryPath(path);
    try {
      writeFileSync(temporary, text);
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  },
  onExit(onExit, signals) {
    // One entry per call, so the same function armed twice is two entries.
    const entry = { onExit, signals };
    armed.add(entry);
    syncProcessListeners();
    return () => {
      if (armed.delete(entry)) syncProcessListeners();
    };
  },
};

/** Every armed dumper: one set of `process` listeners serves them all. */
const armed = new Set<{ onExit: (reason: string) => void; signals: boolean }>();
let removeExitListeners: (() => void) | undefined;
let removeSignalListeners: (() => void) | undefined;

function notify(reason: string, signal = false): void {
  for (const entry of [...armed]) if (!signal || entry.signals) entry.onExit(reason);
}

/** Listens while any dumper is armed, and to signals while any armed dumper wants them. */
function syncProcessListeners(): void {
  if (armed.size > 0) removeExitListeners ??= addExitListeners();
  else {
    removeExitListeners?.();
    removeExitListeners = undefined;
  }
  if ([...armed].some((entry) => entry.signals)) removeSignalListeners ??= addSignalListeners();
  else {
    removeSignalListeners?.();
    removeSignalListeners = undefined;
  }
}

function addExitListeners(): () => void {
  // Node fires `uncaughtExceptionMonitor` without changing how the error
  // ends the process (unlike `uncaughtException`); `exit` covers the rest.
  const onError = () => notify("uncaught error");
  const onExitEvent = () => notify("exit");
  process.on("uncaughtExceptionMonitor", onError);
  process.on("exit", onExitEvent);
  return () => {
    process.off("uncaughtExceptionMonitor", onError);
    process.off("exit", onExitEvent);
  };
}

function addSignalListeners(): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => {
      notify(signal, true);
      // Only stand in for the default action when nobody else handles the
      // signal: this is the one listener for every dumper, so any other
      // listener is the application's.
      if (process.listenerCount(signal) === 1) process.exit(SIGNAL_CODES[signal]);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
