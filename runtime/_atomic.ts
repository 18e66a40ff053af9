/**
 * Atomic file writes, shared by the adapters: write a temporary file next to
 * the target, then rename it over the target (a rename within a folder is
 * atomic), and remove the temporary file when anything fails.
 *
 * @module
 */

/** The file operations an atomic write needs, async. */
export interface FileOps {
  write(path: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes `path`; may reject when it does not exist. */
  remove(path: string): Promise<void>;
}

/** The file operations an atomic write needs, sync. */
export interface FileOpsSync {
  write(path: string, text: string): void;
  rename(from: string, to: string): void;
  /** Removes `path`; may throw when it does not exist. */
  remove(path: string): void;
}

/** A temporary name next to `path`, unique to this write. */
function temporaryPath(path: string): string {
  return `${path}.tmp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Writes `text` to `path` through a temporary file and a rename. */
export async function writeAtomic(ops: FileOps, path: string, text: string): Promise<void> {
  const temporary = temporaryPath(path);
  try {
    await ops.write(temporary, text);
    await ops.rename(temporary, path);
  } catch (error) {
    await ops.remove(temporary).catch(() => {});
    throw error;
  }
}

/** {@linkcode writeAtomic}, synchronously. */
export function writeAtomicSync(ops: FileOpsSync, path: string, text: string): void {
  const temporary = temporaryPath(path);
  try {
    ops.write(temporary, text);
    ops.rename(temporary, path);
  } catch (error) {
    try {
      ops.remove(temporary);
    } catch {
      // Nothing to clean up.
    }
    throw error;
  }
}
