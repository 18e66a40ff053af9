/**
 * The Deno connection seam: `Deno.connect`, read through `globalThis` with a
 * minimal structural type so this file also type-checks without Deno types.
 *
 * @module
 */

import type { GraphiteConnection, GraphiteRuntime } from "./_connect.ts";

interface DenoConn {
  write(bytes: Uint8Array): Promise<number>;
  read(buffer: Uint8Array): Promise<number | null>;
  close(): void;
  unref(): void;
  setNoDelay(noDelay?: boolean): void;
}

interface DenoApi {
  connect(
    options: { hostname: string; port: number; transport: "tcp"; signal?: AbortSignal },
  ): Promise<DenoConn>;
  hostname(): string;
}

const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

class DenoConnection implements GraphiteConnection {
  #conn: DenoConn;
  #closed = false;

  constructor(conn: DenoConn) {
    this.#conn = conn;
    conn.unref();
    this.#watch();
  }

  /**
   * Graphite never sends anything on the plaintext port, so a read that
   * ends means the peer closed: noticing it early keeps the next push from
   * vanishing into a half-closed socket.
   */
  async #watch(): Promise<void> {
    const buffer = new Uint8Array(512);
    try {
      while ((await this.#conn.read(buffer)) !== null) {
        // Discard anything the peer sends.
      }
    } catch {
      // A failed read is a closed connection too.
    }
    this.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Uint8Array): Promise<number> {
    return this.#conn.write(bytes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** The Deno runtime seam. */
export const runtime: GraphiteRuntime = {
  async connect(host, port, signal) {
    const conn = await deno.connect({ hostname: host, port, transport: "tcp", signal });
    return new DenoConnection(conn);
  },
  hostname() {
    try {
      return deno.hostname();
    } catch {
      return undefined;
    }
  },
};
