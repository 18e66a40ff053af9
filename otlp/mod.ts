/**
 * Pushing a stat tree to OpenTelemetry (the Collector, or any backend that
 * takes OTLP) over OTLP/HTTP, protobuf or JSON: once
 * ({@linkcode OtlpPusher}) or every period ({@linkcode OtlpPeriodicPusher}).
 * Settings come from the options, then from the standard `OTEL_*`
 * environment variables. Pushes survive outages in a bounded queue, and
 * the pushers report on themselves under `/scales/otlp`.
 *
 * @example
 * ```ts
 * import { OtlpPeriodicPusher } from "@scales/core/otlp";
 * const pusher = new OtlpPeriodicPusher({ resource: { "service.name": "checkout" } });
 * pusher.doNotLog("/web/byPath");
 * pusher.start();
 * await pusher.stop();
 * ```
 *
 * @module
 */

export {
  type AttributeValue,
  OTLP_SCOPE_NAME,
  OTLP_STATS_PATH,
  type OtlpCompression,
  type OtlpProtocol,
  OtlpPusher,
  type OtlpPusherOptions,
  type PruneRule,
  type StatRule,
} from "./pusher.ts";
export { OtlpPeriodicPusher, type OtlpPeriodicPusherOptions } from "./periodic.ts";
export type { OtlpConfig } from "./_config.ts";
export { RuledPusher } from "../push/ruled_pusher.ts";
