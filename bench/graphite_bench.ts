/**
 * Benchmarks the Graphite pusher.
 *
 * - `format`: turning a snapshot of 10,000 numeric series into Graphite
 *   plaintext lines, against hot-shots (StatsD client, mock mode: it builds
 *   and buffers its lines without sending) and a plain StatsD line builder
 *   as reference points. Bytes per push are printed once at start.
 * - `deliver`: one push of 10,000 series, formatted and written to a local
 *   carbon-cache (started by the test harness; skipped without one).
 *
 * Run with `deno bench -A bench/graphite_bench.ts`.
 *
 * @module
 */
// Peers are dev dependencies (package.json), never imported by the library.
import StatsD from "hot-shots";
import type { Snapshot } from "../src/stat.ts";
import { setLogger } from "../src/log.ts";
import { formatSnapshot, sanitizePrefix } from "../graphite/_format.ts";
import { GraphitePusher } from "../graphite/pusher.ts";
import { Carbon, haveBinary } from "../tests/_carbon.ts";

/** Series per push. */
const SERIES = 10_000;

/** A snapshot shaped like a busy server's: 100 containers of 100 stats. */
function makeSnapshot(): Snapshot {
  const snapshot: Snapshot = {};
  for (let c = 0; c < 100; c++) {
    const container: Snapshot = {};
    for (let s = 0; s < 100; s++) container[`stat_${s}`] = (c * 100 + s) * 1.5;
    snapshot[`service${c}`] = container;
  }
  return snapshot;
}

const SNAPSHOT = makeSnapshot();
/** The same series as flat (name, value) pairs, for the StatsD builders. */
const FLAT: Array<[string, number]> = [];
for (const [c, container] of Object.entries(SNAPSHOT)) {
  for (const [s, value] of Object.entries(container as Snapshot)) {
    FLAT.push([`${c}.${s}`, value as number]);
  }
}

const PREFIX = sanitizePrefix("bench.host");
const TIMESTAMP = 1_800_000_000;
const encoder = new TextEncoder();

function graphiteLines(): string {
  return formatSnapshot(SNAPSHOT, PREFIX, TIMESTAMP).text;
}

function statsdLines(): string {
  let text = "";
  for (const [name, value] of FLAT) text += `bench.host.${name}:${value}|g\n`;
  return text;
}

const hotShots = new StatsD({ mock: true, prefix: "bench.host." });
function hotShotsLines(): number {
  hotShots.mockBuffer = [];
  for (const [name, value] of FLAT) hotShots.gauge(name, value);
  return hotShots.mockBuffer?.length ?? 0;
}

hotShotsLines();
console.log(
  `bytes per push of ${SERIES} series: graphite ${encoder.encode(graphiteLines()).length}, ` +
    `statsd ${encoder.encode(statsdLines()).length}, ` +
    `hot-shots ${encoder.encode((hotShots.mockBuffer ?? []).join("\n") + "\n").length}`,
);

Deno.bench("graphite: format 10,000 series (scales)", { group: "format", baseline: true }, () => {
  graphiteLines();
});

Deno.bench("graphite: format + encode 10,000 series (scales)", { group: "format" }, () => {
  encoder.encode(graphiteLines());
});

Deno.bench("statsd: plain line builder, 10,000 gauges", { group: "format" }, () => {
  statsdLines();
});

Deno.bench("statsd: hot-shots (mock), 10,000 gauges", { group: "format" }, () => {
  hotShotsLines();
});

// Delivery to a real carbon-cache, when one can be started.
const carbon = haveBinary("carbon-cache") ? await Carbon.start() : undefined;
if (carbon === undefined) console.warn("carbon-cache not installed: skipping the deliver bench");
setLogger(() => {});
let pushes = 0;
const pusher = carbon === undefined ? undefined : new GraphitePusher(
  "127.0.0.1",
  carbon.port,
  "bench",
  // A new timestamp per push, so carbon keeps every point.
  { clock: () => (TIMESTAMP - 3600 + pushes++) * 1000 },
);

Deno.bench({
  name: "graphite: push 10,000 series to a local carbon-cache",
  group: "deliver",
  ignore: pusher === undefined,
  n: 60,
  warmup: 5,
  async fn() {
    if (!(await pusher!.push(SNAPSHOT))) throw new Error("push not delivered");
  },
});

globalThis.addEventListener("unload", () => {
  hotShots.close();
  carbon?.killSync();
});
