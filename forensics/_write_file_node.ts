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
  onExit(onExit) {
    // One wrapper per call, so the same function armed twice is two entries.
    const entry = (reason: string) => onExit(reason);
    exitCallbacks.add(entry);
    if (exitCallbacks.size === 1) removeProcessListeners = addProcessListeners();
    return () => {
      if (!exitCallbacks.delete(entry) || exitCallbacks.size > 0) return;
      removeProcessListeners?.();
      removeProcessListeners = undefined;
    };
  },
};

/** Every armed dumper's exit callback: one set of `process` listeners serves them all. */
const exitCallbacks = new Set<(reason: string) => void>();
let removeProcessListeners: (() => void) | undefined;

function notify(reason: string): void {
  for (const callback of [...exitCallbacks]) callback(reason);
}

function addProcessListeners(): () => void {
  // Node fires `uncaughtExceptionMonitor` without changing how the error
  // ends the process (unlike `uncaughtException`); `exit` covers the rest.
  const onError = () => notify("uncaught error");
  const onExitEvent = () => notify("exit");
  process.on("uncaughtExceptionMonitor", onError);
  process.on("exit", onExitEvent);
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => {
      notify(signal);
      // Only stand in for the default action when nobody else handles the
      // signal: this is the one listener for every dumper, so any other
      // listener is the application's.
      if (process.listenerCount(signal) === 1) process.exit(SIGNAL_CODES[signal]);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    process.off("uncaughtExceptionMonitor", onError);
    process.off("exit", onExitEvent);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
