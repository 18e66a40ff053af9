/**
 * Test helpers for the request metrics: the stats an adapter recorded, as
 * plain nested objects.
 *
 * @module
 */

import { request as httpRequest } from "node:http";
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

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` holds, for at most 5 s (stats are recorded when the response closes). */
export async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(25);
}

/** Requests `url` over node:http and goes away after the first chunk of the body. */
export function abortAfterFirstChunk(url: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const request = httpRequest(url, (response) => {
      response.once("data", () => {
        request.destroy();
        resolve();
      });
    });
    request.on("error", () => {});
    request.once("error", reject);
    request.end();
  });
}
