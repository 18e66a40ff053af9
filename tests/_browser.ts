/**
 * Headless Chromium for the viewer's browser test, driven by
 * `npm:playwright-core` (which works under Deno), with a fresh profile.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import { type BrowserContext, chromium } from "npm:playwright-core@1.65.1";

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
  const profile = `${dir}/profile`;
  await Deno.mkdir(profile, { recursive: true });
  return await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 30_000,
  });
}
