/**
 * One view of the stats of every worker or process of a server:
 * {@linkcode joinWorkers}.
 *
 * @module
 */

export {
  DEFAULT_DEADLINE_MS,
  joinWorkers,
  type JoinWorkersOptions,
  type TransportChoice,
  type WorkerGroup,
} from "./group.ts";
export {
  type MergedPush,
  type PushMergedOptions,
  pushMergedPeriodically,
  type SnapshotPusher,
} from "./push.ts";
