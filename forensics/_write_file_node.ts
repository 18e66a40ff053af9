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
    // Node fires `uncaughtExceptionMonitor` without changing how the error
    // ends the process (unlike `uncaughtException`); `exit` covers the rest.
    const onError = () => onExit("uncaught error");
    const onExitEvent = () => onExit("exit");
    process.on("uncaughtExceptionMonitor", onError);
    process.on("exit", onExitEvent);
    const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
      const handler = () => {
        onExit(signal);
        // Only stand in for the default action when nobody else handles the signal.
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
  },
};
