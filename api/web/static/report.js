"use strict";
// The supervisor's report: the service standards over 7, 30 or 90 days against their targets (headline tiles and
// trend charts with dashed target lines), each technician and each customer over the period (a customer's
// history on request), and what waits for someone: open alerts, complaints, follow-up calls. Every figure is
// the API's (/kpis, /customers/{id}/history, /alerts, /complaints, /follow-ups), only formatted here.
(() => {
  const {api, guard, localDate, el, say} = Dispatch;
  const K = ReportKit;
  const user = guard();
  if (!user) return;

  const PRIORITIES = ["P1", "P2", "P3", "P4"];
  const PRIORITY = {P1: "P1 emergency", P2: "P2 high", P3: "P3 normal", P4: "P4 low"};
  // line colours with at least 3:1 contrast on white, told apart in the legend, the summary and the table too
  const COLOURS = ["#0b4f9c", "#b00020", "#1b5e20", "#6a1b9a", "#8a4b00"];
  const TARGET_COLOUR = "#333";
  const form = document.getElementById("period-form");
  const today = localDate();
  const techNames = new Map();
  const custNames = new Map();
  let loads = 0;
  const charts = [];  // the uPlot instances on screen, resized with the page

  // ---- figures against targets -------------------------------------------------------------------------
  // met (true), missed (false) or nothing to judge (null); a target is a floor unless `atMost`
  function verdict(value, target, atMost) {
    if (K.none(value) || K.none(target)) return null;
    return atMost ? value <= target : value >= target;
  }
  const targetText = (target, atMost, fmt) => (atMost ? "at most " : "at least ") + fmt(target);

  function tile({key, label, value, raw, target, atMost = false, fmt = K.pct, detail = ""}) {
    const met = verdict(raw, target, atMost);
    const state = K.none(target) ? "info" : met === null ? "nodata" : met ? "met" : "missed";
    const words = {met: "✓ Target met", missed: "✗ Target not met", nodata: "Nothing to judge yet", info: ""}[state];
    return el("li", {class: "tile " + state, "data-tile": key},
      el("h3", {text: label}),
      el("p", {class: "value", "data-value": JSON.stringify(K.none(raw) ? null : raw), text: value}),
      K.none(target) ? "" : el("p", {class: "target", text: "Target: " + targetText(target, atMost, fmt)}),
      words ? el("p", {class: "verdict", text: words}) : "",
      detail ? el("p", {class: "detail", text: detail}) : "");
  }

  function renderTiles(report) {
    const t = report.total;
    const g = report.targets;
    const tiles = PRIORITIES.map((p) => {
      const s = t.sla[p];
      const judged = s.started + s.overdue_unvisited;
      return tile({key: "sla-" + p, label: "On time, " + PRIORITY[p], value: K.pct(s.share), raw: s.share,
                   target: g.sla[p],
                   detail: s.on_time + " of " + judged + " on time" +
                     (s.overdue_unvisited ? ", " + s.overdue_unvisited + " never visited" : "") +
                     (K.none(s.response_median_min) ? "" : "; response median " + K.duration(s.response_median_min) +
                      ", 90th percentile " + K.duration(s.response_p90_min))});
    });
    const f = t.first_time_fix;
    const r = t.resolution;
    const sc = t.score;
    tiles.push(
      tile({key: "sla", label: "On time, all priorities", value: K.pct(t.sla_share), raw: t.sla_share}),
      tile({key: "first_time_fix", label: "First-time fix", value: K.pct(f.rate), raw: f.rate, target: g.first_time_fix,
            detail: f.fixed + " of " + f.first_visits_done + " first visits fixed"}),
      tile({key: "resolution", label: "Resolved within " + r.within_days + " days", value: K.pct(r.rate), raw: r.rate,
            target: g.resolution, detail: r.resolved + " of " + r.orders + " orders"}),
      tile({key: "score", label: "Average customer score", value: K.score(sc.average), raw: sc.average,
            target: g.score, fmt: K.score, detail: sc.count + (sc.count === 1 ? " score" : " scores") + " given"}),
      tile({key: "low_score_share", label: "Scores below 3", value: K.pct(sc.low_share), raw: sc.low_share,
            target: g.low_score_share, atMost: true,
            detail: sc.low + " of " + sc.count + " scores; " + t.low_score_alerts + " low-score alerts"}),
      tile({key: "complaint_rate", label: "Complaint rate", value: K.pct(t.complaints.rate), raw: t.complaints.rate,
            target: g.complaint_rate, atMost: true,
            detail: t.complaints.received + " complaints over " + t.visits_done + " finished visits"}),
      tile({key: "utilization", label: "Utilization", value: K.pct(t.utilization), raw: t.utilization,
            target: g.utilization, detail: "time on site and travelling over time available"}),
      tile({key: "cost", label: "Total cost", value: K.money(t.costs.total), raw: t.costs.total,
            detail: "labour " + K.money(t.costs.labour) + ", travel " + K.money(t.costs.travel) + " (" +
              K.km(t.travel_km) + "), parts " + K.money(t.costs.parts)}),
      tile({key: "cost_per_solved", label: "Cost per solved order", value: K.money(t.cost_per_solved),
            raw: t.cost_per_solved, target: g.cost_per_solved, atMost: true, fmt: (v) => Number(v).toFixed(2),
            detail: t.orders_solved + " orders solved" +
              (K.none(g.cost_per_solved) ? "; no target set (TARGET_COST_PER_SOLVED)" : "")}),
      tile({key: "work", label: "Visits done", value: K.count(t.visits_done), raw: t.visits_done,
            detail: t.orders_created + " orders created, " + t.orders_visited + " visited, " + t.repeat_visits +
              " repeat visits"}));
    document.getElementById("tiles").replaceChildren(...tiles);
  }

  // ---- trend charts ------------------------------------------------------------------------------------
  const num = (s) => K.none(s) ? null : Number(s);

  // each chart: its series (a getter on a row and on the total, a scale) and the targets drawn dashed
  function chartSpecs(g) {
    const pct = {fmt: K.pct, scale: "pct"};
    return [
      {id: "sla", title: "On time per priority", range: [0, 1],
       series: PRIORITIES.map((p) => Object.assign({label: PRIORITY[p], get: (r) => r.sla[p].share, target: g.sla[p]}, pct))},
      // durations as people say them on screen; the table beneath keeps the API's minutes, the unit in its header
      {id: "response", title: "Response time per priority (median, from creation to the start of service)",
       series: PRIORITIES.map((p) => ({label: PRIORITY[p], get: (r) => r.sla[p].response_median_min, fmt: K.duration,
                                       scale: "min", unit: "min", cell: (v) => K.none(v) ? K.NONE : v.toFixed(1)}))},
      {id: "first_time_fix", title: "First-time fix", range: [0, 1],
       series: [Object.assign({label: "First-time fix", get: (r) => r.first_time_fix.rate, target: g.first_time_fix}, pct)]},
      {id: "resolution", title: "Final resolution", range: [0, 1],
       series: [Object.assign({label: "Resolved in time", get: (r) => r.resolution.rate, target: g.resolution}, pct)]},
      {id: "score", title: "Customer score and scores below 3",
       series: [{label: "Average score", get: (r) => r.score.average, target: g.score, fmt: K.score, scale: "score"},
                Object.assign({label: "Share below 3", get: (r) => r.score.low_share, target: g.low_score_share,
                               atMost: true}, pct)]},
      {id: "complaint_rate", title: "Complaint rate",
       series: [Object.assign({label: "Complaints per finished visit", get: (r) => r.complaints.rate,
                               target: g.complaint_rate, atMost: true}, pct)]},
      {id: "utilization", title: "Utilization", range: [0, 1],
       series: [Object.assign({label: "Utilization", get: (r) => r.utilization, target: g.utilization}, pct)]},
      {id: "cost", title: "Cost: labour, travel and parts",
       series: [["labour", "Labour"], ["travel", "Travel"], ["parts", "Parts"]].map(([k, label]) =>
         ({label, get: (r) => num(r.costs[k]), fmt: (v) => K.none(v) ? K.NONE : v.toFixed(2), scale: "money"}))},
      {id: "cost_per_solved", title: "Cost per solved order",
       series: [{label: "Cost per solved order", get: (r) => num(r.cost_per_solved), target: g.cost_per_solved,
                 atMost: true, fmt: (v) => K.none(v) ? K.NONE : v.toFixed(2), scale: "money"}]},
    ];
  }

  const rowName = (row, by) => by === "week"
    ? "week " + row.key.slice(6) + ", " + K.day(row.from) + "–" + K.day(row.to) : K.weekday(row.key);

  function summary(spec, report) {
    const by = report.by;
    const unit = by === "week" ? "week" : "day";
    return spec.series.map((s) => {
      const values = report.rows.map((r) => ({v: s.get(r), r})).filter((x) => !K.none(x.v));
      const total = s.get(report.total);
      let text = s.label + ": " + s.fmt(total) + " over the period";
      if (!K.none(s.target)) {
        const met = verdict(total, s.target, s.atMost);
        text += " (target " + targetText(s.target, s.atMost, s.fmt) + ": " +
                (met === null ? "nothing to judge" : met ? "met" : "not met") + ")";
      }
      if (values.length) {
        const low = values.reduce((a, b) => (b.v < a.v ? b : a));
        const high = values.reduce((a, b) => (b.v > a.v ? b : a));
        text += "; per " + unit + " from " + s.fmt(low.v) + " (" + rowName(low.r, by) + ") to " + s.fmt(high.v) +
                " (" + rowName(high.r, by) + ")";
      }
      const empty = report.rows.length - values.length;
      if (empty) text += "; nothing to count on " + empty + " " + unit + (empty === 1 ? "" : "s");
      return text + ".";
    }).join(" ");
  }

  function dataTable(spec, report, targets) {
    const head = el("tr", {}, el("th", {scope: "col", text: report.by === "week" ? "Week" : "Day"}),
      ...spec.series.map((s) => el("th", {scope: "col", class: "num", text: s.label + (s.unit ? " (" + s.unit + ")" : "")})),
      ...targets.map((t) => el("th", {scope: "col", class: "num", text: t.label})));
    const rows = report.rows.map((r) => el("tr", {},
      el("th", {scope: "row", text: rowName(r, report.by)}),
      ...spec.series.map((s) => el("td", {class: "num", text: (s.cell || s.fmt)(s.get(r))})),
      ...targets.map((t) => el("td", {class: "num", text: t.fmt(t.value)}))));
    const total = el("tr", {class: "total"}, el("th", {scope: "row", text: "Whole period"}),
      ...spec.series.map((s) => el("td", {class: "num", text: (s.cell || s.fmt)(s.get(report.total))})),
      ...targets.map((t) => el("td", {class: "num", text: t.fmt(t.value)})));
    return el("details", {class: "chart-data"}, el("summary", {text: "Figures of this chart as a table"}),
      el("div", {class: "table-scroll"}, el("table", {class: "figures"},
        el("caption", {text: spec.title + ", per " + (report.by === "week" ? "week" : "day")}),
        el("thead", {}, head), el("tbody", {}, ...rows, total))));
  }

  function renderCharts(report) {
    for (const c of charts.splice(0)) c.destroy();
    const box = document.getElementById("charts");
    box.replaceChildren();
    // x: the local midnight of each row's first day, in seconds (uPlot's time unit)
    const xs = report.rows.map((r) => K.parse(r.from || r.key).getTime() / 1000);
    const names = new Map(report.rows.map((r, i) => [xs[i], rowName(r, report.by)]));
    for (const spec of chartSpecs(report.targets)) {
      // one dashed line per distinct target (P1 and P2 share 95 %)
      const targets = [];
      for (const s of spec.series) {
        if (K.none(s.target)) continue;
        const same = targets.find((t) => t.value === s.target && t.scale === s.scale);
        if (same) same.of.push(s.label); else targets.push({value: s.target, scale: s.scale, fmt: s.fmt, of: [s.label]});
      }
      for (const t of targets) t.label = "Target" + (spec.series.length > 1 ? " " + t.of.join(", ") : "") + " (" + t.fmt(t.value) + ")";
      const id = "chart-" + spec.id;
      const plot = el("div", {class: "plot", role: "img", "aria-label": spec.title + " chart; its summary and figures follow"});
      const figure = el("figure", {class: "chart", id, "data-chart": spec.id},
        el("figcaption", {}, el("h3", {text: spec.title})), plot,
        el("p", {class: "chart-summary", text: summary(spec, report)}), dataTable(spec, report, targets));
      box.append(figure);
      const scales = {x: {time: true}};
      // dates as people here read them ("12 Nov"), not the browser's US default
      const axes = [{stroke: "#333", grid: {stroke: "#e3e3e3"}, values: (u, ticks) => ticks.map((ts) =>
        new Date(ts * 1000).toLocaleDateString("en-GB", {day: "numeric", month: "short"}))}];
      for (const key of [...new Set(spec.series.map((s) => s.scale))]) {
        const first = spec.series.find((s) => s.scale === key);
        const line = (v) => key === "pct" ? (v * 100).toFixed(0) + " %" : key === "score" ? v.toFixed(1)
          : key === "min" ? (v >= 120 ? +(v / 60).toFixed(1) + " h" : v.toFixed(0) + " min") : v.toFixed(0);
        scales[key] = key === "score" ? {range: [1, 5]}
          : spec.range ? {range: spec.range}
            : {range: (u, min, max) => [0, Math.max(max, ...targets.filter((t) => t.scale === key).map((t) => t.value)) * 1.15 || 1]};
        const axis = {scale: key, side: axes.length === 1 ? 3 : 1, stroke: "#333", grid: {show: axes.length === 1, stroke: "#e3e3e3"},
                      values: (u, ticks) => ticks.map(line), size: 60, label: axes.length > 1 ? first.label : undefined};
        // minutes tick on whole quarters, hours and days
        if (key === "min") axis.incrs = [15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 10080];
        axes.push(axis);
      }
      const series = [{label: report.by === "week" ? "Week" : "Day", value: (u, x) => K.none(x) ? K.NONE : names.get(x) || ""}];
      spec.series.forEach((s, i) => series.push({label: s.label, scale: s.scale, stroke: COLOURS[i % COLOURS.length],
                                                 width: 2, points: {show: true, size: 5}, spanGaps: false,
                                                 value: (u, v) => s.fmt(v)}));
      targets.forEach((t, i) => series.push({label: t.label, scale: t.scale, stroke: spec.series.length > 1 && targets.length > 1
        ? COLOURS[spec.series.findIndex((s) => s.label === t.of[0]) % COLOURS.length] : TARGET_COLOUR,
                                             width: 1.5, dash: [6, 4], points: {show: false}, value: () => t.fmt(t.value),
                                             class: "target-" + i}));
      const data = [xs, ...spec.series.map((s) => report.rows.map((r) => {
        const v = s.get(r);
        return K.none(v) ? null : v;
      })), ...targets.map((t) => xs.map(() => t.value))];
      const width = Math.max(260, plot.clientWidth || 600);
      charts.push(new uPlot({width, height: 240, scales, axes, series, legend: {live: true},
                             cursor: {points: {show: true}}}, data, plot));
    }
  }

  // charts follow the width of their column
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const c of charts) c.setSize({width: Math.max(260, c.root.parentNode.clientWidth), height: 240});
    }, 150);
  });

  // ---- technicians and customers -----------------------------------------------------------------------
  const figureCols = (what) => [
    {key: "orders_visited", label: "Orders visited", num: true, value: (r) => r.orders_visited, cell: (r) => K.count(r.orders_visited), raw: (r) => r.orders_visited},
    {key: "visits_done", label: "Visits done", num: true, value: (r) => r.visits_done, cell: (r) => K.count(r.visits_done), raw: (r) => r.visits_done},
    {key: "first_time_fix", label: "First-time fix", num: true, value: (r) => r.first_time_fix.rate, cell: (r) => K.pct(r.first_time_fix.rate), raw: (r) => r.first_time_fix.rate},
    {key: "sla_share", label: "On time", num: true, value: (r) => r.sla_share, cell: (r) => K.pct(r.sla_share), raw: (r) => r.sla_share},
    {key: "score", label: "Average score", num: true, value: (r) => r.score.average, cell: (r) => K.score(r.score.average), raw: (r) => r.score.average},
  ].concat(what === "technician" ? [
    {key: "repeat_visits", label: "Repeat visits", num: true, value: (r) => r.repeat_visits, cell: (r) => K.count(r.repeat_visits), raw: (r) => r.repeat_visits},
    {key: "low_score_alerts", label: "Low-score alerts", num: true, value: (r) => r.low_score_alerts, cell: (r) => K.count(r.low_score_alerts), raw: (r) => r.low_score_alerts},
  ] : [
    {key: "low_scores", label: "Scores below 3", num: true, value: (r) => r.score.low, cell: (r) => K.count(r.score.low), raw: (r) => r.score.low},
    {key: "complaints", label: "Complaints", num: true, value: (r) => r.complaints.received, cell: (r) => K.count(r.complaints.received), raw: (r) => r.complaints.received},
  ]);

  // "25 of 412 customers", "3 of 412 customers match “mul”"
  const counted = (n, one, many) => n + " " + (n === 1 ? one : many);

  function renderTechnicians(report) {
    for (const r of report.rows) techNames.set(r.key, r.label);
    const cols = [{key: "technician", label: "Technician", value: (r) => r.label, cell: (r) => r.label + " (" + r.key + ")"}]
      .concat(figureCols("technician"));
    K.sortable(document.getElementById("tech-table"), cols, report.rows, {rowAttrs: (r) => ({"data-key": r.key})});
    const n = report.rows.length;
    document.getElementById("tech-count").textContent = n ? n + " of " + counted(n, "technician", "technicians") : "";
    say("tech-status", n ? "" : "No technician had a visit in this period.");
  }

  // the customers that most need a look come first: complaints, then scores below 3, then the most visits
  const SHORT_LIST = 25;
  const byNeed = (a, b) => (b.complaints.received - a.complaints.received) || (b.score.low - a.score.low) ||
    (b.visits_done - a.visits_done) || a.label.localeCompare(b.label);
  let customers = null;  // {table: {draw}, rows, all: shown beyond the short list}

  function customerView(sorted) {
    const words = document.getElementById("cust-search").value.trim().toLowerCase();
    const matched = words ? sorted.filter((r) => r.label.toLowerCase().includes(words) || r.key.toLowerCase().includes(words))
      : sorted;
    const shown = customers.all ? matched : matched.slice(0, SHORT_LIST);
    const total = customers.rows.length;
    document.getElementById("cust-count").textContent = words
      ? shown.length + " of " + counted(matched.length, "customer", "customers") + " matching “" + words + "” (" +
        counted(total, "customer", "customers") + " in all)"
      : shown.length + " of " + counted(total, "customer", "customers");
    const more = document.getElementById("cust-all");
    more.hidden = matched.length <= SHORT_LIST;
    more.textContent = customers.all ? "Show the first " + SHORT_LIST : "Show all " + matched.length;
    more.setAttribute("aria-expanded", String(customers.all));
    document.getElementById("cust-table").closest(".table-scroll").hidden = !shown.length;
    return shown;
  }

  function renderCustomers(report) {
    for (const r of report.rows) custNames.set(r.key, r.label);
    const cols = [{key: "customer", label: "Customer", value: (r) => r.label, cell: (r) => r.label}]
      .concat(figureCols("customer"))
      .concat([{key: "history", label: "History", cell: (r) => el("button", {type: "button", class: "small secondary",
        text: "History", "aria-label": "History of " + r.label, onclick: () => showHistory(r.key, r.label)})}]);
    customers = {rows: report.rows, all: customers ? customers.all : false, table: null};
    customers.table = K.sortable(document.getElementById("cust-table"), cols, report.rows,
                                 {rowAttrs: (r) => ({"data-key": r.key}), order: byNeed, view: customerView});
    say("cust-status", report.rows.length ? "" : "No customer had work in this period.");
  }

  document.getElementById("cust-search").addEventListener("input", () => { if (customers) customers.table.draw(); });
  document.getElementById("cust-all").addEventListener("click", () => {
    if (!customers) return;
    customers.all = !customers.all;
    customers.table.draw();
  });

  const OUTCOME = {fixed: "fixed", solved: "solved on a later visit", unresolved: "needs another visit", open: "not finished"};
  const STATUS = {open: "open", responded: "answered, not resolved", resolved: "resolved"};
  const CHANNEL = {phone: "by phone", email: "by email", web: "on the web", letter: "by letter", in_person: "in person"};
  const RESULT = {upheld: "upheld", partly_upheld: "partly upheld", not_upheld: "not upheld", withdrawn: "withdrawn"};

  async function showHistory(id, label) {
    const box = document.getElementById("history");
    const body = document.getElementById("history-body");
    box.hidden = false;
    document.getElementById("history-h").textContent = "History of " + label;
    body.replaceChildren();
    say("history-status", "Loading…");
    box.focus();
    let h;
    try {
      h = await api("/customers/" + encodeURIComponent(id) + "/history");
    } catch (error) {
      say("history-status", "Could not load the history: " + error.message, true);
      return;
    }
    const s = h.summary;
    say("history-status", "");
    body.append(el("p", {class: "history-summary", text: [
      s.orders + (s.orders === 1 ? " order" : " orders"), s.visits + (s.visits === 1 ? " visit" : " visits"),
      "average score " + K.score(s.average_score), "first-time fix " + K.pct(s.first_time_fix),
      s.complaints + (s.complaints === 1 ? " complaint" : " complaints") + " (" + s.open_complaints + " open)",
      "last visit " + (s.last_visit ? K.longDay(s.last_visit) : "none")].join(" · ")}));
    const rows = h.orders.flatMap((o) => (o.visits.length ? o.visits : [null]).map((v, i) => el("tr", {},
      i === 0 ? el("th", {scope: "row", rowspan: String(Math.max(1, o.visits.length)), text: o.order_id + " (" + o.priority + ")"}) : "",
      i === 0 ? el("td", {rowspan: String(Math.max(1, o.visits.length)), text: K.when(o.created_at) + " · " + o.status}) : "",
      el("td", {text: v ? K.longDay(v.date) : "no visit yet"}),
      el("td", {text: v ? (techNames.get(v.technician_id) || v.technician_id || "") : ""}),
      el("td", {text: v ? (OUTCOME[v.outcome] || v.outcome) + (v.reason ? " (" + v.reason.replaceAll("_", " ") + ")" : "") : ""}),
      el("td", {class: "num", text: v && !K.none(v.score) ? String(v.score) : K.NONE}),
      el("td", {text: v && v.notes ? v.notes : ""}))));
    body.append(el("div", {class: "table-scroll"}, el("table", {class: "figures"},
      el("caption", {text: "Orders of " + label + ", newest first, with their visits"}),
      el("thead", {}, el("tr", {}, ...["Order", "Created · status", "Visit", "Technician", "Outcome", "Score", "Notes"]
        .map((x) => el("th", {scope: "col", text: x})))),
      el("tbody", {}, ...rows))));
    body.append(el("h4", {text: "Complaints"}), h.complaints.length
      ? el("ul", {class: "plain"}, ...h.complaints.map((c) => el("li", {text: "Received " + K.when(c.received_at) + " " +
          (CHANNEL[c.channel] || c.channel) + (c.order_id ? " about " + c.order_id : "") + ": " + (STATUS[c.status] || c.status) +
          (c.outcome ? " (" + (RESULT[c.outcome] || c.outcome) + ")" : "")})))
      : el("p", {text: "No complaint from this customer."}));
  }

  // ---- the period --------------------------------------------------------------------------------------
  async function loadPeriod() {
    const days = Number(new FormData(form).get("days"));
    const to = K.shift(today, -1);  // whole days: today's figures are still coming in
    const from = K.shift(to, -(days - 1));
    const by = days === 90 ? "week" : "day";
    const q = "?from=" + from + "&to=" + to;
    const mine = ++loads;
    say("period-text", "Loading " + K.longDay(from) + " – " + K.longDay(to) + "…");
    const [trend, techs, custs] = await Promise.allSettled([api("/kpis" + q + "&by=" + by),
      api("/kpis" + q + "&by=technician"), api("/kpis" + q + "&by=customer")]);
    if (mine !== loads) return;
    if (trend.status === "rejected") {
      const e = trend.reason;
      say("period-text", e.status === 403 ? "The report's figures are for supervisors, dispatchers and planners."
        : "Could not load the figures: " + e.message, true);
      document.getElementById("tiles").replaceChildren();
      document.getElementById("charts").replaceChildren();
      return;
    }
    const report = trend.value;
    say("period-text", K.longDay(report.from) + " – " + K.longDay(report.to) + ", " + (by === "week" ? "week by week" : "day by day") +
        ". Whole days up to yesterday; today's figures are still coming in.");
    document.body.dataset.period = report.from + "/" + report.to;
    renderTiles(report);
    renderCharts(report);
    if (techs.status === "fulfilled") renderTechnicians(techs.value);
    else say("tech-status", "Could not load the technicians' figures: " + techs.reason.message, true);
    if (custs.status === "fulfilled") renderCustomers(custs.value);
    else say("cust-status", "Could not load the customers' figures: " + custs.reason.message, true);
    document.body.dataset.loaded = String(mine);
  }

  // ---- what waits for someone --------------------------------------------------------------------------
  const refused = (error) => error.status === 403 ? "only a supervisor or a dispatcher can do this." : error.message;

  async function customerName(id) {
    if (!custNames.has(id)) {
      try { custNames.set(id, (await api("/customers/" + encodeURIComponent(id))).name); } catch (_) { custNames.set(id, id); }
    }
    return custNames.get(id);
  }

  const ALERT = {"low customer score": "Low customer score", "deadline at risk": "Deadline at risk",
                 "deadline missed": "Deadline missed", "complaint response overdue": "Complaint not answered in time",
                 "complaint resolution overdue": "Complaint not resolved in time"};

  // the kinds in the order a supervisor deals with them: a customer's low score and complaints before deadlines
  const ALERT_ORDER = ["low customer score", "complaint response overdue", "complaint resolution overdue",
                       "deadline missed", "deadline at risk"];
  const ALERT_FEW = 10;  // the newest of each kind; the rest on request
  const ALERT_LIMIT = 500;  // the API's largest page
  const alertsOpened = new Set();  // the kinds shown whole, kept across reloads (a Close reloads the list)
  let alertGroups = [];  // [{kind, alerts}] as last loaded, newest first in each

  function alertItem(a) {
    const status = el("p", {class: "item-status", role: "status"});
    const close = el("button", {type: "button", class: "small secondary", text: "Close",
                                "aria-label": "Close alert: " + a.message});
    close.addEventListener("click", async () => {
      close.disabled = true;
      try {
        await api("/alerts/" + a.id + "/close", {method: "POST"});
        await loadAlerts();
        say("alerts-status", "Alert closed. " + document.getElementById("alerts-status").textContent);
        // the button is gone: the focus goes to the heading of its kind (or of the alerts, if none is left)
        const heading = document.querySelector('#alerts .alert-group[data-kind="' + a.kind + '"] h3');
        (heading || document.getElementById("alerts-h")).focus();
      } catch (error) {
        close.disabled = false;
        status.textContent = "Not closed: " + refused(error);
        status.classList.add("error");
      }
    });
    const who = a.technician_id ? " · " + (techNames.get(a.technician_id) || a.technician_id) : "";
    return el("li", {class: "item alert", "data-id": String(a.id), "data-kind": a.kind},
      el("div", {class: "alert-text"}, el("p", {text: a.message}),
        el("p", {class: "meta", text: "Raised " + K.when(a.created_at) + (a.order_id ? " · order " + a.order_id : "") + who +
                 (a.acknowledged_at ? " · seen " + K.when(a.acknowledged_at) : "")})),
      close, status);
  }

  async function loadAlerts() {
    let lists;
    try {
      // one ask per kind: each kind's count is its own, not what is left of a page shared with the others
      lists = await Promise.all(ALERT_ORDER.map((kind) =>
        api("/alerts?kind=" + encodeURIComponent(kind) + "&limit=" + ALERT_LIMIT)));
    } catch (error) {
      say("alerts-status", "Could not load the alerts: " + error.message, true);
      return;
    }
    alertGroups = ALERT_ORDER.map((kind, i) => ({kind, alerts: lists[i]})).filter((g) => g.alerts.length);
    drawAlerts();
  }

  function drawAlerts() {
    const groups = alertGroups;
    const many = (n) => n >= ALERT_LIMIT ? ALERT_LIMIT + " or more" : String(n);
    const total = groups.reduce((n, g) => n + g.alerts.length, 0);
    say("alerts-status", total ? many(total) + (total === 1 ? " open alert" : " open alerts") + " of " +
        groups.length + (groups.length === 1 ? " kind" : " kinds") + "; the newest " + ALERT_FEW + " of each kind first."
      : "No open alert.");
    document.getElementById("alerts").replaceChildren(...groups.map(({kind, alerts}) => {
      const id = "alerts-" + kind.replaceAll(" ", "-");
      const whole = alertsOpened.has(kind);
      const list = el("ul", {class: "items", id: id + "-list"}, ...(whole ? alerts : alerts.slice(0, ALERT_FEW)).map(alertItem));
      const group = el("li", {class: "alert-group", "data-kind": kind, "data-count": String(alerts.length)},
        el("h3", {id: id + "-h", tabindex: "-1", text: (ALERT[kind] || kind) + " (" + many(alerts.length) + ")"}), list);
      if (alerts.length > ALERT_FEW) {
        group.append(el("button", {type: "button", class: "small secondary more", "aria-controls": list.id,
                                   "aria-expanded": String(whole),
                                   text: whole ? "Show the newest " + ALERT_FEW : "Show all " + many(alerts.length),
                                   onclick: (e) => {
                                     if (whole) alertsOpened.delete(kind); else alertsOpened.add(kind);
                                     const wasFocused = e.currentTarget === document.activeElement;
                                     drawAlerts();
                                     const again = document.querySelector("#" + id + "-list + button.more");
                                     if (wasFocused && again) again.focus();
                                   }}));
      }
      return group;
    }));
  }

  function clock(label, due, doneAt, overdue) {
    const p = el("p", {class: "clock" + (overdue ? " overdue" : "")});
    p.append(label + " due " + K.when(due));
    if (doneAt) p.append(" · done " + K.when(doneAt));
    if (overdue) p.append(" · ", el("strong", {text: "OVERDUE"}));
    return p;
  }

  function complaintForms(c, status) {
    const forms = [];
    const send = async (button, path, body, done) => {
      button.disabled = true;
      try {
        await api("/complaints/" + c.id + path, {method: "POST", body});
        await loadComplaints();
        say("complaints-status", done + " " + document.getElementById("complaints-status").textContent);
      } catch (error) {
        button.disabled = false;
        status.textContent = "Not saved: " + refused(error);
        status.classList.add("error");
      }
    };
    if (c.status === "open") {
      const text = el("textarea", {id: "respond-" + c.id, rows: "2", maxlength: "4000", required: true});
      const button = el("button", {type: "submit", class: "small", text: "Record the response"});
      forms.push(el("form", {class: "inline-form", onsubmit: (e) => {
        e.preventDefault();
        if (!text.value.trim()) { status.textContent = "Write what the customer was told first."; status.classList.add("error"); return; }
        send(button, "/respond", {response: text.value.trim()}, "Response recorded for complaint " + c.id + ".");
      }}, el("label", {for: text.id, text: "First response to the customer"}), text, button));
    }
    const outcome = el("select", {id: "outcome-" + c.id},
      ...Object.entries(RESULT).map(([v, t]) => el("option", {value: v, text: t})));
    const resolution = el("textarea", {id: "resolution-" + c.id, rows: "2", maxlength: "4000"});
    const button = el("button", {type: "submit", class: "small", text: "Resolve"});
    forms.push(el("form", {class: "inline-form", onsubmit: (e) => {
      e.preventDefault();
      if (!resolution.value.trim()) { status.textContent = "Say how it was resolved."; status.classList.add("error"); return; }
      send(button, "/resolve", {outcome: outcome.value, resolution: resolution.value.trim()},
           "Complaint " + c.id + " resolved (" + RESULT[outcome.value] + ").");
    }}, el("label", {for: outcome.id, text: "Outcome"}), outcome,
       el("label", {for: resolution.id, text: "Resolution (the remedy, or why not upheld)"}), resolution, button));
    return forms;
  }

  async function loadComplaints() {
    let list;
    try {
      const [open, responded] = await Promise.all([api("/complaints?status=open&limit=100"),
                                                   api("/complaints?status=responded&limit=100")]);
      const items = (x) => Array.isArray(x) ? x : x.items;  // a plain list or a page
      list = items(open).concat(items(responded)).sort((a, b) => a.received_at.localeCompare(b.received_at));
    } catch (error) {
      say("complaints-status", "Could not load the complaints: " + error.message, true);
      return;
    }
    const names = await Promise.all(list.map((c) => customerName(c.customer_id)));
    say("complaints-status", list.length ? list.length + (list.length === 1 ? " complaint" : " complaints") +
        " not resolved yet, oldest first." : "No complaint waits for an answer.");
    document.getElementById("complaints").replaceChildren(...list.map((c, i) => {
      const status = el("p", {class: "item-status", role: "status"});
      const late = c.response_overdue || c.resolution_overdue;
      return el("li", {class: "item complaint" + (late ? " late" : ""), "data-id": String(c.id)},
        el("h3", {text: "Complaint " + c.id + " · " + names[i]}),
        el("p", {class: "meta", text: "Received " + K.when(c.received_at) + " " + (CHANNEL[c.channel] || c.channel) +
                 (c.order_id ? " · order " + c.order_id : "") +
                 (c.technician_id ? " · " + (techNames.get(c.technician_id) || c.technician_id) : "") +
                 " · " + (STATUS[c.status] || c.status)}),
        el("blockquote", {text: c.text}),
        clock("First response", c.response_due, c.responded_at, c.response_overdue),
        c.response ? el("p", {class: "meta", text: "Told the customer: " + c.response}) : "",
        clock("Resolution", c.resolution_due, c.resolved_at, c.resolution_overdue),
        ...complaintForms(c, status), status);
    }));
  }

  const CALL = {satisfied: "satisfied", not_satisfied: "not satisfied", no_answer: "no answer"};

  async function loadFollowUps() {
    let calls;
    try {
      calls = await api("/follow-ups?limit=200");  // open calls by due date; the API says which are missed
    } catch (error) {
      say("follow-status", "Could not load the follow-up calls: " + error.message, true);
      return;
    }
    const missedIds = new Set(calls.filter((f) => f.missed).map((f) => f.id));
    calls.sort((a, b) => (b.missed - a.missed) || a.due_date.localeCompare(b.due_date) || a.id - b.id);
    const names = await Promise.all(calls.map((f) => customerName(f.customer_id)));
    const dueToday = calls.filter((f) => f.due_date === today).length;
    say("follow-status", calls.length ? missedIds.size + " missed, " + dueToday + " due today, " +
        (calls.length - missedIds.size - dueToday) + " coming." : "No follow-up call to make.");
    document.getElementById("follow-table").closest(".table-scroll").hidden = !calls.length;
    document.getElementById("follow-table").tBodies[0].replaceChildren(...calls.map((f, i) => {
      const state = missedIds.has(f.id) ? "Missed" : f.due_date === today ? "Due today" : "Coming";
      const outcome = el("select", {id: "call-outcome-" + f.id, "aria-label": "How the call for " + f.order_id + " went"},
        ...Object.entries(CALL).map(([v, t]) => el("option", {value: v, text: t})));
      const note = el("input", {id: "call-note-" + f.id, maxlength: "2000", placeholder: "note (optional)",
                                "aria-label": "Note on the call for " + f.order_id});
      const button = el("button", {type: "submit", class: "small", text: "Complete",
                                   "aria-label": "Complete the call for " + f.order_id});
      const status = el("span", {class: "item-status", role: "status"});
      const formNode = el("form", {class: "call-form", onsubmit: async (e) => {
        e.preventDefault();
        button.disabled = true;
        try {
          await api("/follow-ups/" + f.id + "/complete", {method: "POST",
                    body: Object.assign({outcome: outcome.value}, note.value.trim() ? {note: note.value.trim()} : {})});
          await loadFollowUps();
          say("follow-status", "Call for " + f.order_id + " completed (" + CALL[outcome.value] + "). " +
              document.getElementById("follow-status").textContent);
        } catch (error) {
          button.disabled = false;
          status.textContent = "Not saved: " + refused(error);
          status.classList.add("error");
        }
      }}, outcome, note, button, status);
      return el("tr", {class: state === "Missed" ? "missed" : null, "data-id": String(f.id)},
        el("th", {scope: "row", text: K.weekday(f.due_date)}), el("td", {class: "state", text: state}),
        el("td", {text: names[i]}), el("td", {text: f.order_id}), el("td", {text: f.days_after + " days"}),
        el("td", {}, formNode));
    }));
  }

  // a complaint received: its clocks start at once (the API sets them from the settings)
  async function setUpIntake() {
    const select = document.getElementById("intake-customer");
    try {
      const page = await api("/customers?limit=500");
      const customers = page.items.slice().sort((a, b) => a.name.localeCompare(b.name));
      for (const c of customers) custNames.set(c.id, c.name);
      select.replaceChildren(el("option", {value: "", text: "Choose a customer…"}),
                             ...customers.map((c) => el("option", {value: c.id, text: c.name + " (" + c.id + ")"})));
    } catch (error) {
      say("intake-status", "Could not load the customers: " + error.message, true);
    }
    document.getElementById("intake-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = document.getElementById("intake-text").value.trim();
      const order = document.getElementById("intake-order").value.trim();
      if (!select.value) { say("intake-status", "Choose the customer.", true); select.focus(); return; }
      if (!text) { say("intake-status", "Write what the customer says.", true); return; }
      const button = event.submitter || event.target.querySelector("button");
      button.disabled = true;
      try {
        const c = await api("/complaints", {method: "POST", body: Object.assign(
          {customer_id: select.value, channel: document.getElementById("intake-channel").value, text},
          order ? {order_id: order} : {})});
        event.target.reset();
        say("intake-status", "Complaint " + c.id + " recorded: first response due " + K.when(c.response_due) +
            ", resolution due " + K.when(c.resolution_due) + ".");
        await loadComplaints();
      } catch (error) {
        say("intake-status", "Not recorded: " + refused(error), true);
      } finally {
        button.disabled = false;
      }
    });
  }

  async function loadNames() {
    try {
      const techs = await api("/technicians?limit=500");
      for (const t of techs.items) techNames.set(t.id, t.name);
    } catch (_) { /* ids are shown instead */ }
  }

  form.addEventListener("change", loadPeriod);
  form.addEventListener("submit", (e) => { e.preventDefault(); loadPeriod(); });
  setUpIntake();
  loadNames().then(() => Promise.all([loadPeriod(), loadAlerts(), loadComplaints(), loadFollowUps()]));
})();
