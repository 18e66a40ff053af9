/**
 * The one runtime-specific bit of the core: making a timer not keep the
 * process alive. Node's timers have `unref()`; Deno's are numbers released
 * with `Deno.unrefTimer`. Read through `globalThis` so that this file
 * type-checks without Deno's types.
 *
 * @module
 */

type TimerHandle = ReturnType<typeof setInterval>;

interface DenoTimers {
  unrefTimer?(id: number): void;
}

/** Lets the process exit while `timer` is pending. */
export function unrefTimer(timer: TimerHandle): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer) {
    (timer as { unref(): void }).unref();
    return;
  }
  const deno = (globalThis as { Deno?: DenoTimers }).Deno;
  if (typeof timer === "number") deno?.unrefTimer?.(timer);
}
