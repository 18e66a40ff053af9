/**
 * Timers that never keep the process alive: a metrics pusher must not hold
 * the event loop open. `unref()` on Node timers, `Deno.unrefTimer` on Deno,
 * both found by feature detection.
 *
 * @module
 */

type TimerHandle = ReturnType<typeof setTimeout>;

interface DenoTimers {
  unrefTimer?(id: number): void;
}

function unref(handle: TimerHandle): TimerHandle {
  const value = handle as unknown;
  if (typeof value === "object" && value !== null && "unref" in value) {
    (value as { unref(): void }).unref();
  } else if (typeof value === "number") {
    (globalThis as { Deno?: DenoTimers }).Deno?.unrefTimer?.(value);
  }
  return handle;
}

/** `setTimeout` that does not keep the process alive. */
export function unrefTimeout(callback: () => void, ms: number): TimerHandle {
  return unref(setTimeout(callback, ms));
}

/** `setInterval` that does not keep the process alive. */
export function unrefInterval(callback: () => void, ms: number): TimerHandle {
  return unref(setInterval(callback, ms));
}

/** Resolves after `ms` without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => unrefTimeout(resolve, ms));
}
