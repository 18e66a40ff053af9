/**
 * The runtime selector: the one place that decides which adapter serves
 * this process. It picks on first use, by feature detection (`Bun`, then
 * `Deno`, then Node's `process.getBuiltinModule`, else the `web` fallback),
 * and keeps the choice. The adapters read their runtime only when called,
 * so loading all four costs nothing and touches no runtime's modules.
 *
 * Everything else in the library reaches the runtime through here; the
 * core (`src/`) imports this module and never an adapter.
 *
 * @module
 */

import type { RuntimeAdapter, TimerHandle } from "./adapter.ts";
import { bunAdapter } from "./bun.ts";
import { denoAdapter } from "./deno.ts";
import { nodeAdapter } from "./node.ts";
import { webAdapter } from "./web.ts";

export type * from "./adapter.ts";

interface Globals {
  Bun?: unknown;
  Deno?: unknown;
  process?: { getBuiltinModule?: unknown };
}

let selected: RuntimeAdapter | undefined;

function detect(): RuntimeAdapter {
  const globals = globalThis as Globals;
  // Bun and Deno both define a Node-like `process`: test for them first.
  if (typeof globals.Bun === "object" && globals.Bun !== null) return bunAdapter();
  if (typeof globals.Deno === "object" && globals.Deno !== null) return denoAdapter();
  if (typeof globals.process?.getBuiltinModule === "function") return nodeAdapter();
  return webAdapter();
}

/** The adapter for the running runtime, chosen on the first call. */
export function runtime(): RuntimeAdapter {
  return selected ??= detect();
}

/** `setTimeout` that does not keep the process alive. */
export function unrefTimeout(callback: () => void, ms: number): TimerHandle {
  const timer = setTimeout(callback, ms);
  runtime().unref(timer);
  return timer;
}

/** `setInterval` that does not keep the process alive. */
export function unrefInterval(callback: () => void, ms: number): TimerHandle {
  const timer = setInterval(callback, ms);
  runtime().unref(timer);
  return timer;
}
