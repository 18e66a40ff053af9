/**
 * Text helpers of the HTML page: escaping and readable numbers.
 *
 * @module
 */

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

const HTML_SPECIAL = /[&<>"']/g;
const HTML_SPECIAL_TEST = /[&<>"']/;

/** Text escaped for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return HTML_SPECIAL_TEST.test(text) ? text.replace(HTML_SPECIAL, (c) => HTML_ESCAPES[c]) : text;
}

function group(digits: string): string {
  let out = "";
  let start = digits.length % 3 || 3;
  out = digits.slice(0, start);
  for (; start < digits.length; start += 3) out += "," + digits.slice(start, start + 3);
  return out;
}

/**
 * A number as people read it: integers with digit grouping (`1,234,567`),
 * others rounded to a sensible precision (`1,234.6`, `12.35`, `0.0123`).
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  if (Number.isInteger(value)) return abs < 1e21 ? sign + group(abs.toFixed(0)) : String(value);
  if (abs >= 1e15) return value.toExponential(3);
  if (abs >= 100) {
    const [whole, fraction] = abs.toFixed(1).split(".");
    return `${sign}${group(whole)}.${fraction}`;
  }
  if (abs >= 1) return sign + abs.toFixed(2);
  if (abs >= 0.001) return sign + abs.toPrecision(3);
  return value.toExponential(2);
}
