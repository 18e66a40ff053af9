import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { filterSnapshot, parseQuery, QuerySyntaxError } from "@scales/core/http";

const TREE = {
  web: { errors: 3, success: 10, byPath: { "/login": 2, "/": 9 }, mode: "fast", up: true },
  db: { errors: 0, mode: "slow", up: false, owner: null },
};

describe("parseQuery", () => {
  it("parses a bare key", () => {
    assert.deepEqual(parseQuery("errors"), { key: "errors" });
  });

  it("parses every operator, with or without spaces", () => {
    for (const operator of [">=", ">", "<=", "<", "=", "==", "!="]) {
      assert.deepEqual(parseQuery(`errors${operator}3`), { key: "errors", operator, value: "3" });
      assert.deepEqual(parseQuery(` errors ${operator} 3 `), {
        key: "errors",
        operator,
        value: "3",
      });
    }
  });

  it("keeps spaces inside the key and the value", () => {
    assert.deepEqual(parseQuery("last status = not found"), {
      key: "last status",
      operator: "=",
      value: "not found",
    });
  });

  it("rejects an empty query", () => {
    assert.throws(() => parseQuery("  "), {
      name: "QuerySyntaxError",
      message: "query is empty: expected `key` or `key OP value`",
    });
  });

  it("rejects a missing key, naming the operator", () => {
    assert.throws(() => parseQuery("> 3"), {
      message: 'query "> 3" has no key before >: expected `key > value`',
    });
  });

  it("rejects a missing value, naming the operator", () => {
    assert.throws(() => parseQuery("errors !="), {
      message: 'query "errors !=" has no value after !=: expected `key != value`',
    });
  });

  it("rejects two operators", () => {
    assert.throws(() => parseQuery("a < b < c"), QuerySyntaxError);
  });
});

describe("filterSnapshot", () => {
  it("keeps every leaf of that key with its ancestors for a bare key", () => {
    assert.deepEqual(filterSnapshot(TREE, parseQuery("errors")), {
      web: { errors: 3 },
      db: { errors: 0 },
    });
  });

  it("keeps a whole matching subtree for a bare key", () => {
    assert.deepEqual(filterSnapshot(TREE, parseQuery("byPath")), {
      web: { byPath: { "/login": 2, "/": 9 } },
    });
  });

  it("matches dict keys", () => {
    assert.deepEqual(filterSnapshot(TREE, parseQuery("/login")), {
      web: { byPath: { "/login": 2 } },
    });
  });

  it("compares numbers as numbers, not text", () => {
    assert.deepEqual(filterSnapshot(TREE, parseQuery("success > 9")), { web: { success: 10 } });
  });

  it("applies each operator", () => {
    const expected: Record<string, unknown> = {
      ">=": { web: { errors: 3 } },
      ">": { web: { errors: 3 } },
      "<=": { db: { errors: 0 } },
      "<": { db: { errors: 0 } },
      "=": { web: { errors: 3 } },
      "==": { web: { errors: 3 } },
      "!=": { db: { errors: 0 } },
    };
    const values: Record<string, string> = {
      ">=": "3",
      ">": "1",
      "<=": "0",
      "<": "1",
      "=": "3",
      "==": "3",
      "!=": "3",
    };
    for (const [operator, result] of Object.entries(expected)) {
      assert.deepEqual(
        filterSnapshot(TREE, parseQuery(`errors ${operator} ${values[operator]}`)),
        result,
        operator,
      );
    }
  });

  it("compares strings as strings", () => {
    assert.deepEqual(filterSnapshot(TREE, parseQuery("mode = slow")), { db: { mode: "slow" } });
    assert.deepEqual(filterSnapshot(TREE, parseQuery("mode < g")), { web: { mode: "fast" } });
  });

  it("compares booleans with true and false", () => {
    assert.deepEqual(filterSnapshot(TREE, parseQuery("up = true")), { web: { up: true } });
  });

  it("compares null with the text null", () => {
    assert.deepEqual(filterSnapshot(TREE, parseQuery("owner = null")), { db: { owner: null } });
  });

  it("does not match a number against text that is not a number", () => {
    assert.equal(filterSnapshot(TREE, parseQuery("errors > many")), undefined);
  });

  it("answers undefined when nothing matches", () => {
    assert.equal(filterSnapshot(TREE, parseQuery("nothing")), undefined);
  });
});
