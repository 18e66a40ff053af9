/**
 * Headless Chromium for the viewer's browser test, driven by
 * `playwright-core` (which works under Deno and Node), with a fresh profile.
 *
 * @module
 */

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches Chromium with a fresh user data dir under `dir`. Close the context when done. */
export async function launchBrowser(dir: string): Promise<BrowserContext> {
  const profile = join(dir, "profile");
  await mkdir(profile, { recursive: true });
  return await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 30_000,
  });
}
