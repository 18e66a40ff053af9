/**
 * The viewer's HTML page: one self-contained document (inline CSS and
 * script, both under a per-response CSP nonce) that works with JavaScript
 * off and, with it on, adds live filtering, auto-refresh, charts and
 * in-place loading of the containers left out of a large page.
 *
 * Any tree size: the page shows at most `rowBudget` value rows (default
 * 2,000) and containers at most 8 levels deep. A child container that does
 * not fit in what is left, or lies deeper, is shown as a link to its own
 * page with its stat count (`<section class="c lazy">`);
 * with JavaScript, opening it loads it in place, and the filter asks the
 * server (`?query=`) so that it also finds what the page left out. `?all`
 * shows everything; `?open=/path` (repeatable) shows those containers
 * whatever their size.
 *
 * Charts (JavaScript only; see `_page_script.ts`): counters as a rate per
 * second with the total beside it, gauges as values, distributions as
 * p50/p99/p99.9 with a y axis in the stat's unit (milliseconds unless the
 * name says seconds or bytes), meters as m1/m5/m15 per second; each with
 * its min, max and last values and a hover (or arrow-key) read-out, all on
 * one time axis. With a `StatHistory` on the handler the charts
 * start from the server's history as the page opens; without, from the
 * first refresh (the tab keeps what it saw).
 *
 * Page structure, for scripts that build on it:
 * - `<main id="stats" data-t data-history>`: the tree, the server's clock at
 *   rendering (ms since the epoch), and whether `?history` answers; refresh
 *   replaces its children.
 * - Containers are `<section class="c" data-name data-path>`; collapsed ones
 *   (`setCollapsed`) carry the class `collapsed`, left-out ones `lazy`, and
 *   both only a link.
 * - Every stat row is a `<tr data-name data-kind>` (the stat kind) with
 *   `data-unit` where it has one; dict rows are `<tr data-name>`; every leaf
 *   value is a `<td data-path>` (the stat's path) with `data-keys` (a JSON
 *   array of dict keys) inside dict stats and `data-value` (the exact
 *   number) for numbers.
 *
 * @module
 */

import {
  ownSnapshotValue,
  setSnapshotKey,
  type Snapshot,
  type SnapshotValue,
  type StatKind,
} from "../src/stat.ts";
import { isErrorMarker, type StatNode } from "../src/tree.ts";
import { joinPath } from "../src/path.ts";
import { PERCENTILES } from "../src/pmf.ts";
import { RATES } from "../src/meter.ts";
import { CHARTED_QUANTILES } from "../src/history.ts";
import { escapeHtml, formatNumber } from "./_format.ts";
import { VIEWER_FORMATS } from "./_viewer_formats.ts";
import { pageScript, type PageScriptConfig } from "./_page_script.ts";

/**
 * Which workers the page shows, for a server whose stats merge several
 * workers: the page names them, links to each one alone (`?worker=`), and
 * says which did not answer.
 */
export interface WorkerView {
  /** Every worker of the group, in the order to list them. */
  readonly names: readonly string[];
  /** The worker shown alone, or `undefined` for the merged view. */
  readonly selected?: string;
  /** Workers whose stats are missing from this answer. */
  readonly missing?: readonly string[];
}

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
  /**
   * The most value rows to show before leaving containers out (default
   * 2,000; `Infinity` for all); at most half as many container headings
   * (at least 50) are listed.
   */
  readonly rowBudget?: number;
  /** Container paths to show whatever their size (`?open=`). */
  readonly open?: ReadonlySet<string>;
  /** Whether the handler serves `?history` (it has a `StatHistory`). */
  readonly history?: boolean;
  /** The server's clock at rendering, in ms since the epoch (default `Date.now()`). */
  readonly now?: number;
  /** The workers line and picker, for a merged view. */
  readonly workers?: WorkerView;
  /** The `?find=` text the snapshot was narrowed by, `""` (the default) for none. */
  readonly find?: string;
}

/** The default of {@linkcode PageOptions.rowBudget}. */
export const DEFAULT_ROW_BUDGET = 2_000;

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f23;--muted:#57606a;--line:#d0d7de;--bg:#fff;--alt:#f6f8fa;--link:#0550ae;--err:#b3261e;--grid:#eaeef2;--s0:#0550ae;--s1:#953800;--s2:#6639ba;--cursor:#57606a}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9ea7b3;--line:#30363d;--bg:#0d1117;--alt:#161b22;--link:#58a6ff;--err:#ff7b72;--grid:#21262d;--s0:#58a6ff;--s1:#ffa657;--s2:#d2a8ff;--cursor:#9ea7b3}}
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
.note{margin:.3rem 0 0;color:var(--muted);font-size:.85rem}.note.warn{color:var(--err)}
.note a+a{margin-left:.5rem}
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
td.chart{padding:.15rem 0 .3rem .6rem;vertical-align:top;background:var(--bg)!important}
tr.charted>*{background:var(--bg)!important}tr.charted{border-top:1px solid var(--grid)}
.figs{display:flex;flex-wrap:wrap;gap:.2rem 1rem;max-width:44rem}
.fig{width:224px}
.fk{font:.75rem ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--fg);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
svg.chart{display:block;width:224px;height:62px;overflow:visible;font:10px ui-monospace,SFMono-Regular,Menlo,monospace}
svg.chart:focus{outline:2px solid var(--link);outline-offset:2px}
svg.chart text{fill:var(--muted)}
svg.chart .grid{stroke:var(--grid);stroke-width:1}
svg.chart .cursor{stroke:var(--cursor);stroke-width:1}
svg polyline{fill:none;stroke-width:1.5;stroke-linejoin:round}
.l0{stroke:var(--s0)}.l1{stroke:var(--s1);stroke-dasharray:5 3}.l2{stroke:var(--s2);stroke-dasharray:1.5 2.5}
.k{font-size:.72rem;color:var(--muted);white-space:nowrap;font-variant-numeric:tabular-nums;line-height:1.3}
.k b{font-weight:600;color:var(--fg)}
.k svg{width:18px;height:6px;vertical-align:middle;margin-right:.2rem}
.k .i+.i{margin-left:.5rem}
.readout{font-size:.72rem;min-height:1.1em;white-space:nowrap;font-variant-numeric:tabular-nums}
@media (max-width:640px){body{padding:0 .5rem 2rem}input[type=search]{min-width:0;flex:1 1 10rem}
.formats{margin-left:0}.c{margin-left:0;padding-left:.4rem}
table.stats,table.stats>tbody,table.stats>tbody>tr{display:block}
table.stats>tbody>tr>th{display:block;padding-top:.2rem}
table.stats>tbody>tr>td{display:inline-block;padding-left:.8rem}
td.chart{display:block!important;padding-left:.8rem}}
`;

/** A quantile as people label it: 0.5 → `p50`, 0.999 → `p99.9`. */
function percentileLabel(quantile: number): string {
  return `p${Math.round(quantile * 1000) / 10}`;
}

/** The page script's source with its configuration, ready for a `<script>` element. */
const SCRIPT = `(${pageScript.toString()})(${
  JSON.stringify(
    {
      percentiles: PERCENTILES.filter(({ quantile }) => CHARTED_QUANTILES.includes(quantile)).map((
        { field, quantile },
      ) => [field, percentileLabel(quantile)]),
      rates: RATES.filter(({ field }) => field !== "mean").map(({ field }) => [field, field]),
    } satisfies PageScriptConfig,
  ).replace(/</g, "\\u003c")
});`;

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

/**
 * The unit a stat's numbers are in, for its label and chart axis: the
 * stat's own `unit` when it has one, `s` or `B` for a name ending in
 * Seconds or Bytes, milliseconds for other distributions, per second for
 * meters, none otherwise.
 */
function unitOf(name: string, kind: StatKind, cell: object): string {
  const own = (cell as { unit?: unknown }).unit;
  if (typeof own === "string" && own !== "") return own;
  if (/(?:_s|S)econds$/.test(name)) return "s";
  if (/(?:_b|B)ytes$/.test(name)) return "B";
  if (kind === "pmf" || kind === "pmfDict") return "ms";
  if (kind === "meter" || kind === "meterDict") return "/s";
  return "";
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

/**
 * The part of `snapshot` the page's live filter shows for `text`: every
 * name or key containing it (ignoring case) at any depth, whole, with its
 * ancestors; `undefined` when nothing matches. The page's script asks for
 * it (`?find=`) when parts of the tree were left out of the page.
 */
export function findInSnapshot(
  snapshot: { readonly [key: string]: SnapshotValue },
  text: string,
): Snapshot | undefined {
  const lower = text.toLowerCase();
  let out: Snapshot | undefined;
  for (const name in snapshot) {
    const value = snapshot[name];
    const kept = name.toLowerCase().includes(lower)
      ? value
      : isObject(value)
      ? findInSnapshot(value, lower)
      : undefined;
    if (kept !== undefined) setSnapshotKey(out ??= {}, name, kept);
  }
  return out;
}

/** The table rows a snapshot value takes: one per leaf. */
function rowsOf(value: SnapshotValue | undefined): number {
  if (!isObject(value)) return 1;
  let n = 0;
  for (const key in value) n += rowsOf(value[key]);
  return Math.max(n, 1);
}

/** Value rows and stats in `node`'s part of `snapshot`, children included. */
function sizeOf(node: StatNode, snapshot: Snapshot): { rows: number; stats: number } {
  let rows = 0, stats = 0;
  for (const name of node.cells.keys()) {
    const value = ownSnapshotValue(snapshot, name);
    if (value === undefined) continue;
    rows += rowsOf(value);
    stats++;
  }
  for (const [name, child] of node.children) {
    const value = ownSnapshotValue(snapshot, name);
    if (!isObject(value)) continue;
    const size = sizeOf(child, value as Snapshot);
    rows += size.rows;
    stats += size.stats;
  }
  return { rows, stats };
}

interface RenderState {
  readonly prefix: string;
  readonly open: ReadonlySet<string>;
  /** The page's row budget. */
  readonly budget: number;
  /** Value rows still allowed. */
  left: number;
  /** Container headings still allowed. */
  headings: number;
  /** Set once a container was left out for its size: no more descending into large ones. */
  full: boolean;
  /** Whether the snapshot is a `?find=` result: collapsed containers then show what matched. */
  readonly finding: boolean;
}

function plural(n: number, word: string): string {
  return `${formatNumber(n)} ${word}${n === 1 ? "" : "s"}`;
}

/** The budgets a container gets on its own page: what an opened container gets in place. */
function freshState(state: RenderState): RenderState {
  return {
    ...state,
    left: state.budget,
    headings: Math.max(50, Math.ceil(state.budget / 2)),
    full: false,
  };
}

/**
 * A container's stats and, nested, its children, within the state's row
 * and heading budgets: a child that fits is shown whole; one that does not
 * is descended into while nothing has been left out yet, and otherwise
 * left out as a link (`lazy`). Past the heading budget, the remaining
 * children are counted in one line.
 */
/** Containers nested deeper than this below the page's are links, whatever their size. */
const MAX_DEPTH = 8;

function container(node: StatNode, snapshot: Snapshot, state: RenderState, depth = 0): string {
  const href = escapeHtml(pageHref(state.prefix, node.path));
  let rows = "";
  let skipped = 0;
  for (const [name, cell] of node.cells) {
    const value = ownSnapshotValue(snapshot, name);
    if (value === undefined) continue;
    const count = rowsOf(value);
    if (count > state.left) {
      skipped++;
      state.full = true;
      continue;
    }
    state.left -= count;
    const escaped = escapeHtml(name);
    const pathAttribute = ` data-path="${escapeHtml(joinPath(node.path, name))}"`;
    const unit = unitOf(name, cell.kind, cell);
    const unitAttribute = unit === "" ? "" : ` data-unit="${escapeHtml(unit)}"`;
    const label = isObject(value) && unit !== ""
      ? `${escaped} <span class="tag">${escapeHtml(unit)}</span>`
      : escaped;
    rows += `<tr data-name="${escaped}" data-type="${escapeHtml(cell.type)}" data-kind="${
      escapeHtml(cell.kind)
    }"${unitAttribute}><th scope="row">${label}</th>${valueCell(value, pathAttribute, [])}</tr>`;
  }
  if (skipped > 0) {
    rows += `<tr class="more"><td colspan="2"><a href="${href}?all">${
      plural(skipped, "more stat")
    } (show all)</a></td></tr>`;
  }
  let html = rows === "" ? "" : `<table class="stats"><tbody>${rows}</tbody></table>`;
  let unlisted = 0;
  for (const [name, child] of node.children) {
    const value = ownSnapshotValue(snapshot, name);
    if (!isObject(value)) continue;
    if (state.headings <= 0) {
      unlisted++;
      continue;
    }
    state.headings--;
    const escaped = escapeHtml(name);
    const link = `<a href="${escapeHtml(pageHref(state.prefix, child.path))}">${escaped}</a>`;
    const attributes = `data-name="${escaped}" data-path="${escapeHtml(child.path)}"`;
    if (child.collapsed && !state.finding) {
      html +=
        `<section class="c collapsed" ${attributes}><h2>${link} <span class="tag">collapsed</span></h2></section>`;
      continue;
    }
    let inner: string;
    if (state.open.has(child.path)) inner = container(child, value as Snapshot, freshState(state));
    else if (state.left !== Infinity) {
      const size = sizeOf(child, value as Snapshot);
      const tooDeep = depth + 1 >= MAX_DEPTH;
      if (tooDeep || (size.rows > state.left && (state.full || child.children.size === 0))) {
        if (!tooDeep) state.full = true;
        html += `<section class="c lazy" ${attributes}><h2>${link} <span class="tag">${
          plural(size.stats, "stat")
        }, not shown</span></h2></section>`;
        continue;
      }
      inner = container(child, value as Snapshot, state, depth + 1);
    } else inner = container(child, value as Snapshot, state, depth + 1);
    html += `<section class="c" ${attributes}><h2>${link}</h2>${inner}</section>`;
  }
  if (unlisted > 0) {
    html += `<p class="more"><a href="${href}?all">${
      plural(unlisted, "more container")
    } (show all)</a></p>`;
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

function workersLine(workers: WorkerView | undefined): string {
  if (workers === undefined || workers.names.length === 0) return "";
  const link = (label: string, query: string, current: boolean) =>
    current
      ? `<span aria-current="page">${escapeHtml(label)}</span>`
      : `<a href="?${escapeHtml(query)}">${escapeHtml(label)}</a>`;
  const picker = [link("all workers", "", workers.selected === undefined)].concat(
    workers.names.map((name) =>
      link(name, new URLSearchParams({ worker: name }).toString(), workers.selected === name)
    ),
  ).join(" ");
  const missing = workers.missing ?? [];
  return `\n<nav class="note workers" aria-label="Workers">${picker}</nav>${
    missing.length === 0
      ? ""
      : `\n<p class="note warn" role="status">Missing: ${
        missing.map(escapeHtml).join(", ")
      } (no answer in time; last known values shown)</p>`
  }`;
}

function document(
  title: string,
  heading: string,
  nav: string,
  controls: string,
  body: string,
  nonce: string,
  script: boolean,
  mainAttributes = "",
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
<main id="stats"${mainAttributes}>
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
</form>${workersLine(options.workers)}`;
  const budget = options.rowBudget ?? DEFAULT_ROW_BUDGET;
  const state = freshState({
    prefix,
    open: options.open ?? new Set(),
    budget,
    left: 0,
    headings: 0,
    full: false,
    finding: (options.find ?? "") !== "",
  });
  let body = snapshot === undefined ? "" : container(node, snapshot, state);
  if (body === "") {
    const asked = options.find || query;
    body = asked === ""
      ? `<p class="empty">No stats here yet.</p>`
      : `<p class="empty">No stats match <code>${escapeHtml(asked)}</code>.</p>`;
  }
  return document(
    `${name} — ${path}`,
    `${name} <span class="tag">${path}</span>`,
    `<nav class="crumbs" aria-label="Breadcrumbs">${breadcrumbs(prefix, node)}</nav>`,
    controls,
    body,
    nonce,
    true,
    ` data-t="${options.now ?? Date.now()}" data-history="${options.history ? 1 : 0}"`,
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
