/**
 * A deadline on any promise, that a caller can also cut short: how a
 * transport bounds a connect, a write or a request.
 *
 * @module
 */

/**
 * `promise`, or a rejection after `ms` or as soon as `abandon` aborts,
 * whichever comes first (`ms` of `Infinity`: only when `abandon` aborts).
 * The timer is cleared when the race ends; it is
 * kept referenced on purpose, since it bounds an operation the caller may
 * be awaiting. `promise` itself is not cancelled: pass the same signal to
 * whatever produced it when it can stop.
 *
 * @param promise What to wait for.
 * @param ms The most to wait, in milliseconds.
 * @param what Names the operation in the error (`"connect"`, `"write"`).
 * @param abandon Aborted when the caller gives up early (a close past its deadline).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeout } from "./timeout.ts";
 * const never = new Promise<number>(() => {});
 * await assert.rejects(timeout(never, 10, "write"), { message: "write timed out after 10 ms" });
 * assert.equal(await timeout(Promise.resolve(7), 10, "write"), 7);
 * ```
 */
export function timeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  abandon?: AbortSignal,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    if (ms !== Infinity) {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }
    if (abandon === undefined) return;
    onAbort = () => reject(new Error(`${what} abandoned: close() passed its deadline`));
    if (abandon.aborted) onAbort();
    else abandon.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, expired]).finally(() => {
    clearTimeout(timer);
    if (onAbort !== undefined) abandon?.removeEventListener("abort", onAbort);
  });
}
