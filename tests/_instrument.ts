/**
 * Test helpers for the request metrics: the stats an adapter recorded, as
 * plain nested objects.
 *
 * @module
 */

import type { PmfSnapshot, StatTree } from "@scales/core";

type ByMethodRoute<T> = Record<string, Record<string, T>>;

/** The snapshot of `/http/server` of `tree`, typed. */
export interface HttpSnapshot {
  readonly requestDuration: Record<string, ByMethodRoute<PmfSnapshot>>;
  readonly activeRequests: Record<string, number>;
  readonly requestBodySize: ByMethodRoute<PmfSnapshot>;
  readonly responseBodySize: ByMethodRoute<PmfSnapshot>;
  readonly errors: ByMethodRoute<number>;
  readonly aborted: ByMethodRoute<number>;
}

/** The recorded HTTP stats of `tree`. */
export function httpStats(tree: StatTree): HttpSnapshot {
  return tree.getStats("/http/server") as unknown as HttpSnapshot;
}

/** How many requests were recorded under (method, route, status), 0 for none. */
export function durationCount(
  tree: StatTree,
  method: string,
  route: string,
  status: string,
): number {
  return httpStats(tree).requestDuration[method]?.[route]?.[status]?.count ?? 0;
}
