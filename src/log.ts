/**
 * Where scales reports its own trouble: a gauge function that throws, a dict
 * that reached its key cap, a Graphite server that went away. Scales never
 * throws these into the application; it logs them here.
 *
 * @module
 */

/** Receives a message and, when there is one, the error behind it. */
export type Logger = (message: string, error?: unknown) => void;

const consoleLogger: Logger = (message, error) => {
  if (error === undefined) console.warn(`scales: ${message}`);
  else console.warn(`scales: ${message}`, error);
};

let current: Logger = consoleLogger;

/**
 * Sends scales' warnings to `logger` instead of `console.warn`. Pass
 * `undefined` to restore the default. Returns the logger that was in place.
 *
 * @example Collect warnings in a test
 * ```ts
 * import { setLogger } from "@scales/core";
 * const seen: string[] = [];
 * const previous = setLogger((message) => seen.push(message));
 * setLogger(previous);
 * ```
 */
export function setLogger(logger: Logger | undefined): Logger {
  const previous = current;
  current = logger ?? consoleLogger;
  return previous;
}

/** Logs through the current logger; a logger that throws is ignored. */
export function log(message: string, error?: unknown): void {
  try {
    current(message, error);
  } catch {
    // A broken logger must not break the caller.
  }
}

/** A short, readable rendering of a value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return "an array";
  return "an object";
}
