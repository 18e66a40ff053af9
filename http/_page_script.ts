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
 * Live filtering, auto-refresh, charts and in-place loading. Runs in the
 * browser, once, with the page's `<main id="stats">`, `#q`, `#auto`,
 * `#every` and `#auto-controls` in place.
 */
export function pageScript(config: PageScriptConfig): void {
  const main = document.getElementById("stats") as HTMLElement;
  const q = document.getElementById("q") as HTMLInputElement;
  const auto = document.getElementById("auto") as HTMLInputElement;
  const every = document.getElementById("every") as HTMLInputElement;
  (document.getElementById("auto-controls") as HTMLElement).hidden = false;
  const NS = "http://www.w3.org/2000/svg";
  /** Points kept per series, series kept, charts drawn. */
  const KEEP = 720, MAX_SERIES = 2_500, MAX_CHARTS = 400;
  /** Chart geometry: the plot spans x [X0, W] and y [Y0, Y1]; labels sit left and below. */
  const W = 224, H = 62, X0 = 46, Y0 = 5, Y1 = 48;
  /** Paths of left-out containers opened in place: refreshes ask for them too. */
  const opened = new Set<string>();
  /** The text the page was last filtered by on the server (`?find=`), `""` for none. */
  let found = "";

  // ---------------------------------------------------------------- loading
  const pageUrl = (href: string, extra: Record<string, string> = {}): URL => {
    const url = new URL(href, location.href);
    url.searchParams.delete("open");
    for (const path of opened) url.searchParams.append("open", path);
    if (found !== "") url.searchParams.set("find", found);
    for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
    return url;
  };
  /** The `<main>` of the page at `url`, or `null`. Parses only `<main>`: the rest carries another nonce. */
  const fetchMain = async (url: URL): Promise<HTMLElement | null> => {
    const response = await fetch(url, { cache: "no-store", headers: { accept: "text/html" } });
    if (!response.ok) return null;
    const text = await response.text();
    const start = text.indexOf('<main id="stats"');
    const end = text.lastIndexOf("</main>");
    if (start < 0 || end < start) return null;
    return new DOMParser().parseFromString(text.slice(start, end + 7), "text/html")
      .getElementById("stats");
  };

  // ----------------------------------------------------------------- filter
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
  let findTimer: ReturnType<typeof setTimeout> | undefined;
  /** With parts of the tree left out of the page, the server filters them too. */
  const findOnServer = (): void => {
    clearTimeout(findTimer);
    const t = q.value.trim();
    const partial = main.querySelector("section.lazy, tr.more") !== null;
    if (/[<>=!]/.test(t) || t === found || (!partial && found === "")) return;
    findTimer = setTimeout(async () => {
      found = t;
      try {
        const next = await fetchMain(pageUrl(location.href));
        if (next && q.value.trim() === t) replaceMain(next);
      } catch (error) {
        console.warn("scales: filtering on the server failed", error);
      }
    }, 300);
  };

  // ----------------------------------------------------------------- series
  interface Series {
    t: number[];
    v: number[];
  }
  const store = new Map<string, Series>();
  const seriesOf = (id: string): Series | undefined => {
    let s = store.get(id);
    if (!s && store.size < MAX_SERIES) store.set(id, s = { t: [], v: [] });
    return s;
  };
  /** Records every number under `root`, as of the server's clock `t`. */
  const observe = (root: Element, t: number): void => {
    if (!(t > 0)) return;
    for (const td of root.querySelectorAll<HTMLElement>("td[data-value]")) {
      const s = seriesOf(td.dataset.path + " " + (td.dataset.keys ?? ""));
      if (!s || (s.t.length > 0 && s.t[s.t.length - 1] >= t)) continue;
      s.t.push(t);
      s.v.push(Number(td.dataset.value));
      if (s.t.length > KEEP) {
        s.t.shift();
        s.v.shift();
      }
    }
  };
  interface HistoryData {
    t: number[];
    series: Record<string, (number | null)[]>;
  }
  /** Puts the server's history in front of what the page has seen. */
  const seed = (data: HistoryData): void => {
    for (const [id, values] of Object.entries(data.series)) {
      const s = seriesOf(id);
      if (!s) continue;
      const first = s.t.length > 0 ? s.t[0] : Infinity;
      const t: number[] = [], v: number[] = [];
      values.forEach((value, i) => {
        if (value !== null && data.t[i] < first) {
          t.push(data.t[i]);
          v.push(value);
        }
      });
      s.t = t.concat(s.t).slice(-KEEP);
      s.v = v.concat(s.v).slice(-KEEP);
    }
  };

  // ----------------------------------------------------------------- charts
  interface Line {
    label: string;
    t: number[];
    v: number[];
  }
  interface Chart {
    /** The stat's row: its last cell holds the stat's charts. */
    host: HTMLElement;
    /** The stat's name, then the dict key for an entry's chart. */
    title: string;
    /** The dict key shown above an entry's chart, `""` for the stat's own. */
    key: string;
    unit: string;
    lines: Line[];
    /** The counter's total, shown beside its rate. */
    total?: number;
  }
  const numberText = new Intl.NumberFormat("en", { maximumSignificantDigits: 4 });
  const totalText = new Intl.NumberFormat("en", { maximumFractionDigits: 3 });
  const axisText = new Intl.NumberFormat("en", {
    notation: "compact",
    maximumSignificantDigits: 3,
  });
  const withUnit = (text: string, unit: string): string =>
    unit === "" ? text : unit.startsWith("/") || unit === "B" ? text + unit : text + " " + unit;
  const clock = (t: number): string => new Date(t).toLocaleTimeString([], { hour12: false });
  const ago = (ms: number): string => {
    const s = Math.round(ms / 1000);
    return s < 120 ? "−" + s + "s" : s < 7200 ? "−" + Math.round(s / 60) + "m" : "−" +
      Math.round(s / 3600) + "h";
  };
  const line = (id: string, label: string, rate: boolean): Line => {
    const s = store.get(id);
    if (!s) return { label, t: [], v: [] };
    if (!rate) return { label, t: s.t, v: s.v };
    const t: number[] = [], v: number[] = [];
    for (let i = 1; i < s.t.length; i++) {
      const r = (s.v[i] - s.v[i - 1]) * 1000 / (s.t[i] - s.t[i - 1]);
      if (r >= 0) {
        t.push(s.t[i]);
        v.push(r);
      }
    }
    return { label, t, v };
  };
  const leafOf = (row: Element): HTMLElement | null =>
    row.querySelector<HTMLElement>(":scope > td[data-value]");
  /** The charts the page asks for, from its rows' kinds. */
  const charts = (): Chart[] => {
    const out: Chart[] = [];
    const single = (
      host: HTMLElement,
      row: HTMLElement,
      key: string,
      kind: string,
      unit: string,
    ): void => {
      const td = leafOf(row);
      if (!td) return;
      const id = td.dataset.path + " " + (td.dataset.keys ?? "");
      const counter = kind === "counter" || kind === "sum" || kind === "counterDict";
      out.push({
        host,
        title: (host.dataset.name ?? "") + (key === "" ? "" : " " + key),
        key,
        unit: counter ? "/s" : unit,
        lines: [line(id, "last", counter)],
        total: counter ? Number(td.dataset.value) : undefined,
      });
    };
    const group = (
      host: HTMLElement,
      path: string,
      keys: string[],
      fields: PageScriptConfig["percentiles"],
      unit: string,
    ): void => {
      const key = keys.join(" ");
      out.push({
        host,
        title: (host.dataset.name ?? "") + (key === "" ? "" : " " + key),
        key,
        unit,
        lines: fields.map(([field, label]) =>
          line(path + " " + JSON.stringify([...keys, field]), label, false)
        ),
      });
    };
    for (const row of main.querySelectorAll<HTMLElement>("tr[data-kind]")) {
      const kind = row.dataset.kind ?? "", unit = row.dataset.unit ?? "";
      const path = row.querySelector<HTMLElement>("[data-path]")?.dataset.path ?? "";
      const inner = (): HTMLElement[] =>
        Array.from(row.querySelectorAll<HTMLElement>(":scope > td.d > table > tbody > tr"));
      if (kind === "counter" || kind === "sum" || kind === "gauge") {
        single(row, row, "", kind, unit);
      } else if (kind === "counterDict" || kind === "gaugeDict") {
        for (const r of inner()) single(row, r, r.dataset.name ?? "", kind, unit);
      } else if (kind === "pmf") group(row, path, [], config.percentiles, unit);
      else if (kind === "meter") group(row, path, [], config.rates, "/s");
      else if (kind === "pmfDict" || kind === "meterDict") {
        const fields = kind === "pmfDict" ? config.percentiles : config.rates;
        for (const r of inner()) {
          group(row, path, [r.dataset.name ?? ""], fields, kind === "pmfDict" ? unit : "/s");
        }
      }
    }
    return out;
  };
  const el = <K extends keyof SVGElementTagNameMap>(
    tag: K,
    attributes: Record<string, string | number>,
    text?: string,
  ): SVGElementTagNameMap[K] => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const html = (tag: string, cls: string, text?: string): HTMLElement => {
    const e = document.createElement(tag);
    e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  /** The time span every chart shares: from the oldest point on the page to the newest. */
  let domain: [number, number] = [0, 1];
  /** Every drawn chart's cursor mover, so that the cursor moves on all at once. */
  let cursors: ((t: number | undefined) => void)[] = [];
  const moveCursors = (t: number | undefined): void => {
    for (const move of cursors) move(t);
  };
  /** One chart with its key, range and read-out, or `null` while it has under two points. */
  const draw = (chart: Chart): HTMLElement | null => {
    const { lines, unit } = chart;
    if (!lines.some((l) => l.v.length >= 2)) return null;
    let lo = 0, hi = 0;
    for (const l of lines) {
      for (const v of l.v) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    // Round the axis out to a round number: 1, 1.2, 1.5, 2, … 8 times a power of ten.
    const nice = (v: number): number => {
      if (!(v > 0)) return 0;
      const p = 10 ** Math.floor(Math.log10(v));
      return ([1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * p >= v * (1 - 1e-9)) ??
        10) * p;
    };
    hi = nice(hi);
    lo = lo < 0 ? -nice(-lo) : 0;
    if (!(hi > lo)) hi = lo + 1;
    const [t0, t1] = domain;
    const x = (t: number): number => X0 + (t - t0) / (t1 - t0 || 1) * (W - X0);
    const y = (v: number): number => Y1 - (v - lo) / (hi - lo) * (Y1 - Y0);
    const label = chart.title + (chart.total !== undefined ? " per second" : "") +
      (unit !== "" && chart.total === undefined ? " in " + unit : "");
    const box = el("svg", {
      class: "chart",
      viewBox: `0 0 ${W} ${H}`,
      width: W,
      height: H,
      role: "img",
      tabindex: 0,
    });
    const mid = (lo + hi) / 2;
    for (const v of [hi, mid, lo]) {
      box.append(el("line", { class: "grid", x1: X0, x2: W, y1: y(v), y2: y(v) }));
      box.append(
        el(
          "text",
          { x: X0 - 4, y: y(v) + 3, "text-anchor": "end" },
          withUnit(axisText.format(v), unit),
        ),
      );
    }
    box.append(el("text", { x: X0, y: H - 2 }, ago(t1 - t0)));
    box.append(el("text", { x: W, y: H - 2, "text-anchor": "end" }, "now"));
    lines.forEach((l, i) => {
      const points = l.v.map((v, j) => x(l.t[j]).toFixed(1) + "," + y(v).toFixed(1));
      box.append(el("polyline", { class: "l" + i, points: points.join(" ") }));
    });
    const cursor = el("line", { class: "cursor", y1: Y0, y2: Y1, visibility: "hidden" });
    box.append(cursor);
    const last = (l: Line): number | undefined => l.v[l.v.length - 1];
    const all = lines.flatMap((l) => l.v);
    const min = Math.min(...all), max = Math.max(...all);
    const summary = lines.map((l) =>
      (lines.length > 1 ? l.label + " " : "") + withUnit(numberText.format(last(l) ?? NaN), unit)
    ).join(", ");
    const span = ago(t1 - t0).slice(1);
    box.setAttribute(
      "aria-label",
      `${label}, last ${span}: now ${summary}; min ${withUnit(numberText.format(min), unit)}, max ${
        withUnit(numberText.format(max), unit)
      }` + (chart.total !== undefined ? `; total ${totalText.format(chart.total)}` : ""),
    );
    box.append(el("title", {}, label));
    // Key: each line's sample (colour and dash), label and last value; then min, max, total.
    const key = html("div", "k");
    lines.forEach((l, i) => {
      const item = html("span", "i");
      const sample = el("svg", { viewBox: "0 0 18 6", "aria-hidden": "true" });
      sample.append(el("polyline", { class: "l" + i, points: "0,3 18,3" }));
      item.append(sample, l.label + " ");
      item.append(html("b", "", withUnit(numberText.format(last(l) ?? NaN), unit)));
      key.append(item);
    });
    const range = html(
      "div",
      "k",
      `min ${withUnit(numberText.format(min), unit)} · max ${
        withUnit(numberText.format(max), unit)
      }` + (chart.total !== undefined ? ` · total ${totalText.format(chart.total)}` : ""),
    );
    const readout = html("div", "readout");
    readout.setAttribute("aria-live", "polite");
    // Hover and keys: the nearest sample's values, and the cursor at its time on every chart.
    const times = Array.from(new Set(lines.flatMap((l) => l.t))).sort((a, b) => a - b);
    let at = times.length - 1;
    const show = (index: number): void => {
      at = Math.max(0, Math.min(times.length - 1, index));
      const t = times[at];
      moveCursors(t);
      readout.textContent = clock(t) + "  " + lines.map((l) => {
        const j = l.t.indexOf(t);
        return (lines.length > 1 ? l.label + " " : "") +
          (j < 0 ? "–" : withUnit(numberText.format(l.v[j]), unit));
      }).join("  ");
    };
    const hide = (): void => {
      moveCursors(undefined);
      readout.textContent = "";
    };
    cursors.push((t) => {
      if (t === undefined || t < t0 || t > t1) cursor.setAttribute("visibility", "hidden");
      else {
        cursor.setAttribute("x1", String(x(t)));
        cursor.setAttribute("x2", String(x(t)));
        cursor.setAttribute("visibility", "visible");
      }
    });
    box.addEventListener("pointermove", (event) => {
      const r = box.getBoundingClientRect();
      const t = t0 + ((event.clientX - r.left) * W / r.width - X0) / (W - X0) * (t1 - t0);
      let best = 0;
      for (let i = 1; i < times.length; i++) {
        if (Math.abs(times[i] - t) < Math.abs(times[best] - t)) best = i;
      }
      show(best);
    });
    box.addEventListener("pointerleave", hide);
    box.addEventListener("blur", hide);
    box.addEventListener("focus", () => show(at));
    box.addEventListener("keydown", (event) => {
      const step = { ArrowLeft: -1, ArrowRight: 1, Home: -times.length, End: times.length }[
        event.key
      ];
      if (step === undefined) return;
      event.preventDefault();
      show(at + step);
    });
    const figure = html("div", "fig");
    figure.setAttribute("role", "group");
    figure.setAttribute("aria-label", label);
    if (chart.key !== "") figure.append(html("div", "fk", chart.key));
    figure.append(box, key, range, readout);
    return figure;
  };
  const drawAll = (): void => {
    const list = charts().slice(0, MAX_CHARTS);
    let t0 = Infinity, t1 = -Infinity;
    for (const c of list) {
      for (const l of c.lines) {
        if (l.t.length < 2) continue;
        t0 = Math.min(t0, l.t[0]);
        t1 = Math.max(t1, l.t[l.t.length - 1]);
      }
    }
    domain = [t0, t1];
    cursors = [];
    const figures = new Map<HTMLElement, HTMLElement[]>();
    for (const c of list) {
      const figure = draw(c);
      const list = figures.get(c.host) ?? [];
      if (figure) list.push(figure);
      figures.set(c.host, list);
    }
    for (const [host, list] of figures) {
      const old = host.querySelector(":scope > td.chart");
      host.classList.toggle("charted", list.length > 0);
      if (list.length === 0) {
        old?.remove();
        continue;
      }
      const td = document.createElement("td");
      td.className = "chart";
      const figs = html("div", "figs");
      figs.append(...list);
      td.append(figs);
      if (old) old.replaceWith(td);
      else host.append(td);
    }
  };
  const charting = (): boolean => auto.checked || main.dataset.history === "1";

  // ---------------------------------------------------------------- refresh
  const replaceMain = (next: HTMLElement): void => {
    const x = scrollX, y = scrollY;
    main.replaceChildren(...next.childNodes);
    observe(main, Number(next.dataset.t));
    filter();
    if (charting()) drawAll();
    scrollTo(x, y);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const seconds = (): number => Math.min(3600, Math.max(1, Math.round(Number(every.value)) || 5));
  const schedule = (): void => {
    clearTimeout(timer);
    if (auto.checked) timer = setTimeout(refresh, seconds() * 1000);
  };
  const refresh = async (): Promise<void> => {
    try {
      const next = await fetchMain(pageUrl(location.href));
      if (next) replaceMain(next);
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
  /** Opens a left-out container in place. */
  main.addEventListener("click", async (event) => {
    const link = (event.target as Element).closest?.("section.lazy > h2 > a");
    if (!(link instanceof HTMLAnchorElement) || event.ctrlKey || event.metaKey) return;
    const section = link.closest("section") as HTMLElement;
    event.preventDefault();
    const path = section.dataset.path ?? "";
    try {
      const next = await fetchMain(pageUrl(link.href));
      if (!next) return;
      opened.add(path);
      section.classList.remove("lazy");
      section.querySelector(":scope > h2 > .tag")?.remove();
      section.append(...next.childNodes);
      observe(section, Number(next.dataset.t));
      filter();
      if (charting()) drawAll();
    } catch (error) {
      console.warn("scales: loading " + path + " failed", error);
    }
  });
  q.addEventListener("input", () => {
    filter();
    findOnServer();
  });
  auto.addEventListener("change", sync);
  every.addEventListener("change", sync);
  observe(main, Number(main.dataset.t));
  filter();
  if (main.dataset.history === "1") {
    fetch(pageUrl(location.pathname, { history: "" }), { cache: "no-store" })
      .then((response) => response.ok ? response.json() : null)
      .then((data: HistoryData | null) => {
        if (data) seed(data);
        drawAll();
      })
      .catch((error) => console.warn("scales: loading the history failed", error));
  } else if (auto.checked) drawAll();
  schedule();
}
