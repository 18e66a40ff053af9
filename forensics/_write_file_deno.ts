/**
 * The Deno file seam: `Deno.writeTextFile` + `Deno.rename` (and their sync
 * forms at exit), read through `globalThis` with a minimal structural type.
 *
 * @module
 */

import { type FileWriter, temporaryPath } from "./_write_file.ts";

interface DenoApi {
  writeTextFile(path: string, text: string): Promise<void>;
  writeTextFileSync(path: string, text: string): void;
  rename(from: string, to: string): Promise<void>;
  renameSync(from: string, to: string): void;
  remove(path: string): Promise<void>;
  removeSync(path: string): void;
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  removeSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  exit(code: number): never;
  build: { os: string };
}

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
const target = globalThis as unknown as EventTargetLike;

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** The Deno file seam. */
export const writer: FileWriter = {
  async writeAtomic(path, text) {
    const temporary = temporaryPath(path);
    try {
      await deno.writeTextFile(temporary, text);
      await deno.rename(temporary, path);
    } catch (error) {
      await deno.remove(temporary).catch(() => {});
      throw error;
    }
  },
  writeAtomicSync(path, text) {
    const temporary = temporaryPath(path);
    try {
      deno.writeTextFileSync(temporary, text);
      deno.renameSync(temporary, path);
    } catch (error) {
      try {
        deno.removeSync(temporary);
      } catch {
        // Nothing to clean up.
      }
      throw error;
    }
  },
  onExit(onExit, signals) {
    // `error` and `unhandledrejection` fire before Deno ends the process on
    // them; `unload` fires on a normal end. None of them is prevented.
    const onError = () => onExit("uncaught error");
    const onRejection = () => onExit("unhandled rejection");
    const onUnload = () => onExit("exit");
    target.addEventListener("error", onError);
    target.addEventListener("unhandledrejection", onRejection);
    target.addEventListener("unload", onUnload);
    // A signal handler replaces the default action (exit), so it exits itself.
    const handlers = (signals ? SIGNALS : []).map((signal) => {
      const handler = () => {
        onExit(signal);
        deno.exit(SIGNAL_CODES[signal]);
      };
      try {
        if (deno.build.os !== "windows" || signal === "SIGINT") {
          deno.addSignalListener(signal, handler);
        }
      } catch {
        // Signals not available here.
      }
      return [signal, handler] as const;
    });
    return () => {
      target.removeEventListener("error", onError);
      target.removeEventListener("unhandledrejection", onRejection);
      target.removeEventListener("unload", onUnload);
      for (const [signal, handler] of handlers) {
        try {
          deno.removeSignalListener(signal, handler);
        } catch {
          // Was never added.
        }
      }
    };
  },
};
