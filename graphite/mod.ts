/**
 * Pushing the stat tree to Graphite (carbon) over the plaintext protocol:
 * once ({@linkcode GraphitePusher}) or every period
 * ({@linkcode GraphitePeriodicPusher}). Pushes survive outages in a bounded
 * queue, names are sanitized against injection, and the pushers report on
 * themselves under `/scales/graphite`.
 *
 * @example
 * ```ts
 * import { GraphitePeriodicPusher } from "@scales/core/graphite";
 * const pusher = new GraphitePeriodicPusher("graphite-collector-hostname", 2003, "my.server.prefix.");
 * pusher.doNotLog("/web/byPath");
 * pusher.start();
 * await pusher.stop();
 * ```
 *
 * @module
 */

export {
  GRAPHITE_STATS_PATH,
  type GraphiteConnection,
  type GraphiteConnector,
  GraphitePusher,
  type GraphitePusherOptions,
  type PruneRule,
  type StatRule,
} from "./pusher.ts";
export { GraphitePeriodicPusher, type GraphitePeriodicPusherOptions } from "./periodic.ts";
export { sanitizeSegment } from "./_format.ts";
export { RuledPusher } from "../push/ruled_pusher.ts";
