/**
 * The viewer's HTML page: one self-contained document (inline CSS and
 * script, both under a per-response CSP nonce) that works with JavaScript
 * off and, with it on, adds live filtering, auto-refresh and charts.
 *
 * Charts: while auto-refresh is on, the page's script keeps the last 60
 * values of each numeric leaf (for at most 3,000 leaves) in the tab's
 * memory and draws them as inline SVG, with no library: a sparkline in a
 * `<td class="spark">` after each leaf, and one chart in a
 * `<td class="chart">` after the table of each distribution (its median to
 * 99.9th percentile) and each meter (m1, m5, m15). The server keeps no
 * history: charts start with the first refresh after the page opens, and
 * nothing is sampled while no page is open. With JavaScript off there are
 * no charts.
 *
 * Page structure, for scripts that build on it:
 * - `<main id="stats">` holds the tree; auto-refresh replaces its children.
 * - Containers are `<section class="c" data-name data-path>`, collapsed ones
 *   carry the class `collapsed` and only a link.
 * - Every stat row and dict row is a `<tr data-name>`; every leaf value is a
 *   `<td data-path>` (the stat's path) with `data-keys` (a JSON array of dict
 *   keys) inside dict stats and `data-value` (the exact number) for numbers.
 *
 * @module
 */

import { ownSnapshotValue, type Snapshot, type SnapshotValue } from "../src/stat.ts";
import { isErrorMarker, type StatNode } from "../src/tree.ts";
import { escapeHtml, formatNumber } from "./_format.ts";
import { VIEWER_FORMATS } from "./_viewer_formats.ts";
import { joinPath } from "../src/path.ts";

/** What {@linkcode renderPage} needs. */
export interface PageOptions {
  /** Shown in the title and the heading. */
  readonly serverName: string;
  /** The viewer's URL prefix, ending in `/`, such as `/status/`. */
  readonly prefix: string;
  /** The container the page shows. */
  readonly node: StatNode;
  /** Its snapshot, filtered when a query is active; `undefined` when nothing matched. */
  readonly snapshot: Snapshot | undefined;
  /** The raw `?query=` text, `""` for none. */
  readonly query: string;
  /** The auto-refresh interval in seconds from `?refresh=`, or `undefined` when off. */
  readonly refresh: number | undefined;
  /** The CSP nonce of the inline style and script. */
  readonly nonce: string;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f23;--muted:#6a737d;--line:#d8dde3;--bg:#fff;--alt:#f6f8fa;--link:#0550ae;--err:#b3261e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8b949e;--line:#30363d;--bg:#0d1117;--alt:#161b22;--link:#58a6ff;--err:#ff7b72}}
*{box-sizing:border-box}
body{margin:0;padding:0 1rem 2rem;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{position:sticky;top:0;background:var(--bg);padding:.6rem 0 .5rem;border-bottom:1px solid var(--line);z-index:1}
h1{font-size:1.15rem;margin:0 0 .25rem}
h2{font-size:.95rem;margin:.6rem 0 .2rem}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
.crumbs{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.crumbs a+a::before,.crumbs a+span::before{content:"/";color:var(--muted)}
.crumbs a:first-child+*::before{content:none}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-top:.4rem}
input[type=search]{min-width:18rem;padding:.2rem .4rem;font:inherit}
input[type=number]{width:4.5rem;font:inherit}
.formats{margin-left:auto;color:var(--muted)}
.c{margin-left:.2rem;padding-left:.8rem;border-left:2px solid var(--line)}
.tag{font-size:.75rem;color:var(--muted);font-weight:normal}
table{border-collapse:collapse}
th,td{padding:.1rem .6rem .1rem 0;vertical-align:top;text-align:left}
th{font-weight:normal;color:var(--muted);font-family:ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-all}
tr:nth-child(even)>*{background:var(--alt)}
td.n{text-align:right;font-variant-numeric:tabular-nums;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;white-space:nowrap}
td.s{white-space:pre-wrap;word-break:break-all}
td.b,td.null{font-style:italic}
td.err{color:var(--err)}
td.d{padding:0}
.empty{color:var(--muted)}
[hidden]{display:none!important}
td.spark,td.chart{padding:.15rem .4rem;vertical-align:middle}
td.chart{vertical-align:top}
svg.spark{display:block;width:64px;height:16px}
svg.chart{display:block;width:160px;height:44px;border-bottom:1px solid var(--line)}
svg polyline{fill:none;stroke-width:1.25;stroke-linejoin:round;vector-effect:non-scaling-stroke}
svg.spark polyline{stroke:var(--link)}
.k{font-size:.7rem;color:var(--muted);white-space:nowrap}
.k span+span{margin-left:.3rem}
.l0{stroke:#3fb950;color:#3fb950}.l1{stroke:#58a6ff;color:#58a6ff}.l2{stroke:#a371f7;color:#a371f7}
.l3{stroke:#d29922;color:#d29922}.l4{stroke:#f0883e;color:#f0883e}.l5{stroke:#f85149;color:#f85149}
@media (max-width:640px){body{padding:0 .5rem 2rem}input[type=search]{min-width:0;flex:1 1 10rem}
.formats{margin-left:0}.c{margin-left:0;padding-left:.4rem}
table.stats,table.stats>tbody,table.stats>tbody>tr{display:block}
table.stats>tbody>tr>th{display:block;padding-top:.2rem}
table.stats>tbody>tr>td{display:inline-block;padding-left:.8rem}
svg.spark{width:48px}}
`;

const SCRIPT = `
(() => {
  const main = document.getElementById("stats");
  const q = document.getElementById("q");
  const auto = document.getElementById("auto");
  const every = document.getElementById("every");
  document.getElementById("auto-controls").hidden = false;
  const filter = () => {
    const t = q.value.trim().toLowerCase();
    const items = main.querySelectorAll("[data-name]");
    if (t === "" || /[<>=!]/.test(t)) { for (const e of items) e.hidden = false; return; }
    for (const e of items) e.hidden = true;
    for (const e of items) {
      if (!e.dataset.name.toLowerCase().includes(t)) continue;
      for (let a = e; a && a !== main; a = a.parentElement) a.hidden = false;
      for (const d of e.querySelectorAll("[data-name]")) d.hidden = false;
    }
  };
  // Charts: each refresh appends every numeric leaf's value to its series
  // (the last KEEP values, for at most MAX series), then draws a sparkline
  // beside the leaf; a PmfStat's percentiles and a MeterStat's m1/m5/m15
  // share one chart beside their table instead.
  const NS = "http://www.w3.org/2000/svg", KEEP = 60, MAX = 3000;
  const GROUPS = [
    [["median", "75percentile", "95percentile", "98percentile", "99percentile", "999percentile"],
      ["p50", "p75", "p95", "p98", "p99", "p99.9"]],
    [["m1", "m5", "m15"], ["m1", "m5", "m15"]],
  ];
  let series = new Map();
  const svg = (cls, width, height, lines, label) => {
    const box = document.createElementNS(NS, "svg");
    box.setAttribute("class", cls);
    box.setAttribute("viewBox", "0 0 " + width + " " + height);
    box.setAttribute("preserveAspectRatio", "none");
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", label);
    let lo = Infinity, hi = -Infinity;
    for (const [values] of lines) for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (cls === "chart") lo = Math.min(lo, 0);
    const span = hi - lo || 1;
    for (const [values, line] of lines) {
      const step = width / Math.max(1, values.length - 1);
      const points = values.map((v, i) =>
        (i * step).toFixed(1) + "," + (height - 1 - (v - lo) / span * (height - 2)).toFixed(1));
      const poly = document.createElementNS(NS, "polyline");
      poly.setAttribute("points", points.join(" "));
      if (line) poly.setAttribute("class", line);
      box.append(poly);
    }
    const title = document.createElementNS(NS, "title");
    title.textContent = label;
    box.append(title);
    return box;
  };
  const cell = (cls, ...children) => {
    const td = document.createElement("td");
    td.className = cls;
    td.append(...children);
    return td;
  };
  const chart = () => {
    const next = new Map(), groups = new Map(), leaves = [];
    for (const td of main.querySelectorAll("td[data-value]")) {
      if (next.size >= MAX) break;
      const id = td.dataset.path + " " + (td.dataset.keys || "");
      const values = series.get(id) || [];
      values.push(Number(td.dataset.value));
      if (values.length > KEEP) values.shift();
      next.set(id, values);
      const keys = td.dataset.keys ? JSON.parse(td.dataset.keys) : [];
      const field = keys.pop();
      const group = GROUPS.find(([fields]) => fields.includes(field));
      if (!group) { leaves.push([td, values]); continue; }
      const gid = td.dataset.path + " " + JSON.stringify(keys);
      if (!groups.has(gid)) groups.set(gid, { td, group, values: {} });
      groups.get(gid).values[field] = values;
    }
    series = next;
    for (const [td, values] of leaves) {
      if (values.length < 2) continue;
      const box = svg("spark", 64, 16, [[values, ""]], "recent values of " + td.dataset.path);
      td.nextElementSibling?.classList.contains("spark")
        ? td.nextElementSibling.replaceChildren(box) : td.after(cell("spark", box));
    }
    for (const { td, group: [fields, names], values } of groups.values()) {
      const lines = fields.map((f, i) => [values[f], "l" + i]).filter(([v]) => v);
      if (lines.length !== fields.length || lines[0][0].length < 2) continue;
      const holder = td.closest("table").parentElement;
      const key = document.createElement("div");
      key.className = "k";
      key.append(...names.map((n, i) => {
        const s = document.createElement("span");
        s.className = "l" + i;
        s.textContent = n;
        return s;
      }));
      const box = svg("chart", 160, 44, lines, names.join(", ") + " of " + td.dataset.path);
      holder.nextElementSibling?.classList.contains("chart")
        ? holder.nextElementSibling.replaceChildren(box, key) : holder.after(cell("chart", box, key));
    }
  };
  let timer = 0;
  const seconds = () => Math.min(3600, Math.max(1, Math.round(Number(every.value)) || 5));
  const schedule = () => {
    clearTimeout(timer);
    if (auto.checked) timer = setTimeout(refresh, seconds() * 1000);
  };
  const refresh = async () => {
    try {
      const response = await fetch(location.href, { cache: "no-store", headers: { accept: "text/html" } });
      if (response.ok) {
        // Parse only <main>: the page's <style> carries another response's nonce.
        const text = await response.text();
        const start = text.indexOf('<main id="stats">');
        const end = text.lastIndexOf("</main>");
        const next = start < 0 || end < start ? null : new DOMParser()
          .parseFromString(text.slice(start, end + 7), "text/html").getElementById("stats");
        if (next) {
          const x = scrollX, y = scrollY;
          main.replaceChildren(...next.childNodes);
          filter();
          if (auto.checked) chart();
          scrollTo(x, y);
        }
      }
    } catch (error) {
      console.warn("scales: refresh failed", error);
    }
    schedule();
  };
  const sync = () => {
    every.disabled = !auto.checked;
    const url = new URL(location.href);
    if (auto.checked) url.searchParams.set("refresh", String(seconds()));
    else url.searchParams.delete("refresh");
    history.replaceState(null, "", url);
    schedule();
  };
  q.addEventListener("input", filter);
  auto.addEventListener("change", sync);
  every.addEventListener("change", sync);
  filter();
  if (auto.checked) chart();
  schedule();
})();
`;

function isObject(
  value: SnapshotValue | undefined,
): value is { readonly [key: string]: SnapshotValue } {
  return typeof value === "object" && value !== null;
}

/** The viewer URL of a container path: `/web/x` → `/status/web/x/`. */
export function pageHref(prefix: string, path: string): string {
  if (path === "/") return prefix;
  return prefix + path.slice(1).split("/").map(encodeURIComponent).join("/") + "/";
}

function leaf(value: SnapshotValue, attributes: string): string {
  if (typeof value === "number") {
    return `<td class="n"${attributes} data-value="${value}" title="${value}">${
      formatNumber(value)
    }</td>`;
  }
  if (typeof value === "string") {
    const cls = isErrorMarker(value) ? "err" : "s";
    return `<td class="${cls}"${attributes}>${escapeHtml(value)}</td>`;
  }
  if (typeof value === "boolean") return `<td class="b"${attributes}>${value}</td>`;
  return `<td class="null"${attributes}>null</td>`;
}

function valueCell(value: SnapshotValue, pathAttribute: string, keys: readonly string[]): string {
  if (isObject(value)) {
    let rows = "";
    for (const key in value) {
      const name = escapeHtml(key);
      rows += `<tr data-name="${name}"><th scope="row">${name}</th>${
        valueCell(value[key], pathAttribute, [...keys, key])
      }</tr>`;
    }
    return rows === ""
      ? `<td class="empty"${pathAttribute}>(empty)</td>`
      : `<td class="d"><table><tbody>${rows}</tbody></table></td>`;
  }
  const keysAttribute = keys.length === 0 ? "" : ` data-keys="${escapeHtml(JSON.stringify(keys))}"`;
  return leaf(value, pathAttribute + keysAttribute);
}

function container(node: StatNode, snapshot: Snapshot, prefix: string): string {
  let rows = "";
  for (const [name, cell] of node.cells) {
    const value = ownSnapshotValue(snapshot, name);
    if (value === undefined) continue;
    const escaped = escapeHtml(name);
    const pathAttribute = ` data-path="${escapeHtml(joinPath(node.path, name))}"`;
    rows += `<tr data-name="${escaped}" data-type="${
      escapeHtml(cell.type)
    }"><th scope="row">${escaped}</th>${valueCell(value, pathAttribute, [])}</tr>`;
  }
  let html = rows === "" ? "" : `<table class="stats"><tbody>${rows}</tbody></table>`;
  for (const [name, child] of node.children) {
    const value = ownSnapshotValue(snapshot, name);
    if (!isObject(value)) continue;
    const escaped = escapeHtml(name);
    const link = `<a href="${escapeHtml(pageHref(prefix, child.path))}">${escaped}</a>`;
    const attributes = `data-name="${escaped}" data-path="${escapeHtml(child.path)}"`;
    html += child.collapsed
      ? `<section class="c collapsed" ${attributes}><h2>${link} <span class="tag">collapsed</span></h2></section>`
      : `<section class="c" ${attributes}><h2>${link}</h2>${
        container(child, value as Snapshot, prefix)
      }</section>`;
  }
  return html;
}

function breadcrumbs(prefix: string, node: StatNode): string {
  const chain: StatNode[] = [];
  for (let n: StatNode | null = node; n !== null; n = n.parent) chain.push(n);
  chain.reverse();
  return chain.map((n, i) => {
    const label = n.parent === null ? "/" : escapeHtml(n.name);
    return i === chain.length - 1
      ? `<span aria-current="page">${label}</span>`
      : `<a href="${escapeHtml(pageHref(prefix, n.path))}">${label}</a>`;
  }).join("");
}

function formatLinks(query: string): string {
  return VIEWER_FORMATS.filter((format) => format !== "html").map((format) => {
    const params = new URLSearchParams({ format });
    if (query !== "") params.set("query", query);
    return `<a href="?${escapeHtml(params.toString())}">${format}</a>`;
  }).join(" ");
}

function document(
  title: string,
  heading: string,
  nav: string,
  controls: string,
  body: string,
  nonce: string,
  script: boolean,
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header>
<h1>${heading}</h1>
${nav}
${controls}
</header>
<main id="stats">
${body}
</main>
${script ? `<script nonce="${nonce}">${SCRIPT}</script>\n` : ""}</body>
</html>
`;
}

/**
 * The HTML page of one container: title and heading with the server name
 * and path, breadcrumbs, the filter form, links to the other formats, and
 * the (filtered) tree with each container name a link to its own page.
 */
export function renderPage(options: PageOptions): string {
  const { serverName, prefix, node, snapshot, query, refresh, nonce } = options;
  const name = escapeHtml(serverName);
  const path = escapeHtml(node.path);
  const here = escapeHtml(pageHref(prefix, node.path));
  const controls = `<form method="get" action="${here}" role="search">
<input type="search" id="q" name="query" value="${
    escapeHtml(query)
  }" placeholder="filter: name, or key &gt; value" aria-label="Filter stats">
<button type="submit">Filter</button>${query === "" ? "" : ` <a href="${here}">clear</a>`}
<span id="auto-controls" hidden><label><input type="checkbox" id="auto"${
    refresh === undefined ? "" : " checked"
  }> auto-refresh</label> every <input type="number" id="every" name="refresh" min="1" max="3600" value="${
    refresh ?? 5
  }"${refresh === undefined ? " disabled" : ""} aria-label="Refresh interval in seconds"> s</span>
<span class="formats">${formatLinks(query)}</span>
</form>`;
  let body = snapshot === undefined ? "" : container(node, snapshot, prefix);
  if (body === "") {
    body = query === ""
      ? `<p class="empty">No stats here yet.</p>`
      : `<p class="empty">No stats match <code>${escapeHtml(query)}</code>.</p>`;
  }
  return document(
    `${name} — ${path}`,
    `${name} <span class="tag">${path}</span>`,
    `<nav class="crumbs" aria-label="Breadcrumbs">${breadcrumbs(prefix, node)}</nav>`,
    controls,
    body,
    nonce,
    true,
  );
}

/** A small HTML page for an error status (404, 400, …), without script. */
export function renderErrorPage(
  serverName: string,
  prefix: string,
  status: number,
  message: string,
  nonce: string,
): string {
  const name = escapeHtml(serverName);
  return document(
    `${status} — ${name}`,
    `${name} <span class="tag">${status}</span>`,
    `<nav class="crumbs"><a href="${escapeHtml(prefix)}">/</a></nav>`,
    "",
    `<p>${escapeHtml(message)}</p>`,
    nonce,
    false,
  );
}
