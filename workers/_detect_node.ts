/**
 * Whether this process is one of a group of processes: a node:cluster worker
 * (node:cluster, PM2 cluster mode) or a PM2 instance. Loaded only for
 * `transport: "auto"`; Deno and Bun provide these `node:` modules.
 *
 * @module
 */

import cluster from "node:cluster";
import process from "node:process";

/** Whether this process is a cluster worker or runs under PM2. */
export function isGroupProcess(): boolean {
  try {
    return cluster.isWorker || process.env.pm_id !== undefined;
  } catch {
    return false; // Deno without --allow-env
  }
}
