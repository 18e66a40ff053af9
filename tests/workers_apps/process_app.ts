// An independent server process for the workers tests (several run side by
// side, all sharing SCALES_DIR and STATS_PORT); each listens on a port of its
// own, which it prints as `listening <port>`.
import { createServer } from "node:http";
import process from "node:process";
import { collection, IntStat, joinWorkers, PmfStat } from "../../mod.ts";
import { serveInBackground } from "../../http/mod.ts";

const env = process.env;
const group = joinWorkers({
  transport: "directory",
  directory: env.SCALES_DIR,
  deadlineMs: Number(env.DEADLINE_MS ?? 1_000),
});
await group.ready;
const STATS = collection("/web", IntStat("requests"), PmfStat("latency"));
await serveInBackground(Number(env.STATS_PORT));
createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://x");
  STATS.requests += 1;
  STATS.latency.add(Number(url.searchParams.get("v")));
  response.end(group.worker);
}).listen(0, "127.0.0.1", function (this: { address(): { port: number } }) {
  console.log(`listening ${this.address().port}`);
});
