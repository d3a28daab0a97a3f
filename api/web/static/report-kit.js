"use strict";
// Shared by the report pages: one way to write each kind of figure (every figure is the API's own number,
// only formatted), dates as people read them, and tables whose columns sort.
const ReportKit = (() => {
  const {el} = Dispatch;
  const NONE = "—";  // nothing to count in the period (the API's null)
  const none = (v) => v === null || v === undefined;

  // 0.8125 -> "81.3 %": percentages always with one decimal
  const pct = (v) => none(v) ? NONE : (v * 100).toFixed(1) + " %";
  const score = (v) => none(v) ? NONE : v.toFixed(2);
  const km = (v) => none(v) ? NONE : v.toFixed(1) + " km";
  // money comes as decimal strings to the cent: shown as sent
  const money = (v) => none(v) ? NONE : String(v);
  const count = (v) => none(v) ? NONE : String(v);
  const minutes = (v) => none(v) ? NONE : v.toFixed(1) + " min";
  // a duration as people say it: 44 -> "44 min", 442.5 -> "7 h 23 min", 3233.3 -> "2 d 6 h" (to the minute under
  // a day, to the nearest hour beyond); the raw minutes stay in the tables of figures
  function duration(v) {
    if (none(v)) return NONE;
    const m = Math.round(v);
    if (m < 60) return m + " min";
    if (m < 24 * 60) return Math.floor(m / 60) + " h" + (m % 60 ? " " + (m % 60) + " min" : "");
    const h = Math.round(m / 60);
    return Math.floor(h / 24) + " d" + (h % 24 ? " " + (h % 24) + " h" : "");
  }

  function parse(iso) {
    const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
    return new Date(y, m - 1, d);
  }
  // "2026-11-12" -> "12 Nov", "Thu 12 Nov", "12 Nov 2026" (local dates, never UTC midnight)
  const day = (iso) => parse(iso).toLocaleDateString("en-GB", {day: "numeric", month: "short"});
  const weekday = (iso) => parse(iso).toLocaleDateString("en-GB", {weekday: "short", day: "numeric", month: "short"});
  const longDay = (iso) => parse(iso).toLocaleDateString("en-GB", {day: "numeric", month: "short", year: "numeric"});
  // "2026-11-12T09:05:00" -> "12 Nov 09:05"
  const when = (iso) => none(iso) ? NONE : day(iso) + " " + iso.slice(11, 16);
  const month = (ym) => new Date(Number(ym.slice(0, 4)), Number(ym.slice(5, 7)) - 1, 1)
    .toLocaleDateString("en-GB", {month: "long", year: "numeric"});
  // "2026-11-30", -29 -> "2026-11-01"
  function shift(iso, days) {
    const d = parse(iso);
    d.setDate(d.getDate() + days);
    return Dispatch.localDate(d);
  }

  // a table whose column headings are buttons that sort it (numbers as numbers; "—" always last);
  // columns: [{key, label, value(row) -> sortable value or null, cell(row) -> text or node, num}].
  // `order`: a comparator for the first drawing, before any heading is chosen (no column then claims the sort);
  // `view(sorted)`: the rows to draw (a search, the first few), called on every drawing. Returns {draw}.
  function sortable(table, columns, rows, {initial = 0, descending = false, rowAttrs = () => ({}), order = null,
                                           view = (sorted) => sorted} = {}) {
    let by = order ? null : initial;
    let down = descending;
    const head = table.tHead.rows[0];
    function draw() {
      const col = columns[by];
      const sorted = by === null ? rows.slice().sort(order) : rows.slice().sort((a, b) => {
        const x = col.value(a);
        const y = col.value(b);
        if (none(x) || none(y)) return none(x) - none(y);
        const c = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
        return down ? -c : c;
      });
      head.replaceChildren(...columns.map((c, i) => {
        const th = el("th", {scope: "col", class: c.num ? "num" : null,
                             "aria-sort": i === by ? (down ? "descending" : "ascending") : null});
        if (c.value) {
          // the arrow is for the eye; aria-sort tells a screen reader
          th.append(el("button", {type: "button", class: "sort", onclick: () => { down = by === i ? !down : !!c.num; by = i; draw(); }},
                       c.label, i === by ? el("span", {"aria-hidden": "true", text: down ? " ▼" : " ▲"}) : ""));
        } else {
          th.append(c.label);
        }
        return th;
      }));
      table.tBodies[0].replaceChildren(...view(sorted).map((row) => el("tr", rowAttrs(row), ...columns.map((c, i) => {
        const content = c.cell(row);
        const attrs = {class: c.num ? "num" : null, "data-col": c.key};
        if (c.raw) attrs["data-value"] = JSON.stringify(c.raw(row));
        return el(i === 0 ? "th" : "td", Object.assign(i === 0 ? {scope: "row"} : {}, attrs), content);
      }))));
    }
    draw();
    return {draw};
  }

  // a file the API makes (with the bearer token) handed to the browser as a download
  async function download(path, fallbackName) {
    const response = await Dispatch.api(path, {raw: true});
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename="?([^";]+)"?/.exec(disposition);
    const url = URL.createObjectURL(await response.blob());
    const a = el("a", {href: url, download: named ? named[1] : fallbackName});
    document.body.append(a);
    a.click();
    a.remove();
    // a busy machine may start reading the file later: revoking sooner can break the download
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    return named ? named[1] : fallbackName;
  }

  return {NONE, none, pct, score, km, money, count, minutes, duration, day, weekday, longDay, when, month, shift, parse,
          sortable, download};
})();
