/**
 * Headless Chromium for the viewer's browser test, driven by
 * `playwright-core` (which works under Deno and Node), with a fresh profile.
 *
 * @module
 */

import { mkdir, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

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

/** Collects `page`'s console errors and uncaught script errors (a CSP violation is one). */
export function consoleErrorsOf(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  return errors;
}

/**
 * Closes what a browser test opened, whichever of it was opened: the
 * browser, the viewer, an application server (its keep-alive connections
 * too) and the temporary folder.
 */
export async function closeAll(
  context: BrowserContext | undefined,
  viewer: { shutdown(): Promise<void> } | undefined,
  app: Server | undefined,
  dir: string | undefined,
): Promise<void> {
  try {
    await context?.close();
  } finally {
    await viewer?.shutdown();
    app?.closeAllConnections();
    await new Promise((resolve) => app === undefined ? resolve(undefined) : app.close(resolve));
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}
