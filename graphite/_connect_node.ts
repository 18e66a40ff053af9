/**
 * The Node connection seam: `node:net` sockets and `node:os` host name.
 *
 * @module
 */

import { createConnection, type Socket } from "node:net";
import { hostname } from "node:os";
import type { GraphiteConnection, GraphiteRuntime } from "./_connect.ts";

class NodeConnection implements GraphiteConnection {
  #socket: Socket;
  #closed = false;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.unref();
    // Graphite never sends anything: data is discarded, the end is a close.
    socket.on("data", () => {});
    socket.on("end", () => this.close());
    socket.on("close", () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new Error("connection is closed"));
        return;
      }
      // The callback runs once the bytes reached the kernel: that is the
      // backpressure a slow peer exerts.
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
  }
}

/** The Node runtime seam. */
export const runtime: GraphiteRuntime = {
  connect(host, port, signal) {
    return new Promise((resolve, reject) => {
      // An abort destroys the socket while it connects (and rejects with an AbortError).
      const socket = createConnection({ host, port, signal });
      // An error after connecting only closes the connection: never an uncaught event.
      socket.on("error", (error) => reject(error));
      socket.once("connect", () => {
        socket.setNoDelay(true);
        resolve(new NodeConnection(socket));
      });
    });
  },
  hostname() {
    try {
      return hostname();
    } catch {
      return undefined;
    }
  },
};
