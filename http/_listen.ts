/**
 * The listener seam: the one capability the viewer needs from a runtime.
 * `_listen_deno.ts` implements it with `Deno.serve`, `_listen_node.ts` with
 * `node:http`; `serve.ts` loads the right one on first use.
 *
 * @module
 */

/** The address a listener is bound to. */
export interface ListenAddr {
  /** The bound host, such as `127.0.0.1`. */
  readonly hostname: string;
  /** The bound port (the one picked when `0` was asked for). */
  readonly port: number;
}

/** What a listener needs. */
export interface ListenOptions {
  readonly hostname: string;
  readonly port: number;
  readonly handler: (request: Request) => Response | Promise<Response>;
}

/** A running listener. */
export interface Listener {
  readonly addr: ListenAddr;
  /** Settles when the listener has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting, closes connections, and resolves once stopped. */
  shutdown(): Promise<void>;
}

/** Starts a listener; rejects with the runtime's error when it cannot bind. */
export type Listen = (options: ListenOptions) => Promise<Listener>;

/** Whether an error from a runtime means the address is taken. */
export function isAddrInUse(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === "AddrInUse" || code === "EADDRINUSE";
}
