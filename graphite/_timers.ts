/**
 * Timers that never keep the process alive (a metrics pusher must not hold
 * the event loop open), from the runtime adapter.
 *
 * @module
 */

export { unrefInterval, unrefTimeout } from "../runtime/mod.ts";
