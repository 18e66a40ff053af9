// One Express server for instrument_bench.ts, run by Node against the built
// package (npm/): `node bench/_express_server.mjs <variant> <port> <routes>`.
// Variants: express-bare, express-scales, express-peer (express-prom-bundle).
// Serves GET /r<i>/:id ("hello") and GET /metrics; prints "ready".
import express from "express";

const [variant, portText, routesText] = process.argv.slice(2);
const port = Number(portText);
const routes = Number(routesText ?? "1");
const app = express();
if (variant === "express-scales") {
  const { expressStats } = await import("../npm/instrument/mod.js");
  const { statsHandler, toNodeListener } = await import("../npm/http/mod.js");
  const metrics = toNodeListener(statsHandler({ prefix: "/status/" }));
  app.use(expressStats());
  app.get("/metrics", (req, res) => metrics(req, res));
} else if (variant === "express-peer") {
  const promBundle = (await import("express-prom-bundle")).default;
  app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
} else if (variant !== "express-bare") {
  throw new Error(`unknown variant ${variant}`);
}
for (let i = 0; i < routes; i++) app.get(`/r${i}/:id`, (_req, res) => res.send("hello"));
app.listen(port, "127.0.0.1", () => console.log("ready"));
