/**
 * A small protobuf writer: varints, zigzag, fixed 64-bit integers, doubles,
 * strings and nested messages, into one growing buffer. Enough for the
 * Prometheus exposition messages and OTLP metrics, with no schema and no
 * per-message objects.
 *
 * Nested messages reserve one byte for their length and move their bytes up
 * in the rare case the length needs more.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

/**
 * Writes protobuf into a growing `Uint8Array`.
 *
 * @example A message with a string, a nested message and a fixed64
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProtobufWriter } from "./_protobuf.ts";
 * const w = new ProtobufWriter(16);
 * w.stringField(1, "hi");
 * const nested = w.begin(2);
 * w.uintField(1, 300);
 * w.end(nested);
 * w.fixed64Field(3, 2 ** 32 + 1);
 * assert.deepEqual([...w.bytes()], [
 *   0x0a, 2, 0x68, 0x69, // field 1: "hi"
 *   0x12, 3, 0x08, 0xac, 0x02, // field 2: { field 1: 300 }
 *   0x19, 1, 0, 0, 0, 1, 0, 0, 0, // field 3: fixed64 2^32 + 1, little-endian
 * ]);
 * ```
 */
export class ProtobufWriter {
  #buffer: Uint8Array<ArrayBuffer>;
  #view: DataView;
  #pos = 0;

  /** Makes a writer with room for `initialBytes` to start with. */
  constructor(initialBytes = 64 * 1024) {
    this.#buffer = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#buffer.buffer);
  }

  #ensure(bytes: number): void {
    if (this.#pos + bytes <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#pos + bytes) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#buffer.subarray(0, this.#pos));
    this.#buffer = bigger;
    this.#view = new DataView(bigger.buffer);
  }

  /** An unsigned varint, for integers from 0 to 2^53. */
  varint(value: number): void {
    this.#ensure(10);
    const buffer = this.#buffer;
    let pos = this.#pos;
    if (value < 0x80000000) {
      let v = value >>> 0;
      while (v >= 0x80) {
        buffer[pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buffer[pos++] = v;
    } else {
      let v = value;
      while (v >= 0x80) {
        buffer[pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      buffer[pos++] = v;
    }
    this.#pos = pos;
  }

  /** A signed integer in zigzag encoding (`sint32`, `sint64`). */
  zigzag(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** A field's tag. */
  tag(field: number, wireType: number): void {
    const tag = field * 8 + wireType;
    if (tag < 0x80) {
      this.#ensure(1);
      this.#buffer[this.#pos++] = tag;
    } else this.varint(tag);
  }

  /** A `uint64`/`uint32`/enum field. */
  uintField(field: number, value: number): void {
    this.tag(field, VARINT);
    this.varint(value);
  }

  /** A `sint32`/`sint64` field. */
  sintField(field: number, value: number): void {
    this.tag(field, VARINT);
    this.zigzag(value);
  }

  /** A `double` field. */
  doubleField(field: number, value: number): void {
    this.tag(field, FIXED64);
    this.#ensure(8);
    this.#view.setFloat64(this.#pos, value, true);
    this.#pos += 8;
  }

  /**
   * A `fixed64` field (an `sfixed64` too, for a value of 0 or more): an
   * integer from 0 to 2^53 as a number, any 64-bit value as a bigint (such
   * as nanoseconds since the epoch).
   */
  fixed64Field(field: number, value: number | bigint): void {
    this.tag(field, FIXED64);
    this.#ensure(8);
    if (typeof value === "bigint") this.#view.setBigUint64(this.#pos, value, true);
    else {
      this.#view.setUint32(this.#pos, value >>> 0, true);
      this.#view.setUint32(this.#pos + 4, Math.floor(value / 0x100000000), true);
    }
    this.#pos += 8;
  }

  /** An `sfixed64` field: an integer from -2^53 to 2^53. */
  sfixed64Field(field: number, value: number): void {
    if (value >= 0) {
      this.fixed64Field(field, value);
      return;
    }
    this.tag(field, FIXED64);
    this.#ensure(8);
    this.#view.setBigInt64(this.#pos, BigInt(value), true);
    this.#pos += 8;
  }

  /** Bytes that are already protobuf (a message encoded once and written many times). */
  raw(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buffer.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** A `string` field. */
  stringField(field: number, value: string): void {
    this.tag(field, LENGTH_DELIMITED);
    const length = value.length;
    this.#ensure(5 + length * 3);
    let ascii = length < 128;
    if (ascii) {
      const buffer = this.#buffer;
      const start = this.#pos + 1;
      for (let i = 0; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        buffer[start + i] = c;
      }
      if (ascii) {
        buffer[this.#pos] = length;
        this.#pos = start + length;
        return;
      }
    }
    const bytes = encoder.encode(value);
    this.varint(bytes.length);
    this.#buffer.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /**
   * Starts a nested message or packed repeated field in `field` (with
   * `field` 0: a length-prefixed record, as in the delimited format);
   * returns its mark for {@linkcode ProtobufWriter.end}.
   */
  begin(field: number): number {
    if (field !== 0) this.tag(field, LENGTH_DELIMITED);
    this.#ensure(1);
    return this.#pos++;
  }

  /** Ends the nested message started at `mark`: writes its length. */
  end(mark: number): void {
    const length = this.#pos - mark - 1;
    if (length < 0x80) {
      this.#buffer[mark] = length;
      return;
    }
    let extra = 0;
    for (let v = length >>> 7; v > 0; v >>>= 7) extra++;
    this.#ensure(extra);
    const buffer = this.#buffer;
    buffer.copyWithin(mark + 1 + extra, mark + 1, this.#pos);
    this.#pos += extra;
    let v = length;
    let pos = mark;
    while (v >= 0x80) {
      buffer[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buffer[pos] = v;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.#buffer.subarray(0, this.#pos);
  }
}
