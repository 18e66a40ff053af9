/**
 * The viewer's charts in a real browser: a counter as its rate per second
 * (checked against the requests actually sent), hover and keyboard
 * read-outs, a latency y axis in milliseconds, meters as three lines told
 * apart by dash as well as colour, one time axis for every chart, values
 * for screen readers; the server's history drawn as soon as a page opens;
 * no charts with JavaScript off; a phone-width page without sideways
 * scrolling; no console errors.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { BrowserContext, Page } from "playwright-core";
import {
  collectRuntimeStats,
  IntStat,
  MeterStat,
  PmfStat,
  StatHistory,
  StatTree,
} from "@scales/core";
import { serveInBackground, type StatsServer } from "@scales/core/http";
import { skipUnless } from "./_system.ts";
import { CHROMIUM, closeAll, consoleErrorsOf, launchBrowser } from "./_browser.ts";

/** The bits of the browser's globals the page functions use (no DOM types here). */
interface BrowserGlobals {
  document: {
    querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>;
    documentElement: { scrollWidth: number };
  };
}

const skip = await skipUnless(CHROMIUM);

/** Requests per second the load generator sends. */
const RATE = 40;

/** A tree with an application's stats, and an app server that counts its requests in them. */
async function startApp(tree: StatTree): Promise<{ server: Server; url: string }> {
  const web = tree.collection("/web", IntStat("requests"), PmfStat("latency"), MeterStat("hits"));
  let n = 0;
  const server = createServer((_request, response) => {
    n += 1;
    web.requests += 1;
    web.latency.add(5 + (n % 10));
    web.hits.mark();
    response.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/**
 * Sends `RATE` requests per second to `url`, paced on the clock (a late tick
 * catches up), until stopped. Returns the stopper and the count sent.
 */
function load(url: string): { stop(): Promise<void>; sent(): number } {
  const start = Date.now();
  let sent = 0;
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const due = Math.floor((Date.now() - start) / 1000 * RATE);
    for (; sent < due; sent++) {
      const p = fetch(url).then((r) => r.body?.cancel()).catch(() => {}).finally(() =>
        pending.delete(p)
      );
      pending.add(p);
    }
  }, 10);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
    sent: () => sent,
  };
}

/** A number as the page prints it: `1,234.5/s` → 1234.5. */
function numberIn(text: string): number {
  return Number(text.replace(/[^\d.\-]/g, ""));
}

/** Copies a screenshot out of the temporary folder when `SCALES_KEEP_SCREENSHOT_DIR` names a folder. */
function keep(file: string): void {
  const dir = process.env.SCALES_KEEP_SCREENSHOT_DIR;
  if (dir) copyFileSync(file, join(dir, file.slice(file.lastIndexOf("/") + 1)));
}

/** Waits until the first polyline matching `selector` has at least `n` points. */
async function waitForPoints(page: Page, selector: string, n: number): Promise<void> {
  await page.waitForFunction(
    ([selector, n]) => {
      const line = (globalThis as unknown as BrowserGlobals).document.querySelectorAll(
        selector as string,
      )[0];
      return (line?.getAttribute("points") ?? "").split(" ").length >= (n as number);
    },
    [selector, n],
    { timeout: 20_000, polling: 200 },
  );
}

async function pointCount(page: Page, selector: string): Promise<number> {
  return ((await page.getAttribute(selector, "points")) ?? "").split(" ").length;
}

const REQUESTS = 'tr[data-name="requests"] > td.chart';
const LATENCY = 'tr[data-name="latency"] > td.chart';
const HITS = 'tr[data-name="hits"] > td.chart';

describe("the viewer's charts in headless Chromium", { skip }, () => {
  const tree = new StatTree();
  let app: { server: Server; url: string };
  let generator: ReturnType<typeof load>;
  let viewer: StatsServer;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  let consoleErrors: string[] = [];

  before(async () => {
    app = await startApp(tree);
    generator = load(app.url);
    collectRuntimeStats({ tree });
    viewer = await serveInBackground(0, { serverName: "charts test", tree });
    dir = mkdtempSync(join(tmpdir(), "scales-charts-"));
    context = await launchBrowser(dir);
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    consoleErrors = consoleErrorsOf(page);
  });

  after(async () => {
    await generator?.stop();
    await closeAll(context, viewer, app?.server, dir);
    tree.reset();
  });

  it("draws no charts while auto-refresh is off and the server keeps no history", async () => {
    await page.goto(viewer.url);
    assert.equal(await page.locator("svg").count(), 0);
  });

  it("charts a counter as its rate per second, within 10% of the requests sent", async () => {
    await page.setViewportSize({ width: 1100, height: 800 });
    await page.goto(`${viewer.url}web/?refresh=1`);
    await waitForPoints(page, `${REQUESTS} polyline.l0`, 6);
    await page.uncheck("#auto");
    // Every point's value, read out with the keys; their median, since a
    // late timer in the load generator moves requests between neighbours.
    await page.focus(`${REQUESTS} svg.chart`);
    await page.keyboard.press("Home");
    const readouts = new Set<string>();
    for (let i = 0; i < 30; i++) {
      readouts.add(await page.textContent(`${REQUESTS} .readout`) ?? "");
      await page.keyboard.press("ArrowRight");
    }
    const points = [...readouts].map((text) => numberIn(text.split("  ")[1]));
    const median = [...points].sort((a, b) => a - b)[Math.floor(points.length / 2)];
    assert.ok(points.length >= 5, `${points.length} rates: ${points.join(", ")}`);
    assert.ok(
      Math.abs(median - RATE) <= RATE * 0.1,
      `the chart's median rate is ${median}/s (${points.join(", ")}), ${RATE}/s were sent`,
    );
    assert.match(await page.textContent(`${REQUESTS} .k + .k`) ?? "", /total [\d,]+$/);
  });

  it("shows a value where the pointer hovers, and the cursor on every chart", async () => {
    await page.hover(`${REQUESTS} svg.chart`, { position: { x: 200, y: 30 } });
    assert.match(
      await page.textContent(`${REQUESTS} .readout`) ?? "",
      /^\d\d:\d\d:\d\d {2}[\d.,]+\/s$/,
    );
    assert.equal(await page.locator('line.cursor[visibility="visible"]').count(), 3);
  });

  it("labels the latency chart's y axis in the stat's unit, milliseconds", async () => {
    const labels = await page.locator(`${LATENCY} svg.chart text[text-anchor="end"]`)
      .allTextContents();
    const axis = labels.filter((label) => label !== "now");
    assert.equal(axis.length, 3);
    for (const label of axis) assert.match(label, /^[\d.,]+[KM]? ms$/);
  });

  it("draws a distribution's p50, p99 and p99.9 and a meter's m1, m5 and m15, told apart by dash", async () => {
    assert.equal(await page.locator(`${LATENCY} svg.chart polyline`).count(), 3);
    assert.deepEqual(
      (await page.locator(`${LATENCY} .k .i`).allTextContents()).map((t) => t.split(" ")[0]),
      ["p50", "p99", "p99.9"],
    );
    assert.deepEqual(
      (await page.locator(`${HITS} .k .i`).allTextContents()).map((t) => t.split(" ")[0]),
      ["m1", "m5", "m15"],
    );
    const dashes = await page.locator(`${HITS} svg.chart polyline`).evaluateAll((lines) =>
      lines.map((line) =>
        (globalThis as unknown as {
          getComputedStyle(e: unknown): { strokeDasharray: string };
        }).getComputedStyle(line).strokeDasharray
      )
    );
    assert.equal(new Set(dashes).size, 3, dashes.join(" | "));
  });

  it("puts every chart on one time axis", async () => {
    const starts = await page.locator('svg.chart text:not([text-anchor="end"])').allTextContents();
    assert.ok(starts.length >= 3);
    assert.equal(new Set(starts).size, 1, starts.join(" "));
  });

  it("gives a screen reader the values: name, last, min and max in the chart's label", async () => {
    const label = await page.getAttribute(`${REQUESTS} svg.chart`, "aria-label") ?? "";
    assert.match(
      label,
      /^requests per second, last \d+s: now [\d.,]+\/s; min [\d.,]+\/s, max [\d.,]+\/s; total [\d,]+$/,
    );
    assert.equal(await page.getAttribute(`${REQUESTS} svg.chart`, "role"), "img");
  });

  it("moves the read-out with the arrow keys", async () => {
    await page.focus(`${REQUESTS} svg.chart`);
    const latest = await page.textContent(`${REQUESTS} .readout`);
    await page.keyboard.press("ArrowLeft");
    const earlier = await page.textContent(`${REQUESTS} .readout`);
    assert.notEqual(earlier, latest);
    assert.match(earlier ?? "", /^\d\d:\d\d:\d\d {2}[\d.,]+\/s$/);
  });

  it("charts the runtime stats like any other: resident memory in bytes", async () => {
    await page.goto(`${viewer.url}?refresh=1`);
    await waitForPoints(page, 'tr[data-name="residentMemoryBytes"] > td.chart polyline', 2);
    const label = await page.getAttribute(
      'tr[data-name="residentMemoryBytes"] > td.chart svg.chart',
      "aria-label",
    );
    assert.match(label ?? "", /^residentMemoryBytes in B,/);
  });

  it("saves a screenshot with the charts", async () => {
    const file = join(dir, "charts.png");
    // caret: "initial" keeps Playwright from injecting a style, which the page's CSP would block.
    await page.screenshot({ path: file, fullPage: true, caret: "initial" });
    assert.ok(statSync(file).size > 1000);
    keep(file);
  });

  it("fits a phone-width screen without sideways scrolling", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${viewer.url}web/?refresh=1`);
    await waitForPoints(page, `${REQUESTS} polyline`, 2);
    const width = await page.evaluate(() =>
      (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth
    );
    assert.ok(width <= 390, `the page is ${width} px wide`);
    const file = join(dir, "charts-phone.png");
    await page.screenshot({ path: file, fullPage: true, caret: "initial" });
    keep(file);
  });

  it("shows the values and no charts with JavaScript off", async () => {
    const off = await context.newPage();
    try {
      const cdp = await context.newCDPSession(off);
      await cdp.send("Emulation.setScriptExecutionDisabled", { value: true });
      await off.goto(`${viewer.url}?refresh=1`);
      await off.waitForTimeout(2_500); // two refresh periods, had the script run
      assert.equal(await off.locator('td[data-path="/web/requests"]').count(), 1);
      assert.equal(await off.locator("svg").count(), 0);
      assert.equal(await off.locator("td.chart").count(), 0);
    } finally {
      await off.close();
    }
  });

  it("logs no console errors: no CSP violation, no script error", () => {
    assert.deepEqual(consoleErrors, []);
  });
});

describe("the server's history in headless Chromium", { skip }, () => {
  /** The load before the page opens, and the history's sampling interval: 1/12 of 2 minutes at 10 s. */
  const LOAD_MS = 10_000;
  const INTERVAL_MS = 500;
  const tree = new StatTree();
  let app: { server: Server; url: string };
  let history: StatHistory;
  let viewer: StatsServer;
  let context: BrowserContext;
  let dir: string;

  before(async () => {
    app = await startApp(tree);
    history = new StatHistory({ tree, intervalMs: INTERVAL_MS, keep: 240 }).start();
    viewer = await serveInBackground(0, { serverName: "history test", tree, history });
    dir = mkdtempSync(join(tmpdir(), "scales-history-"));
    context = await launchBrowser(dir);
  });

  after(async () => {
    history?.stop();
    await closeAll(context, viewer, app?.server, dir);
  });

  it("shows the load before the page opened at once, without refreshing", async () => {
    const generator = load(app.url);
    await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
    await generator.stop();
    const page = await context.newPage();
    try {
      await page.goto(`${viewer.url}web/`);
      await page.waitForSelector(`${REQUESTS} polyline`, { timeout: 5_000 });
      assert.equal(await page.isChecked("#auto"), false);
      const points = await pointCount(page, `${REQUESTS} polyline`);
      const expected = LOAD_MS / INTERVAL_MS;
      assert.ok(points >= expected - 2, `${points} points, ${expected} samples expected`);
      const span = numberIn(
        await page.locator(`${REQUESTS} svg.chart text:not([text-anchor="end"])`).textContent() ??
          "",
      );
      assert.ok(span >= LOAD_MS / 1000 - 1, `the time axis spans ${span} s`);
      // The history's totals: the chart's total is every request the load sent.
      const range = await page.textContent(`${REQUESTS} .k + .k`) ?? "";
      assert.equal(numberIn(range.split("total")[1] ?? ""), generator.sent());
      const max = numberIn(range.split("·")[1] ?? "");
      assert.ok(max >= RATE * 0.9, `the highest rate is ${max}/s, ${RATE}/s were sent`);
    } finally {
      await page.close();
    }
  });
});
