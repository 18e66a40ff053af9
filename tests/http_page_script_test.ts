/**
 * The viewer page's script is the type-checked `pageScript` function of
 * `http/_page_script.ts`, inlined into the page under the response's CSP
 * nonce with its configuration.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StatTree } from "@scales/core";
import { statsHandler } from "@scales/core/http";
import { pageScript } from "../http/_page_script.ts";

async function pageScriptOf(response: Response): Promise<{ nonce: string; script: string }> {
  const html = await response.text();
  const match = html.match(/<script nonce="([^"]+)">([\s\S]*?)<\/script>/);
  assert.ok(match, "the page has an inline script");
  return { nonce: match[1], script: match[2] };
}

describe("the page script", () => {
  const viewer = statsHandler({ tree: new StatTree() });

  it("is pageScript's own source, called once, under the response's nonce", async () => {
    const response = viewer(new Request("http://localhost/status/"));
    const { nonce, script } = await pageScriptOf(response);
    assert.ok(script.startsWith(`(${pageScript.toString()})(`), script.slice(0, 80));
    assert.ok(
      response.headers.get("content-security-policy")!.includes(`script-src 'nonce-${nonce}'`),
    );
  });

  it("parses as JavaScript (the compiled build's source too)", async () => {
    const { script } = await pageScriptOf(viewer(new Request("http://localhost/status/")));
    assert.doesNotThrow(() => new Function(script));
  });

  it("gets the charted percentile fields from PERCENTILES, labelled p50, p99, p99.9", async () => {
    const { script } = await pageScriptOf(viewer(new Request("http://localhost/status/")));
    const config = JSON.parse(script.slice(script.lastIndexOf(")(") + 2, -2));
    assert.deepEqual(config.percentiles, [
      ["median", "p50"],
      ["99percentile", "p99"],
      ["999percentile", "p99.9"],
    ]);
    assert.deepEqual(config.rates, [["m1", "m1"], ["m5", "m5"], ["m15", "m15"]]);
  });
});
