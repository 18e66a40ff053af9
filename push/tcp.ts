/**
 * {@linkcode TcpTransport}: a line protocol over one TCP connection
 * (Graphite's plaintext protocol): connect with a timeout, write with a
 * timeout per write, reconnect after the peer goes away. The protocol has
 * no acknowledgements, so a new connection tells the pipeline to send the
 * last pushes again.
 *
 * @module
 */

import { describeValue } from "../src/log.ts";
import type { GraphiteConnection, GraphiteConnector } from "../graphite/_connect.ts";
import { timeout } from "./timeout.ts";
import type { QueuedPush } from "./queue.ts";
import type { PushTransport, SendOutcome } from "./transport.ts";

/** Options of {@linkcode TcpTransport}. */
export interface TcpTransportOptions {
  /** Opens connections (the runtime's TCP, or a fake in tests). */
  readonly connector: GraphiteConnector;
  /** How long a connection attempt may take, in milliseconds. */
  readonly connectTimeoutMs: number;
  /** How long one write may take before the connection is dropped as hung, in milliseconds. */
  readonly writeTimeoutMs: number;
}

const encoder = new TextEncoder();

/**
 * Sends batches of text pushes over one TCP connection, joined into one
 * write (written in as many calls as the connection takes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TcpTransport } from "./tcp.ts";
 * const written: Uint8Array[] = [];
 * const transport = new TcpTransport("127.0.0.1", 2003, {
 *   connector: () =>
 *     Promise.resolve({
 *       closed: false,
 *       write: (bytes: Uint8Array) => (written.push(bytes), Promise.resolve(bytes.length)),
 *       close() {},
 *     }),
 *   connectTimeoutMs: 1_000,
 *   writeTimeoutMs: 1_000,
 * });
 * const signal = new AbortController().signal;
 * assert.equal(await transport.connect(signal), true);
 * const push = { payload: "a 1 0\n", values: 1, bytes: 6, timestamp: 0 };
 * assert.deepEqual(await transport.send([push, push], signal), { outcome: "delivered" });
 * assert.equal(new TextDecoder().decode(written[0]), "a 1 0\na 1 0\n");
 * ```
 */
export class TcpTransport implements PushTransport<string> {
  /** `host:port`. */
  readonly peer: string;
  readonly #host: string;
  readonly #port: number;
  readonly #options: TcpTransportOptions;
  #connection: GraphiteConnection | undefined;

  /**
   * @param host The peer's host name or address.
   * @param port The peer's port.
   * @param options The connector and the timeouts.
   */
  constructor(host: string, port: number, options: TcpTransportOptions) {
    this.#host = host;
    this.#port = port;
    this.#options = options;
    this.peer = `${host}:${port}`;
  }

  /** Keeps the open connection, or opens one: `true` when it opened one. */
  async connect(abandon: AbortSignal): Promise<boolean> {
    const current = this.#connection;
    if (current !== undefined) {
      if (!current.closed) return false;
      this.#connection = undefined;
    }
    // Aborted when the attempt times out or is abandoned: the runtime stops
    // connecting, so a peer that never answers holds neither a socket nor the process.
    const cancel = new AbortController();
    const attempt = this.#options.connector(this.#host, this.#port, cancel.signal);
    try {
      this.#connection = await timeout(attempt, this.#options.connectTimeoutMs, "connect", abandon);
    } catch (error) {
      cancel.abort();
      // A connection that arrives after the timeout is closed, not leaked.
      attempt.then((late) => late.close(), () => {});
      throw error;
    }
    return true;
  }

  /** Writes the batch's text; a failed or hung write drops the connection (retry after a reconnect). */
  async send(batch: readonly QueuedPush<string>[], abandon: AbortSignal): Promise<SendOutcome> {
    const connection = this.#connection;
    if (connection === undefined) {
      return { outcome: "retry", reason: `not connected to ${this.peer}` };
    }
    let text = "";
    for (const push of batch) text += push.payload;
    try {
      await this.#writeAll(connection, encoder.encode(text), abandon);
      return { outcome: "delivered" };
    } catch (error) {
      // Written again whole on reconnect: carbon keeps one value per
      // timestamp, so a partly delivered push is simply repeated.
      connection.close();
      if (this.#connection === connection) this.#connection = undefined;
      return { outcome: "retry", reason: `writing to ${this.peer} failed; will reconnect`, error };
    }
  }

  /** Closes the connection, if any. */
  close(): void {
    this.#connection?.close();
    this.#connection = undefined;
  }

  async #writeAll(
    connection: GraphiteConnection,
    bytes: Uint8Array,
    abandon: AbortSignal,
  ): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      if (connection.closed) throw new Error("the connection was closed by the peer");
      const written = await timeout(
        connection.write(bytes.subarray(offset)),
        this.#options.writeTimeoutMs,
        "write",
        abandon,
      );
      if (!Number.isInteger(written) || written <= 0 || written > bytes.length - offset) {
        throw new Error(`write reported ${describeValue(written)} bytes written`);
      }
      offset += written;
    }
  }
}
