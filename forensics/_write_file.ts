/**
 * The file-writing seam: atomic writes (temporary file, then rename), async
 * for the periodic dumps and sync for the last one at exit.
 *
 * @module
 */

/** What the runtime seams provide to the dumper. */
export interface FileWriter {
  /** Writes `text` to `path` atomically: a reader sees the old file or the new one. */
  writeAtomic(path: string, text: string): Promise<void>;
  /** The same, synchronously: for the last write when the process is exiting. */
  writeAtomicSync(path: string, text: string): void;
  /**
   * Calls `onExit(reason)` when the process is about to end on an uncaught
   * error, an unhandled rejection, a normal exit, and (when `signals`) on
   * SIGINT or SIGTERM, after which the process ends as the signal would
   * have ended it. Returns a function that removes the listeners.
   */
  onExit(onExit: (reason: string) => void, signals: boolean): () => void;
}

let writer: Promise<FileWriter> | undefined;

/** The seam for the running runtime: `Deno.*` on Deno, `node:fs` / `process` elsewhere. */
export function loadWriter(): Promise<FileWriter> {
  writer ??= typeof (globalThis as { Deno?: unknown }).Deno === "object"
    ? import("./_write_file_deno.ts").then((module) => module.writer)
    : import("./_write_file_node.ts").then((module) => module.writer);
  return writer;
}

/** A temporary name next to `path`, unique to this write. */
export function temporaryPath(path: string): string {
  return `${path}.tmp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
