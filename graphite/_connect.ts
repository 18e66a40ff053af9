/**
 * The connection seam of the pusher: the connector type its `connector`
 * option takes, and the runtime's TCP connect and host name (from the
 * runtime adapter, `runtime/`).
 *
 * @module
 */

import { type Connection, runtime, type RuntimeAdapter } from "../runtime/mod.ts";

export type { Connection as GraphiteConnection } from "../runtime/mod.ts";

/**
 * Opens a connection to `host:port`. Inject one into a pusher to test it
 * without a network, or to add TLS or a proxy. The pusher aborts `signal`
 * when it stops waiting (the connect timeout, or `close()` past its
 * deadline): stop connecting then.
 */
export type GraphiteConnector = (
  host: string,
  port: number,
  signal?: AbortSignal,
) => Promise<Connection>;

/** What the pusher uses from the runtime: a TCP connect that does not keep the process alive, and the host name. */
export type GraphiteRuntime = Pick<RuntimeAdapter, "connect" | "hostname">;

/** The running runtime's adapter (Deno, Node or Bun), as a promise for the pusher's call sites. */
export function loadRuntime(): Promise<GraphiteRuntime> {
  return Promise.resolve(runtime());
}
