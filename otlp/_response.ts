/**
 * What an OTLP/HTTP receiver answers to a delivered request, read without
 * a schema library: the partial success of `ExportMetricsServiceResponse`,
 * in protobuf or JSON. Anything unreadable reads as nothing: an answer
 * never fails a delivery.
 *
 * @module
 */

/** A receiver's partial success: data points it refused, and why. */
export interface PartialSuccess {
  /** `rejected_data_points`. */
  readonly rejectedDataPoints: number;
  /** `error_message`, or `""`. */
  readonly errorMessage: string;
}

const LENGTH_DELIMITED = 2;

/** The fields of one protobuf message: number → varint value or bytes (last one wins). */
function fields(bytes: Uint8Array): Map<number, number | Uint8Array> | undefined {
  const out = new Map<number, number | Uint8Array>();
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) throw new RangeError("truncated varint");
      const byte = bytes[pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new RangeError("varint too long");
  };
  try {
    while (pos < bytes.length) {
      const key = varint();
      const field = Math.floor(key / 8);
      switch (key & 7) {
        case 0:
          out.set(field, varint());
          break;
        case 1:
          pos += 8;
          break;
        case LENGTH_DELIMITED: {
          const length = varint();
          if (pos + length > bytes.length) return undefined;
          out.set(field, bytes.subarray(pos, pos + length));
          pos += length;
          break;
        }
        case 5:
          pos += 4;
          break;
        default:
          return undefined;
      }
    }
  } catch {
    return undefined;
  }
  return pos === bytes.length ? out : undefined;
}

function text(value: number | Uint8Array | undefined): string {
  if (!(value instanceof Uint8Array)) return "";
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(value);
  } catch {
    return "";
  }
}

function parseJson(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The partial success in a 2xx answer's body, or `undefined` when it holds
 * none (an empty body, nothing refused and no message, or not readable).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readPartialSuccess } from "./_response.ts";
 * assert.deepEqual(
 *   readPartialSuccess(
 *     new TextEncoder().encode('{"partialSuccess":{"rejectedDataPoints":"2","errorMessage":"NaN"}}'),
 *     "application/json",
 *   ),
 *   { rejectedDataPoints: 2, errorMessage: "NaN" },
 * );
 * assert.equal(readPartialSuccess(new Uint8Array(0), "application/x-protobuf"), undefined);
 * ```
 */
export function readPartialSuccess(
  body: Uint8Array,
  contentType: string,
): PartialSuccess | undefined {
  if (body.length === 0) return undefined;
  let rejected = 0;
  let message = "";
  if (contentType.includes("json")) {
    const partial = parseJson(body)?.partialSuccess;
    if (typeof partial !== "object" || partial === null) return undefined;
    const { rejectedDataPoints, errorMessage } = partial as Record<string, unknown>;
    const n = Number(rejectedDataPoints ?? 0);
    rejected = Number.isFinite(n) && n > 0 ? n : 0;
    message = typeof errorMessage === "string" ? errorMessage : "";
  } else {
    const inner = fields(body)?.get(1);
    if (!(inner instanceof Uint8Array)) return undefined;
    const partial = fields(inner);
    if (partial === undefined) return undefined;
    const n = partial.get(1);
    rejected = typeof n === "number" ? n : 0;
    message = text(partial.get(2));
  }
  return rejected === 0 && message === "" ? undefined : {
    rejectedDataPoints: rejected,
    errorMessage: message,
  };
}
