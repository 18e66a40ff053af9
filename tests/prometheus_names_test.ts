import assert from "node:assert/strict";
import { SERIES_CACHE_LIMIT, seriesNames } from "../http/_prometheus_names.ts";

const DISTRIBUTION: readonly string[] = ["", "_sum", "_count"];

Deno.test("seriesNames gives a stem's series names, the same array each time", () => {
  const first = seriesNames("web_latency", DISTRIBUTION);
  assert.deepEqual(first, ["web_latency", "web_latency_sum", "web_latency_count"]);
  assert.equal(seriesNames("web_latency", DISTRIBUTION), first);
});

Deno.test("seriesNames keys by stem and suffix list: a renamed stat gets its new names", () => {
  assert.deepEqual(seriesNames("web_hits", ["_total"]), ["web_hits_total"]);
  assert.deepEqual(seriesNames("web_hits_2", ["_total"]), ["web_hits_2_total"]);
  assert.deepEqual(seriesNames("web_hits", ["_total", "_rate"]), [
    "web_hits_total",
    "web_hits_rate",
  ]);
});

Deno.test("seriesNames keeps at most SERIES_CACHE_LIMIT stems per suffix list, then starts over", () => {
  const suffixes: readonly string[] = ["_x"];
  const kept = seriesNames("stem_0", suffixes);
  for (let i = 1; i < SERIES_CACHE_LIMIT; i++) seriesNames(`stem_${i}`, suffixes);
  assert.equal(seriesNames("stem_0", suffixes), kept); // still cached: the cache is full, not over
  seriesNames("one_more", suffixes); // clears, then keeps only "one_more"
  const again = seriesNames("stem_0", suffixes);
  assert.notEqual(again, kept);
  assert.deepEqual(again, ["stem_0_x"]);
});
