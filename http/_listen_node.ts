/**
 * The listener seam on Node: a `node:http` server whose requests go through
 * {@linkcode toNodeListener}.
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { log } from "../src/log.ts";
import type { Listen, Listener } from "./_listen.ts";
import { toNodeListener } from "./node_listener.ts";

/** Starts a `node:http` server; rejects with Node's error (such as `EADDRINUSE`) when it cannot bind. */
export const listen: Listen = ({ hostname, port, handler }) => {
  return new Promise<Listener>((resolve, reject) => {
    const listener = toNodeListener(handler);
    const server = createServer((incoming, outgoing) => {
      void listener(incoming, outgoing);
    });
    let resolveFinished!: () => void;
    const finished = new Promise<void>((done) => (resolveFinished = done));
    server.once("close", () => resolveFinished());
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      server.on("error", (error) => log("stats viewer: server error", error));
      const address = server.address() as AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        addr: { hostname: address.address, port: address.port },
        finished,
        shutdown: () =>
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
};
