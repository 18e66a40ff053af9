import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, formatNumber } from "../http/_format.ts";

describe("formatNumber", () => {
  it("groups the digits of integers", () => {
    assert.equal(formatNumber(0), "0");
    assert.equal(formatNumber(999), "999");
    assert.equal(formatNumber(1000), "1,000");
    assert.equal(formatNumber(1234567), "1,234,567");
    assert.equal(formatNumber(-1234567), "-1,234,567");
  });

  it("rounds large fractions to one decimal, grouped", () => {
    assert.equal(formatNumber(1234.5678), "1,234.6");
    assert.equal(formatNumber(153.5425), "153.5");
  });

  it("rounds fractions from 1 to 100 to two decimals", () => {
    assert.equal(formatNumber(12.3456), "12.35");
    assert.equal(formatNumber(-1.5), "-1.50");
  });

  it("keeps three significant digits below 1", () => {
    assert.equal(formatNumber(0.123456), "0.123");
    assert.equal(formatNumber(0.0012345), "0.00123");
  });

  it("uses exponents for tiny and huge values", () => {
    assert.equal(formatNumber(0.0000123), "1.23e-5");
    assert.equal(formatNumber(1.5e300), "1.5e+300");
  });

  it("shows non-finite values as they are", () => {
    assert.equal(formatNumber(NaN), "NaN");
    assert.equal(formatNumber(-Infinity), "-Infinity");
  });
});

describe("escapeHtml", () => {
  it("escapes the five special characters", () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });

  it("returns plain text unchanged", () => {
    assert.equal(escapeHtml("naïve 日本語"), "naïve 日本語");
  });
});
