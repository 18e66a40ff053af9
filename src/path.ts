/**
 * Stat names and paths: what is allowed, and the errors for what is not.
 *
 * @module
 */

/**
 * Checks a stat or container name: a non-empty string without `/`, and not
 * `.` or `..` (which no URL of the viewer could reach).
 * Throws a `TypeError` naming the bad value otherwise.
 */
export function checkName(name: unknown, what: string): string {
  if (
    typeof name !== "string" || name === "" || name.includes("/") || name === "." || name === ".."
  ) {
    throw new TypeError(
      `${what} name must be a non-empty string without "/", and not "." or "..", got ${
        typeof name === "string" ? JSON.stringify(name) : typeof name
      }`,
    );
  }
  return name;
}

/**
 * Splits an absolute path such as `/web/handlers` into its segments.
 * `/` is the root (no segments); one trailing `/` is allowed. Throws a
 * `TypeError` for a relative path, an empty segment (`/web//x`) or a `.` or
 * `..` segment.
 */
export function parsePath(path: unknown): string[] {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(
      `a stat path must be a string starting with "/", such as "/web", got ${
        typeof path === "string" ? JSON.stringify(path) : typeof path
      }`,
    );
  }
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(1, -1) : path.slice(1);
  if (trimmed === "") return [];
  const segments = trimmed.split("/");
  if (segments.includes("")) {
    throw new TypeError(
      `a stat path must not have empty segments, got ${JSON.stringify(path)}`,
    );
  }
  if (segments.includes(".") || segments.includes("..")) {
    throw new TypeError(
      `a stat path must not have "." or ".." segments, got ${JSON.stringify(path)}`,
    );
  }
  return segments;
}

/** Joins a container path and a name: `("/", "web")` → `/web`. */
export function joinPath(path: string, name: string): string {
  return path === "/" ? `/${name}` : `${path}/${name}`;
}
