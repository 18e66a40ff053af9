/**
 * scales: an in-process stat tree for servers. Declare counters, gauges,
 * dict counters, timers and rate meters in named collections; read them as
 * one JSON snapshot, browse them over HTTP, push them to Graphite.
 *
 * @example Count requests and read the snapshot
 * ```ts
 * import * as scales from "@scales/core";
 * import assert from "node:assert/strict";
 * scales.reset();
 * const STATS = scales.collection("/web", scales.IntStat("errors"), scales.IntStat("success"));
 * STATS.success += 1;
 * assert.deepEqual(scales.getStats(), { web: { errors: 0, success: 1 } });
 * ```
 *
 * @module
 */

export type {
  Aggregator,
  CellContext,
  Snapshot,
  SnapshotValue,
  StatCell,
  StatKind,
  StatSpec,
  StatValueOf,
} from "./src/stat.ts";
export { type StatUnit, withMetricName, withUnit } from "./src/stat.ts";
export { DoubleStat, type GaugeValue, IntStat, Stat } from "./src/basic_stats.ts";
export {
  type AutoDeleteOptions,
  DEFAULT_MAX_KEYS,
  type DictStatOptions,
  type IntDict,
  type IntDictMethods,
  IntDictStat,
  OVERFLOW_KEY,
  type StringDict,
  StringDictStat,
} from "./src/dict_stats.ts";
export {
  HistogramAggregationStat,
  IntDictSumAggregationStat,
  SumAggregationStat,
} from "./src/aggregation.ts";
export { StateTimeStat } from "./src/state_time.ts";
export {
  type PercentileField,
  PERCENTILES,
  Pmf,
  type PmfAggregate,
  PmfAggregationStat,
  type PmfOptions,
  type PmfSnapshot,
  PmfStat,
  Timer,
} from "./src/pmf.ts";
export { Meter, type MeterSnapshot, MeterStat, type RateField, RATES } from "./src/meter.ts";
export {
  type CounterFamily,
  type Distribution,
  type DistributionFamily,
  type ErrorFamily,
  type FamilyBase,
  type GaugeFamily,
  type KindFamily,
  METRIC_KINDS,
  metricFamilies,
  type MetricFamily,
  type MetricKind,
  type MetricPoint,
  type Rate,
  type RateFamily,
  STAT_KINDS,
  type TextFamily,
} from "./src/model.ts";
export type { BucketRun, ExponentialHistogramData } from "./src/exponential_histogram.ts";
export {
  Counter,
  Gauge,
  type Labelled,
  LabelledCounterStat,
  LabelledGaugeStat,
  LabelledPmfStat,
  type LabelledStatOptions,
  type LabelValues,
} from "./src/labelled_stats.ts";
export {
  DEFAULT_PMF_DICT_MAX_KEYS,
  type MeterDict,
  MeterDictStat,
  NamedPmfDictStat,
  type PmfDict,
} from "./src/keyed_stats.ts";
export {
  collection,
  defineStats,
  init,
  initChild,
  type OwnedStats,
  release,
  type Stats,
} from "./src/collection.ts";
export {
  defaultTree,
  errorMarker,
  findNode,
  getStats,
  isErrorMarker,
  readCell,
  reset,
  setCollapsed,
  type StatNode,
  StatTree,
} from "./src/tree.ts";
export {
  type CellHeader,
  type CellState,
  type GaugeMerge,
  type LabelledPmfState,
  type MeterState,
  type NodeState,
  type NumberTree,
  type PmfState,
  retiredState,
  treeState,
  withWorkerMerge,
} from "./src/worker_state.ts";
export { type MergeOptions, mergeStates, type WorkerState } from "./src/worker_merge.ts";
export type { SketchState, SparseBuckets } from "./src/_sketch.ts";
export type { GroupViews } from "./src/_group_registry.ts";
export { type Logger, setLogger } from "./src/log.ts";
export {
  collectRuntimeStats,
  DEFAULT_LOOP_RESOLUTION_MS,
  type RuntimeStats,
  type RuntimeStatsOptions,
} from "./src/runtime_stats.ts";
export {
  CHARTED_QUANTILES,
  type HistoryData,
  StatHistory,
  type StatHistoryOptions,
} from "./src/history.ts";
export * from "./http/mod.ts";
export * from "./graphite/mod.ts";
export * from "./forensics/mod.ts";
export * from "./otlp/mod.ts";
export * from "./instrument/mod.ts";
export * from "./workers/mod.ts";
