/**
 * The viewer's `?query=` filter: `key`, or `key OP value` with OP among
 * `>=`, `>`, `<=`, `<`, `=`, `==`, `!=`. It keeps only the matching leaves
 * (and, for a bare `key`, whole matching subtrees) and their ancestors.
 *
 * @module
 */

import { setSnapshotKey, type Snapshot, type SnapshotValue } from "../src/stat.ts";

/** A comparison operator of a {@linkcode StatQuery}. */
export type QueryOperator = ">=" | ">" | "<=" | "<" | "=" | "==" | "!=";

/** A parsed `?query=`: a key to look for and, optionally, a comparison its value must pass. */
export interface StatQuery {
  /** The stat name, container name or dict key to match, at any depth. */
  readonly key: string;
  /** The comparison, or `undefined` for a bare key. */
  readonly operator?: QueryOperator;
  /** The text to compare with, typed after the value it meets (number, boolean, string). */
  readonly value?: string;
}

/** Thrown by {@linkcode parseQuery} for a query that does not parse; the viewer answers 400. */
export class QuerySyntaxError extends SyntaxError {
  /** Makes the error; `message` says what is wrong and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "QuerySyntaxError";
  }
}

const OPERATOR = /(!=|==|>=|<=|=|<|>)/;

/**
 * Parses a viewer query: `key` or `key OP value` (spaces around the
 * operator are optional). Throws a {@linkcode QuerySyntaxError} naming the
 * problem for an empty key or value, or more than one operator.
 *
 * @example
 * ```ts
 * import { parseQuery } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseQuery("latency > 100"), { key: "latency", operator: ">", value: "100" });
 * assert.deepEqual(parseQuery("errors"), { key: "errors" });
 * ```
 */
export function parseQuery(text: string): StatQuery {
  const parts = text.split(OPERATOR).map((part) => part.trim());
  if (parts.length === 1) {
    if (parts[0] === "") {
      throw new QuerySyntaxError("query is empty: expected `key` or `key OP value`");
    }
    return { key: parts[0] };
  }
  if (parts.length !== 3) {
    throw new QuerySyntaxError(
      `query ${JSON.stringify(text)} has ${
        (parts.length - 1) / 2
      } operators: expected \`key\` or \`key OP value\` with one of >=, >, <=, <, =, ==, !=`,
    );
  }
  const [key, operator, value] = parts;
  if (key === "") {
    throw new QuerySyntaxError(
      `query ${
        JSON.stringify(text)
      } has no key before ${operator}: expected \`key ${operator} value\``,
    );
  }
  if (value === "") {
    throw new QuerySyntaxError(
      `query ${
        JSON.stringify(text)
      } has no value after ${operator}: expected \`key ${operator} value\``,
    );
  }
  return { key, operator: operator as QueryOperator, value };
}

function compare(actual: SnapshotValue, operator: QueryOperator, text: string): boolean {
  let a: number | string | boolean;
  let b: number | string | boolean;
  if (typeof actual === "number") {
    const parsed = Number(text);
    if (Number.isNaN(parsed)) return false;
    a = actual;
    b = parsed;
  } else if (typeof actual === "boolean") {
    if (text !== "true" && text !== "false") return false;
    a = actual;
    b = text === "true";
  } else if (actual === null) {
    a = "null";
    b = text;
  } else if (typeof actual === "string") {
    a = actual;
    b = text;
  } else {
    return false;
  }
  switch (operator) {
    case ">=":
      return a >= b;
    case ">":
      return a > b;
    case "<=":
      return a <= b;
    case "<":
      return a < b;
    case "=":
    case "==":
      return a === b;
    case "!=":
      return a !== b;
  }
}

function isObject(value: SnapshotValue): value is { readonly [key: string]: SnapshotValue } {
  return typeof value === "object" && value !== null;
}

/**
 * The part of `snapshot` that `query` keeps: every key equal to
 * `query.key` at any depth (containers, stats and dict keys alike), with
 * its ancestors. A bare key keeps the whole matching value; `key OP value`
 * keeps matching leaves whose value passes the comparison (numbers compare
 * as numbers, booleans as `true`/`false`, strings as strings). Returns
 * `undefined` when nothing matches.
 *
 * @example
 * ```ts
 * import { filterSnapshot, parseQuery } from "@scales/core/http";
 * import assert from "node:assert/strict";
 * const stats = { web: { errors: 3, success: 10 }, db: { errors: 0 } };
 * assert.deepEqual(filterSnapshot(stats, parseQuery("errors > 0")), { web: { errors: 3 } });
 * ```
 */
export function filterSnapshot(
  snapshot: { readonly [key: string]: SnapshotValue },
  query: StatQuery,
): Snapshot | undefined {
  let out: Snapshot | undefined;
  for (const name in snapshot) {
    const value = snapshot[name];
    let kept: SnapshotValue | undefined;
    if (name === query.key) {
      if (query.operator === undefined) kept = value;
      else if (isObject(value)) kept = filterSnapshot(value, query);
      else if (compare(value, query.operator, query.value ?? "")) kept = value;
    } else if (isObject(value)) {
      kept = filterSnapshot(value, query);
    }
    if (kept !== undefined) setSnapshotKey(out ??= {}, name, kept);
  }
  return out;
}
