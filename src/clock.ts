/**
 * The shared coarse clock behind meters and timing windows.
 *
 * Reading the clock costs 40-80 ns, several times what recording a sample
 * may cost. So hot paths never read it: one library-wide, unref'd interval
 * timer advances {@linkcode coarse} every {@linkcode COARSE_INTERVAL_MS}, and
 * a stat compares `coarse.generation` (an integer) with the one it last saw
 * to learn that time has moved. Reads (snapshots) use {@linkcode now}, the
 * precise clock. The timer starts with the first stat that needs it and is
 * stopped by `reset()`.
 *
 * @module
 */

import { unrefInterval } from "../runtime/mod.ts";
import { onReset } from "./tree.ts";

/** How often the coarse clock advances, in milliseconds. */
export const COARSE_INTERVAL_MS = 250;

/** The precise monotonic clock, in milliseconds. */
export function now(): number {
  return performance.now();
}

/** The coarse clock: `ms` as of the last advance, and a counter of advances. */
export const coarse: { ms: number; generation: number } = { ms: 0, generation: 0 };

let timer: ReturnType<typeof setInterval> | undefined;

function advance(): void {
  coarse.ms = now();
  coarse.generation++;
}

/** Starts the shared timer if it is not running; returns the current precise time. */
export function startCoarseClock(): number {
  if (timer === undefined) {
    advance();
    timer = unrefInterval(advance, COARSE_INTERVAL_MS);
  }
  return coarse.ms;
}

/** Stops the shared timer (it restarts with the next stat that needs it). */
export function stopCoarseClock(): void {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
}

onReset(stopCoarseClock);
