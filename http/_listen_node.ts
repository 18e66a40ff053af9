/**
 * The listener seam on Node: `node:http`, translating `IncomingMessage` to a
 * web `Request` and a web `Response` back to `ServerResponse`.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { log } from "../src/log.ts";
import type { Listen, Listener } from "./_listen.ts";

function toRequest(incoming: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) { for (const v of value) headers.append(name, v); }
    else headers.set(name, value);
  }
  const method = incoming.method ?? "GET";
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (method !== "GET" && method !== "HEAD") {
    init.body = Readable.toWeb(incoming) as unknown as ReadableStream<Uint8Array>;
    init.duplex = "half";
  }
  return new Request(new URL(incoming.url ?? "/", origin), init);
}

async function send(response: Response, outgoing: ServerResponse, head: boolean): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const body = head || response.body === null
    ? undefined
    : new Uint8Array(await response.arrayBuffer());
  if (body !== undefined) headers["content-length"] = String(body.byteLength);
  outgoing.writeHead(response.status, response.statusText, headers);
  outgoing.end(body);
}

/** Starts a `node:http` server; rejects with Node's error (such as `EADDRINUSE`) when it cannot bind. */
export const listen: Listen = ({ hostname, port, handler }) => {
  return new Promise<Listener>((resolve, reject) => {
    let origin = `http://${hostname}`;
    const server = createServer((incoming, outgoing) => {
      (async () => {
        const response = await handler(toRequest(incoming, origin));
        await send(response, outgoing, incoming.method === "HEAD");
      })().catch((error) => {
        log("stats viewer: failed to answer a request", error);
        if (!outgoing.headersSent) {
          outgoing.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        }
        outgoing.end();
      });
    });
    let resolveFinished!: () => void;
    const finished = new Promise<void>((done) => (resolveFinished = done));
    server.once("close", () => resolveFinished());
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      server.on("error", (error) => log("stats viewer: server error", error));
      const address = server.address() as AddressInfo;
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      origin = `http://${host}:${address.port}`;
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
