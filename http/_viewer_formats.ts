/**
 * The viewer's output formats, chosen by `?format=`: defined once for the
 * handler, its error messages and the page's links.
 *
 * @module
 */

/**
 * The viewer's formats, the default (`html`) first.
 *
 * @example
 * ```ts
 * import { VIEWER_FORMATS } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * assert.deepEqual(VIEWER_FORMATS, ["html", "json", "prettyjson", "prometheus"]);
 * ```
 */
export const VIEWER_FORMATS = ["html", "json", "prettyjson", "prometheus"] as const;

/** The output formats of the viewer, chosen by `?format=`. */
export type ViewerFormat = typeof VIEWER_FORMATS[number];

/** Whether `name` is one of {@linkcode VIEWER_FORMATS}. */
export function isViewerFormat(name: string): name is ViewerFormat {
  return (VIEWER_FORMATS as readonly string[]).includes(name);
}

/** The formats as a sentence: `html, json, prettyjson or prometheus`. */
export function viewerFormatList(): string {
  return `${VIEWER_FORMATS.slice(0, -1).join(", ")} or ${VIEWER_FORMATS.at(-1)}`;
}
