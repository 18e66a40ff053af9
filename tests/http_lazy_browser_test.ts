/**
 * A page too large for its row budget, in a real browser: a left-out
 * container opens in place (and stays open across refreshes), its link
 * works without JavaScript, and the filter finds stats in left-out parts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { IntStat, StatTree } from "@scales/core";
import { serveInBackground, type StatsServer } from "@scales/core/http";
import { skipUnless, tempDir } from "./_system.ts";
import { CHROMIUM, closeAll, consoleErrorsOf, launchBrowser } from "./_browser.ts";

const skip = await skipUnless(CHROMIUM);

describe("a page past its row budget in headless Chromium", { skip }, () => {
  const tree = new StatTree();
  let server: StatsServer;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  let consoleErrors: string[] = [];

  before(async () => {
    for (let i = 0; i < 30; i++) {
      const stats = tree.collection(`/group${i}`, IntStat("hits"), IntStat(`unique${i}`));
      stats.hits = i;
    }
    server = await serveInBackground(0, { serverName: "lazy test", tree, rowBudget: 10 });
    dir = await tempDir("scales-lazy-");
    context = await launchBrowser(dir);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    consoleErrors = consoleErrorsOf(page);
  });

  after(() => closeAll(context, server, undefined, dir));

  it("opens a left-out container in place when its link is clicked", async () => {
    await page.goto(server.url);
    assert.equal(await page.locator('td[data-path="/group20/hits"]').count(), 0);
    await page.click('section.lazy[data-path="/group20"] > h2 > a');
    await page.waitForSelector('td[data-path="/group20/hits"]');
    assert.equal(page.url(), server.url);
    assert.equal(await page.textContent('td[data-path="/group20/hits"]'), "20");
    assert.equal(await page.locator('section[data-path="/group20"].lazy').count(), 0);
  });

  it("keeps an opened container open when the page refreshes", async () => {
    tree.collection("/group20", IntStat("hits")).hits = 2020;
    await page.check("#auto");
    await page.fill("#every", "1");
    await page.dispatchEvent("#every", "change");
    await page.waitForFunction(
      () =>
        (globalThis as unknown as {
          document: { querySelector(s: string): { textContent: string | null } | null };
        }).document.querySelector('td[data-path="/group20/hits"]')?.textContent === "2,020",
    );
    await page.uncheck("#auto");
  });

  it("filters across left-out containers: typing finds a stat the page did not show", async () => {
    await page.goto(server.url);
    assert.equal(await page.locator('td[data-path="/group27/unique27"]').count(), 0);
    await page.fill("#q", "unique27");
    await page.waitForSelector('td[data-path="/group27/unique27"]');
    assert.equal(await page.isVisible('td[data-path="/group27/unique27"]'), true);
    assert.equal(await page.isVisible('td[data-path="/group1/unique1"]'), false);
  });

  it("follows a left-out container's link to its own page with JavaScript off", async () => {
    const off = await context.newPage();
    try {
      const cdp = await context.newCDPSession(off);
      await cdp.send("Emulation.setScriptExecutionDisabled", { value: true });
      await off.goto(server.url);
      await off.click('section.lazy[data-path="/group25"] > h2 > a');
      await off.waitForURL(`${server.url}group25/`);
      assert.equal(await off.textContent('td[data-path="/group25/hits"]'), "25");
    } finally {
      await off.close();
    }
  });

  it("logs no console errors", () => {
    assert.deepEqual(consoleErrors, []);
  });
});
