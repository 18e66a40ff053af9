/**
 * The viewer's charts in a real browser: with auto-refresh on, sparklines
 * beside numeric leaves, a percentile chart per distribution and an
 * m1/m5/m15 chart per meter, runtime stats charted like any other; no
 * charts with JavaScript off; a phone-width page without sideways
 * scrolling; no console errors; screenshots.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { BrowserContext, Page } from "playwright-core";
import { collection, collectRuntimeStats, IntStat, MeterStat, PmfStat } from "@scales/core";
import { serveInBackground, type StatsServer } from "@scales/core/http";
import { resetToEmptyTree } from "./_prometheus.ts";
import { skipUnless } from "./_system.ts";
import { CHROMIUM, launchBrowser } from "./_browser.ts";

/** The bits of the browser's globals the page functions use (no DOM types here). */
interface BrowserGlobals {
  document: {
    querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>;
    documentElement: { scrollWidth: number };
  };
}

const skip = await skipUnless(CHROMIUM);

/** Points of every polyline matching `selector`, one count per line. */
async function pointCounts(page: Page, selector: string): Promise<number[]> {
  return await page.evaluate((selector) => {
    const lines = (globalThis as unknown as BrowserGlobals).document.querySelectorAll(selector);
    return Array.from(lines, (line) => (line.getAttribute("points") ?? "").split(" ").length);
  }, selector);
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
    { timeout: 15_000, polling: 200 },
  );
}

/** Copies a screenshot out of the temporary folder when `SCALES_KEEP_SCREENSHOT_DIR` names a folder. */
function keep(file: string): void {
  const dir = process.env.SCALES_KEEP_SCREENSHOT_DIR;
  if (dir) copyFileSync(file, join(dir, file.slice(file.lastIndexOf("/") + 1)));
}

const REQUESTS_SPARK = 'td[data-path="/web/requests"] + td.spark polyline';

describe("the viewer's charts in headless Chromium", { skip }, () => {
  let server: StatsServer;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  let traffic: ReturnType<typeof setInterval> | undefined;
  const consoleErrors: string[] = [];

  before(async () => {
    resetToEmptyTree();
    const web = collection("/web", IntStat("requests"), PmfStat("latency"), MeterStat("hits"));
    let n = 0;
    traffic = setInterval(() => {
      n += 1;
      web.requests += n % 7;
      web.latency.add(5 + (n % 10));
      web.hits.mark(n % 3);
    }, 50);
    collectRuntimeStats();
    server = await serveInBackground(0, { serverName: "charts test" });
    dir = mkdtempSync(join(tmpdir(), "scales-charts-"));
    context = await launchBrowser(dir);
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(String(error)));
  });

  after(async () => {
    clearInterval(traffic);
    try {
      await context?.close();
    } finally {
      await server?.shutdown();
      resetToEmptyTree();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("draws no charts while auto-refresh is off", async () => {
    await page.goto(server.url);
    assert.equal(await page.locator("svg").count(), 0);
  });

  it("draws a sparkline beside a numeric leaf after a few refreshes", async () => {
    await page.setViewportSize({ width: 1100, height: 800 });
    await page.goto(`${server.url}?refresh=1`);
    await waitForPoints(page, REQUESTS_SPARK, 3);
    const [points] = await pointCounts(page, REQUESTS_SPARK);
    assert.ok(points! >= 3, `${points} points`);
  });

  it("charts the runtime stats like any other: resident memory has a sparkline", async () => {
    const counts = await pointCounts(
      page,
      'td[data-path="/process/residentMemoryBytes"] + td.spark polyline',
    );
    assert.equal(counts.length, 1);
    assert.ok(counts[0]! >= 2, `${counts[0]} points`);
  });

  it("draws a PmfStat's median to 99.9th percentile as six lines of one chart", async () => {
    const counts = await pointCounts(page, 'tr[data-name="latency"] > td.chart polyline');
    assert.equal(counts.length, 6);
    for (const count of counts) assert.ok(count >= 2, `${count} points`);
    assert.equal(
      await page.textContent('tr[data-name="latency"] > td.chart .k'),
      "p50p75p95p98p99p99.9",
    );
  });

  it("draws a MeterStat's m1, m5 and m15 as three lines of one chart", async () => {
    const counts = await pointCounts(page, 'tr[data-name="hits"] > td.chart polyline');
    assert.equal(counts.length, 3);
    assert.equal(await page.textContent('tr[data-name="hits"] > td.chart .k'), "m1m5m15");
  });

  it("gives the charted fields no sparkline of their own, and the others one", async () => {
    const latency = 'td[data-path="/web/latency"]';
    const hits = 'td[data-path="/web/hits"]';
    assert.equal(await page.locator(`${latency}[data-keys='["median"]'] + td.spark`).count(), 0);
    assert.equal(await page.locator(`${hits}[data-keys='["m1"]'] + td.spark`).count(), 0);
    assert.equal(await page.locator(`${latency}[data-keys='["count"]'] + td.spark`).count(), 1);
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
    await page.goto(`${server.url}?refresh=1`);
    await waitForPoints(page, REQUESTS_SPARK, 2);
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
      await off.goto(`${server.url}?refresh=1`);
      await off.waitForTimeout(2_500); // two refresh periods, had the script run
      assert.equal(await off.locator('td[data-path="/web/requests"]').count(), 1);
      assert.equal(await off.locator("svg").count(), 0);
      assert.equal(await off.locator("td.spark, td.chart").count(), 0);
    } finally {
      await off.close();
    }
  });

  it("logs no console errors: no CSP violation, no script error", () => {
    assert.deepEqual(consoleErrors, []);
  });
});
