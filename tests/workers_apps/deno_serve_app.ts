// A `deno serve --parallel` app for the workers tests: every request counts
// and records `?v=` as a latency; `/spin?ms=&not=` busy-loops a worker other than `not`.
// `instrument` records every request's duration by method, route (the path) and status.
import { collection, IntStat, joinWorkers, PmfStat } from "../../mod.ts";
import { serveInBackground } from "../../http/mod.ts";
import { instrument } from "../../instrument/mod.ts";

const group = joinWorkers();
await group.ready;
const STATS = collection("/web", IntStat("requests"), PmfStat("latency"));
await serveInBackground(Number(Deno.env.get("STATS_PORT")));

export default {
  fetch: instrument(handle, { route: (request) => new URL(request.url).pathname }),
};

function handle(request: Request): Response {
  const url = new URL(request.url);
  if (url.pathname === "/spin") {
    if (url.searchParams.get("not") === group.worker) return new Response("skip");
    const ms = Number(url.searchParams.get("ms"));
    setTimeout(() => {
      const until = Date.now() + ms;
      while (Date.now() < until) { /* busy */ }
    }, 0);
    return new Response(`spin ${group.worker}`);
  }
  STATS.requests += 1;
  STATS.latency.add(Number(url.searchParams.get("v")));
  return new Response(group.worker);
}
