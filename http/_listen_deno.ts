/**
 * The listener seam on Deno: `Deno.serve`. It reads `Deno` through
 * `globalThis` with a minimal structural type, so it also type-checks
 * without Deno's types (the npm build).
 *
 * @module
 */

import type { Listen, Listener } from "./_listen.ts";

interface DenoServeOptions {
  hostname: string;
  port: number;
  onListen: (addr: { hostname: string; port: number }) => void;
}

interface DenoHttpServer {
  readonly addr: { readonly hostname: string; readonly port: number };
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

interface DenoServe {
  serve(
    options: DenoServeOptions,
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoHttpServer;
}

/** Starts `Deno.serve`; rejects with Deno's error (such as `AddrInUse`) when it cannot bind. */
export const listen: Listen = ({ hostname, port, handler }) => {
  const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;
  const server = deno.serve({ hostname, port, onListen: () => {} }, handler);
  const listener: Listener = {
    addr: { hostname: server.addr.hostname, port: server.addr.port },
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
  return Promise.resolve(listener);
};
