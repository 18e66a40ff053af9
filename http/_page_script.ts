/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The viewer page's script, as browser code that is type-checked and
 * linted like the rest: {@linkcode pageScript} runs in the page, never on
 * the server. The server inlines its source, `(${pageScript})(config)`,
 * under the response's CSP nonce (see `html.ts`), so the function must be
 * self-contained: it may use only its parameter and the browser's globals,
 * never an import or anything else from this module.
 *
 * @module
 */

/** What the server tells the page script: the names it must agree on. */
export interface PageScriptConfig {
  /** A distribution's snapshot fields charted together, and their labels. */
  readonly percentiles: readonly (readonly [field: string, label: string])[];
  /** A meter's snapshot fields charted together, and their labels. */
  readonly rates: readonly (readonly [field: string, label: string])[];
}

/**
 * Live filtering, auto-refresh and charts. Runs in the browser, once, with
 * the page's `<main id="stats">`, `#q`, `#auto`, `#every` and
 * `#auto-controls` in place.
 */
export function pageScript(config: PageScriptConfig): void {
  const main = document.getElementById("stats") as HTMLElement;
  const q = document.getElementById("q") as HTMLInputElement;
  const auto = document.getElementById("auto") as HTMLInputElement;
  const every = document.getElementById("every") as HTMLInputElement;
  (document.getElementById("auto-controls") as HTMLElement).hidden = false;
  const filter = (): void => {
    const t = q.value.trim().toLowerCase();
    const items = main.querySelectorAll<HTMLElement>("[data-name]");
    if (t === "" || /[<>=!]/.test(t)) {
      for (const e of items) e.hidden = false;
      return;
    }
    for (const e of items) e.hidden = true;
    for (const e of items) {
      if (!(e.dataset.name ?? "").toLowerCase().includes(t)) continue;
      for (let a: HTMLElement | null = e; a && a !== main; a = a.parentElement) a.hidden = false;
      for (const d of e.querySelectorAll<HTMLElement>("[data-name]")) d.hidden = false;
    }
  };
  // Charts: each refresh appends every numeric leaf's value to its series
  // (the last KEEP values, for at most MAX series), then draws a sparkline
  // beside the leaf; a PmfStat's percentiles and a MeterStat's m1/m5/m15
  // share one chart beside their table instead.
  const NS = "http://www.w3.org/2000/svg", KEEP = 60, MAX = 3000;
  type Group = readonly [fields: readonly string[], names: readonly string[]];
  const GROUPS: readonly Group[] = [config.percentiles, config.rates].map((pairs) => [
    pairs.map(([field]) => field),
    pairs.map(([, label]) => label),
  ]);
  let series = new Map<string, number[]>();
  const svg = (
    cls: string,
    width: number,
    height: number,
    lines: readonly (readonly [number[], string])[],
    label: string,
  ): SVGSVGElement => {
    const box = document.createElementNS(NS, "svg");
    box.setAttribute("class", cls);
    box.setAttribute("viewBox", "0 0 " + width + " " + height);
    box.setAttribute("preserveAspectRatio", "none");
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", label);
    let lo = Infinity, hi = -Infinity;
    for (const [values] of lines) {
      for (const v of values) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (cls === "chart") lo = Math.min(lo, 0);
    const span = hi - lo || 1;
    for (const [values, line] of lines) {
      const step = width / Math.max(1, values.length - 1);
      const points = values.map((v, i) =>
        (i * step).toFixed(1) + "," + (height - 1 - (v - lo) / span * (height - 2)).toFixed(1)
      );
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
  const cell = (cls: string, ...children: Node[]): HTMLTableCellElement => {
    const td = document.createElement("td");
    td.className = cls;
    td.append(...children);
    return td;
  };
  const chart = (): void => {
    const next = new Map<string, number[]>();
    const groups = new Map<
      string,
      { td: HTMLElement; group: Group; values: Record<string, number[]> }
    >();
    const leaves: [HTMLElement, number[]][] = [];
    for (const td of main.querySelectorAll<HTMLElement>("td[data-value]")) {
      if (next.size >= MAX) break;
      const id = td.dataset.path + " " + (td.dataset.keys || "");
      const values = series.get(id) || [];
      values.push(Number(td.dataset.value));
      if (values.length > KEEP) values.shift();
      next.set(id, values);
      const keys: string[] = td.dataset.keys ? JSON.parse(td.dataset.keys) : [];
      const field = keys.pop() ?? "";
      const group = GROUPS.find(([fields]) => fields.includes(field));
      if (!group) {
        leaves.push([td, values]);
        continue;
      }
      const gid = td.dataset.path + " " + JSON.stringify(keys);
      let entry = groups.get(gid);
      if (!entry) groups.set(gid, entry = { td, group, values: {} });
      entry.values[field] = values;
    }
    series = next;
    for (const [td, values] of leaves) {
      if (values.length < 2) continue;
      const box = svg("spark", 64, 16, [[values, ""]], "recent values of " + td.dataset.path);
      const after = td.nextElementSibling;
      if (after?.classList.contains("spark")) after.replaceChildren(box);
      else td.after(cell("spark", box));
    }
    for (const { td, group: [fields, names], values } of groups.values()) {
      const lines = fields.map((f, i) => [values[f], "l" + i] as const).filter(([v]) => v);
      if (lines.length !== fields.length || lines[0][0].length < 2) continue;
      const holder = td.closest("table")?.parentElement;
      if (!holder) continue;
      const key = document.createElement("div");
      key.className = "k";
      key.append(...names.map((n, i) => {
        const s = document.createElement("span");
        s.className = "l" + i;
        s.textContent = n;
        return s;
      }));
      const box = svg("chart", 160, 44, lines, names.join(", ") + " of " + td.dataset.path);
      const after = holder.nextElementSibling;
      if (after?.classList.contains("chart")) after.replaceChildren(box, key);
      else holder.after(cell("chart", box, key));
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const seconds = (): number => Math.min(3600, Math.max(1, Math.round(Number(every.value)) || 5));
  const schedule = (): void => {
    clearTimeout(timer);
    if (auto.checked) timer = setTimeout(refresh, seconds() * 1000);
  };
  const refresh = async (): Promise<void> => {
    try {
      const response = await fetch(location.href, {
        cache: "no-store",
        headers: { accept: "text/html" },
      });
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
  const sync = (): void => {
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
}
