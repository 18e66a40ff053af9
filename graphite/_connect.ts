/**
 * The connection seam: what the pusher needs from a TCP connection, and the
 * selector that loads the Deno or the Node implementation on first use.
 *
 * @module
 */

/** An open connection to a Graphite server, as the pusher uses it. */
export interface GraphiteConnection {
  /**
   * Writes some or all of `bytes` and resolves to how many were written
   * (possibly fewer: the pusher writes the rest). Rejects on a failed write.
   */
  write(bytes: Uint8Array): Promise<number>;
  /** Whether the peer closed the connection or it failed: the pusher reconnects. */
  readonly closed: boolean;
  /** Closes the connection; a pending write rejects. Never throws. */
  close(): void;
}

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
) => Promise<GraphiteConnection>;

/** What the runtime seams provide. */
export interface GraphiteRuntime {
  /** Opens a TCP connection that does not keep the process alive. */
  connect: GraphiteConnector;
  /** The machine's host name, or `undefined` when it cannot be read (no permission). */
  hostname(): string | undefined;
}

let runtime: Promise<GraphiteRuntime> | undefined;

/** The seam for the running runtime: `Deno.connect` on Deno, `node:net` elsewhere. */
export function loadRuntime(): Promise<GraphiteRuntime> {
  runtime ??= typeof (globalThis as { Deno?: unknown }).Deno === "object"
    ? import("./_connect_deno.ts").then((module) => module.runtime)
    : import("./_connect_node.ts").then((module) => module.runtime);
  return runtime;
}
