/**
 * The option checks every exporter shares: positive bounds, deadlines and
 * the `periodMs` of a periodic exporter, each throwing an error that names
 * the option, the bad value and what was expected.
 *
 * @module
 */

import { describeValue } from "../src/log.ts";

/** The period of a periodic exporter when none is given: one minute. */
export const DEFAULT_PERIOD_MS = 60_000;

/**
 * `value` when it is a positive integer (or, with `integer` false, a
 * positive finite number); otherwise throws a `RangeError` naming `what`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPositive } from "./options.ts";
 * assert.equal(checkPositive(60, "maxQueuedPushes"), 60);
 * assert.throws(() => checkPositive(0, "maxQueuedPushes"), {
 *   message: "maxQueuedPushes must be a positive integer, got 0",
 * });
 * ```
 */
export function checkPositive(value: unknown, what: string, integer = true): number {
  if (
    typeof value !== "number" || !(value > 0) ||
    (integer ? !Number.isSafeInteger(value) : !Number.isFinite(value))
  ) {
    throw new RangeError(
      `${what} must be a positive ${integer ? "integer" : "number"}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * `value` when it is an integer of 0 or more; otherwise throws a
 * `RangeError` naming `what`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkCount } from "./options.ts";
 * assert.equal(checkCount(0, "resendOnReconnect"), 0);
 * assert.throws(() => checkCount(-1, "resendOnReconnect"), {
 *   message: "resendOnReconnect must be a non-negative integer, got -1",
 * });
 * ```
 */
export function checkCount(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * `value` when it is a number of milliseconds of 0 or more (a deadline, where
 * 0 means "give up at once"); otherwise throws a `RangeError` naming `what`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDeadlineMs } from "./options.ts";
 * assert.equal(checkDeadlineMs(0, "stopDeadlineMs"), 0);
 * assert.throws(() => checkDeadlineMs(NaN, "stopDeadlineMs"), {
 *   message: "stopDeadlineMs must be a non-negative number, got NaN",
 * });
 * ```
 */
export function checkDeadlineMs(value: unknown, what: string): number {
  if (typeof value !== "number" || !(value >= 0)) {
    throw new RangeError(`${what} must be a non-negative number, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * The `periodMs` option of a periodic exporter (the Graphite pusher, the
 * file dumper, ...): {@linkcode DEFAULT_PERIOD_MS} when `undefined`, the
 * value when it is a finite number of at least 1, otherwise a `RangeError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPeriodMs } from "./options.ts";
 * assert.equal(checkPeriodMs(undefined), 60_000);
 * assert.equal(checkPeriodMs(250), 250);
 * assert.throws(() => checkPeriodMs(-5), {
 *   name: "RangeError",
 *   message: "periodMs must be a number of at least 1, got -5",
 * });
 * ```
 */
export function checkPeriodMs(value: unknown): number {
  const periodMs = value ?? DEFAULT_PERIOD_MS;
  if (typeof periodMs !== "number" || !Number.isFinite(periodMs) || periodMs < 1) {
    throw new RangeError(`periodMs must be a number of at least 1, got ${describeValue(periodMs)}`);
  }
  return periodMs;
}
