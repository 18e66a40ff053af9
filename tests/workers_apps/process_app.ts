// An independent server process for the workers tests (several run side by
// side, each on its own APP_PORT, all sharing SCALES_DIR and STATS_PORT).
import { createServer } from "node:http";
import process from "node:process";
import { collection, IntStat, joinWorkers, PmfStat } from "../../mod.ts";
import { serveInBackground } from "../../http/mod.ts";

const env = process.env;
const group = joinWorkers({ transport: "directory", directory: env.SCALES_DIR });
await group.ready;
const STATS = collection("/web", IntStat("requests"), PmfStat("latency"));
await serveInBackground(Number(env.STATS_PORT));
createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://x");
  STATS.requests += 1;
  STATS.latency.add(Number(url.searchParams.get("v")));
  response.end(group.worker);
}).listen(Number(env.APP_PORT), "127.0.0.1");
