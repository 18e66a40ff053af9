/**
 * {@linkcode toNodeListener}: the stats viewer (or any web handler that
 * reads no request body) as a `node:http` request listener, for Node servers
 * and frameworks built on them (Express, Fastify's raw request/response).
 *
 * The parameter types are the few members the adapter uses, so this module
 * needs no Node type declarations and runs on any runtime.
 *
 * @module
 */

import { log } from "../src/log.ts";

/** The members of Node's `IncomingMessage` the adapter reads. */
export interface NodeRequestLike {
  /** The request method, such as `GET`. */
  readonly method?: string;
  /** The request target, such as `/status/web?format=json`. */
  readonly url?: string;
  /** The request headers, lower-cased. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The members of Node's `ServerResponse` the adapter writes. */
export interface NodeResponseLike {
  /** Whether the status line has gone out. */
  readonly headersSent: boolean;
  /** Sends the status line and headers. */
  writeHead(status: number, headers: Record<string, string | string[]>): unknown;
  /** Sends the body (if any) and finishes the response. */
  end(body?: Uint8Array): unknown;
}

/** `http://<host>` for a Host header, or `http://localhost` when it is missing or not a host. */
function originOf(host: string | null): string {
  if (host === null) return "http://localhost";
  try {
    return new URL(`http://${host}`).origin;
  } catch {
    return "http://localhost";
  }
}

/** The request to hand a web handler for a Node request (the body is not forwarded). */
function toWebRequest(incoming: NodeRequestLike): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) { for (const v of value) headers.append(name, v); }
    else headers.set(name, value);
  }
  const base = originOf(headers.get("host"));
  return new Request(new URL(incoming.url ?? "/", base), {
    method: incoming.method ?? "GET",
    headers,
  });
}

/** Writes a web `Response` to a Node response; `head` sends no body. */
async function sendWebResponse(
  response: Response,
  outgoing: NodeResponseLike,
  head = false,
): Promise<void> {
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
  outgoing.writeHead(response.status, headers);
  outgoing.end(body);
}

/**
 * Wraps a web handler, such as {@linkcode statsHandler}'s, as a Node
 * request listener `(req, res) => Promise<void>`. It never rejects: a
 * handler that fails is logged and answered with 500. Request bodies are not
 * forwarded (the viewer answers GET and HEAD only).
 *
 * @example Mount the viewer in a node:http server
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { statsHandler, toNodeListener } from "@scales/core/http";
 *
 * const stats = toNodeListener(statsHandler({ serverName: "api-7" }));
 * createServer((req, res) => {
 *   if (req.url?.startsWith("/status/") || req.url === "/metrics") return stats(req, res);
 *   res.end("hello");
 * }).listen(3000);
 * ```
 *
 * @example Answer a request
 * ```ts
 * import { collection, IntStat, reset } from "@scales/core";
 * import { statsHandler, toNodeListener } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * reset();
 * collection("/web", IntStat("requests", 3));
 * const listener = toNodeListener(statsHandler());
 * let status = 0;
 * let text = "";
 * await listener(
 *   { method: "GET", url: "/status/web?format=json", headers: { host: "127.0.0.1" } },
 *   {
 *     headersSent: false,
 *     writeHead: (code) => (status = code),
 *     end: (body) => (text = new TextDecoder().decode(body)),
 *   },
 * );
 * assert.equal(status, 200);
 * assert.equal(text, '{"requests":3}');
 * ```
 */
export function toNodeListener(
  handler: (request: Request) => Response | Promise<Response>,
): (incoming: NodeRequestLike, outgoing: NodeResponseLike) => Promise<void> {
  return async (incoming, outgoing) => {
    try {
      const response = await handler(toWebRequest(incoming));
      await sendWebResponse(response, outgoing, incoming.method === "HEAD");
    } catch (error) {
      log("stats viewer: failed to answer a request", error);
      try {
        if (!outgoing.headersSent) {
          outgoing.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        }
        outgoing.end();
      } catch {
        // The connection is gone; nothing more to do.
      }
    }
  };
}
