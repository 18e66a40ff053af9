/**
 * The viewer page in a real browser: navigation, values, the filter,
 * auto-refresh keeping the scroll position, an XSS key staying inert, no
 * console errors (a CSP violation would be one), and a screenshot.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFile, stat } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import type { BrowserContext, Page } from "playwright-core";
import { collection, IntDictStat, IntStat, setCollapsed, Stat } from "@scales/core";
import { serveInBackground, type StatsServer } from "@scales/core/http";
import { resetToEmptyTree } from "./_prometheus.ts";
import { removeDir, skipUnless, tempDir } from "./_system.ts";
import { CHROMIUM, launchBrowser } from "./_browser.ts";

/** The bits of the browser's globals the page functions use (the test is type-checked without DOM types). */
interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

const XSS = "<img src=x onerror=alert(1)>";
const skip = await skipUnless(CHROMIUM);

describe("the viewer page in headless Chromium", { skip }, () => {
  let server: StatsServer;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];
  let web: { errors: number; success: number };

  before(async () => {
    resetToEmptyTree();
    web = collection(
      "/web",
      IntStat("errors"),
      IntStat("success"),
      IntDictStat("byPath"),
      Stat(XSS, XSS),
    );
    web.errors = 3;
    web.success = 1234567;
    collection("/web", IntDictStat("byPath")).byPath.inc(XSS, 5);
    collection("/web/handlers/home", IntStat("hits")).hits = 7;
    setCollapsed("/cache");
    collection("/cache", IntStat("entries")).entries = 11;
    const bulk = collection("/bulk", ...Array.from({ length: 150 }, (_, i) => IntStat(`stat${i}`)));
    (bulk as Record<string, number>).stat0 = 1;
    server = await serveInBackground(0, { serverName: "browser test" });
    dir = await tempDir("scales-browser-");
    context = await launchBrowser(dir);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      dialog.dismiss().catch(() => {});
    });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(String(error)));
  });

  after(async () => {
    try {
      await context?.close();
    } finally {
      await server?.shutdown();
      if (dir !== undefined) await removeDir(dir);
    }
  });

  it("opens /status/ titled with the server name and shows grouped values", async () => {
    await page.goto(server.url);
    assert.equal(await page.title(), "browser test — /");
    assert.equal(await page.textContent('td[data-path="/web/success"]'), "1,234,567");
    assert.equal(await page.textContent('td[data-path="/web/errors"]'), "3");
  });

  it("shows a collapsed container as a link without its stats", async () => {
    await page.goto(server.url);
    assert.equal(
      await page.locator('section.collapsed[data-path="/cache"] a').textContent(),
      "cache",
    );
    assert.equal(await page.locator('td[data-path="/cache/entries"]').count(), 0);
  });

  it("clicks into a subtree and back up through the breadcrumbs", async () => {
    await page.goto(server.url);
    await page.click('a[href="/status/web/handlers/"]');
    await page.waitForURL(`${server.url}web/handlers/`);
    assert.equal(await page.title(), "browser test — /web/handlers");
    assert.equal(await page.textContent('td[data-path="/web/handlers/home/hits"]'), "7");
    await page.click('nav.crumbs a[href="/status/web/"]');
    await page.waitForURL(`${server.url}web/`);
    assert.equal(await page.title(), "browser test — /web");
  });

  it("filters rows live as you type, keeping the matching rows' ancestors", async () => {
    await page.goto(server.url);
    await page.fill("#q", "erro");
    assert.equal(await page.isVisible('td[data-path="/web/errors"]'), true);
    assert.equal(await page.isVisible('td[data-path="/web/success"]'), false);
    assert.equal(await page.isVisible('section[data-path="/web"] > h2'), true);
    assert.equal(await page.isVisible('section[data-path="/bulk"]'), false);
    await page.fill("#q", "");
    assert.equal(await page.isVisible('td[data-path="/web/success"]'), true);
  });

  it("submits the filter as a server-side query", async () => {
    await page.goto(server.url);
    await page.fill("#q", "errors > 2");
    await page.press("#q", "Enter");
    await page.waitForURL(/query=errors/);
    assert.equal(await page.textContent('td[data-path="/web/errors"]'), "3");
    assert.equal(await page.locator('td[data-path="/web/success"]').count(), 0);
  });

  it("renders the XSS key and value as inert text", async () => {
    await page.goto(`${server.url}web/`);
    const injected = await page.evaluate("document.querySelectorAll('img').length");
    assert.equal(injected, 0);
    const keys = await page.locator("th").allTextContents();
    assert.ok(keys.includes(XSS), keys.join(" | "));
    assert.equal(await page.textContent(`td[data-path="/web/${XSS}"]`), XSS);
    assert.deepEqual(dialogs, []);
  });

  it("auto-refreshes values without losing the scroll position", async () => {
    await page.setViewportSize({ width: 800, height: 400 });
    await page.goto(server.url);
    await page.check("#auto");
    await page.fill("#every", "1");
    await page.dispatchEvent("#every", "change");
    assert.match(page.url(), /[?&]refresh=1$/);
    await page.evaluate("scrollTo(0, 600)");
    const before = await page.evaluate("scrollY");
    assert.equal(before, 600);
    web.errors = 4321;
    await page.waitForFunction(
      () =>
        (globalThis as unknown as BrowserGlobals).document.querySelector(
          'td[data-path="/web/errors"]',
        )?.textContent === "4,321",
      undefined,
      { timeout: 8_000 },
    );
    assert.equal(await page.evaluate("scrollY"), 600);
    await page.uncheck("#auto");
    assert.doesNotMatch(page.url(), /refresh=/);
  });

  it("logs no console errors: no CSP violation, no failed request", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(dialogs, []);
  });

  it("saves a screenshot in the test's temporary folder", async () => {
    await page.setViewportSize({ width: 1100, height: 800 });
    await page.goto(server.url);
    const file = join(dir, "viewer.png");
    // caret: "initial" keeps Playwright from injecting a style, which the page's CSP would block.
    await page.screenshot({ path: file, fullPage: true, caret: "initial" });
    assert.ok((await stat(file)).size > 1000);
    const keep = process.env.SCALES_KEEP_SCREENSHOT;
    if (keep) await copyFile(file, keep);
  });
});
