/**
 * Screenshots of the viewer demo for the README, at desktop and phone
 * widths, in light and dark: start `deno task serve-stats`, let it run a
 * few minutes (its history fills in), then
 *
 * ```sh
 * deno run -A scripts/demo_screenshots.ts [http://127.0.0.1:8765/status/] [docs/]
 * ```
 *
 * Needs Chromium at /usr/bin/chromium (as the browser tests do).
 *
 * @module
 */

import { join } from "node:path";
import { tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { launchBrowser } from "../tests/_browser.ts";

const url = Deno.args[0] ?? "http://127.0.0.1:8765/status/";
const out = Deno.args[1] ?? "docs/";
const dir = mkdtempSync(join(tmpdir(), "scales-shots-"));
const context = await launchBrowser(dir);
try {
  const shots = [
    { file: "viewer-desktop.png", width: 1280, height: 900, scheme: "light" },
    { file: "viewer-desktop-dark.png", width: 1280, height: 900, scheme: "dark" },
    { file: "viewer-phone.png", width: 390, height: 844, scheme: "light" },
  ] as const;
  for (const shot of shots) {
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme: shot.scheme });
    await page.setViewportSize({ width: shot.width, height: shot.height });
    await page.goto(`${url}server/`);
    await page.waitForSelector("svg.chart");
    // caret: "initial" keeps Playwright from injecting a style, which the page's CSP would block.
    await page.screenshot({ path: join(out, shot.file), caret: "initial" });
    await page.close();
    console.log(`wrote ${join(out, shot.file)}`);
  }
} finally {
  await context.close();
  rmSync(dir, { recursive: true, force: true });
}
