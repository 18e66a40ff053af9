/**
 * {@linkcode groupStatsHandler}: the stats viewer over the merged view of a
 * group of workers (see `joinWorkers`).
 *
 * @module
 */

import { type GroupViews, missingOf } from "../src/_group_registry.ts";
import { statsHandler, type StatsHandlerOptions } from "./handler.ts";

/**
 * The stats viewer ({@linkcode statsHandler}) for a tree that has joined a
 * group of workers: every answer shows the whole group, merged, within the
 * group's deadline; `?worker=<name>` shows one worker alone (404 naming
 * the workers when there is none of that name). The HTML page lists the
 * workers, each a `?worker=<name>` link, and names those missing from the
 * answer (unless `options.workers` says otherwise). `serveInBackground` uses it
 * by itself for a joined tree; mount it in your own server otherwise.
 *
 * @example
 * ```ts
 * import { IntStat, joinWorkers, StatTree } from "@scales/core";
 * import { groupStatsHandler } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * const tree = new StatTree();
 * tree.collection("/web", IntStat("requests")).requests += 1;
 * await using group = joinWorkers({ tree, group: "example-handler" });
 * const viewer = groupStatsHandler(group);
 * const response = await viewer(new Request("http://localhost/status/web?format=json"));
 * assert.deepEqual(await response.text(), '{"requests":1}');
 * ```
 */
export function groupStatsHandler(
  group: GroupViews,
  options: Omit<StatsHandlerOptions, "tree"> = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    let worker: string | undefined;
    try {
      worker = new URL(request.url).searchParams.get("worker") ?? undefined;
    } catch {
      worker = undefined;
    }
    const tree = await group.view(worker);
    if (tree === undefined) {
      return new Response(
        `no worker named ${JSON.stringify(worker)}; the group has ${group.workers.join(", ")}\n`,
        {
          status: 404,
          headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
        },
      );
    }
    const names = [...group.workers].sort();
    const missing = missingOf(tree);
    const workers = options.workers ?? (() => ({ names, selected: worker, missing }));
    return statsHandler({ ...options, tree, workers })(request);
  };
}
