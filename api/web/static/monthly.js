"use strict";
// The monthly report: for a range of months, each day's line and each month's total (from /reports/monthly),
// and the same report as a CSV or XLSX file, fetched with the user's token and saved by the browser.
(() => {
  const {api, guard, localDate, el, say} = Dispatch;
  const K = ReportKit;
  const user = guard();
  if (!user) return;

  const COLUMNS = [
    ["orders_created", "Orders created", K.count], ["visits_done", "Visits done", K.count],
    ["orders_solved", "Orders solved", K.count], ["labour_cost", "Labour", K.money],
    ["travel_km", "Travel km", (v) => K.none(v) ? K.NONE : v.toFixed(1)], ["travel_cost", "Travel cost", K.money],
    ["parts_cost", "Parts", K.money], ["total_cost", "Total cost", K.money], ["sla_share", "On time", K.pct],
    ["first_time_fix", "First-time fix", K.pct], ["resolution", "Resolution", K.pct],
    ["average_score", "Average score", K.score], ["complaints", "Complaints", K.count],
  ];
  const fromInput = document.getElementById("month-from");
  const toInput = document.getElementById("month-to");
  const thisMonth = localDate().slice(0, 7);
  const params = new URLSearchParams(location.search);
  // by default this month (still under way) and the one before: the last 30 days always fall in them, and no
  // month before the kept history opens the page empty
  toInput.value = params.get("to") || thisMonth;
  const now = new Date();
  fromInput.value = params.get("from") || localDate(new Date(now.getFullYear(), now.getMonth() - 1, 1)).slice(0, 7);

  const head = (first) => el("tr", {}, el("th", {scope: "col", text: first}),
    ...COLUMNS.map(([, label]) => el("th", {scope: "col", class: "num", text: label})));
  const line = (name, d, cls) => el("tr", {class: cls || null, "data-date": d.date},
    el("th", {scope: "row", text: name}),
    ...COLUMNS.map(([key, , fmt]) => el("td", {class: "num", "data-col": key, "data-value": JSON.stringify(d[key]),
                                               text: fmt(d[key])})));

  function range() {
    const from = fromInput.value;
    const to = toInput.value;
    if (!from || !to) throw new Error("Choose both months.");
    if (from > to) throw new Error("The first month (" + K.month(from) + ") comes after the last (" + K.month(to) + ").");
    return "from=" + from + "&to=" + to;
  }

  let loads = 0;
  async function load() {
    let q;
    try { q = range(); } catch (error) { say("monthly-status", error.message, true); return; }
    const mine = ++loads;
    say("monthly-status", "Loading…");
    let report;
    try {
      report = await api("/reports/monthly?" + q + "&format=json");
    } catch (error) {
      if (mine !== loads) return;
      say("monthly-status", error.status === 403 ? "The monthly report is for supervisors, dispatchers and planners."
        : "Could not load the report: " + error.message, true);
      return;
    }
    if (mine !== loads) return;
    const months = report.months;
    const table = document.getElementById("months-table");
    table.tHead.replaceChildren(head("Month"));
    table.tBodies[0].replaceChildren(...months.map((m) => line(K.month(m.month), Object.assign({}, m.total, {date: m.month}))),
                                     line("All months", Object.assign({}, report.total, {date: "total"}), "total"));
    // each month's days folded, the latest month open: the months table above has every month's total
    document.getElementById("month-blocks").replaceChildren(...months.map((m, i) => {
      const id = "month-" + m.month;
      const worked = m.days.filter((d) => d.visits_done > 0).length;
      return el("section", {class: "card month-block", id, "aria-labelledby": id + "-h"},
        el("h2", {id: id + "-h", text: K.month(m.month)}),
        el("p", {class: "month-totals", text: "Total cost " + K.money(m.total.total_cost) + " · " +
                 K.count(m.total.visits_done) + " visits done on " + worked + (worked === 1 ? " day" : " days") +
                 " · on time " + K.pct(m.total.sla_share) + " · first-time fix " + K.pct(m.total.first_time_fix)}),
        el("details", {class: "month-days", open: i === months.length - 1},
          el("summary", {text: "Each day of " + K.month(m.month) + " (" + m.days.length + " days)"}),
          el("div", {class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": id + "-caption"},
            el("table", {class: "figures", "data-month": m.month},
              el("caption", {id: id + "-caption", text: K.month(m.month) + ": each day, then the month's total"}),
              el("thead", {}, head("Day")),
              el("tbody", {}, ...m.days.map((d) => line(K.weekday(d.date), d)), line("Total", m.total, "total"))))));
    }));
    say("monthly-status", K.month(months.length ? months[0].month : fromInput.value) + " to " +
        K.month(months.length ? months[months.length - 1].month : toInput.value) + ": " + months.length +
        (months.length === 1 ? " month." : " months."));
    history.replaceState(null, "", "?from=" + fromInput.value + "&to=" + toInput.value);
  }

  async function download(format) {
    let q;
    try { q = range(); } catch (error) { say("monthly-status", error.message, true); return; }
    const button = document.getElementById("download-" + format);
    button.disabled = true;
    say("monthly-status", "Preparing the " + format.toUpperCase() + " file…");
    try {
      const name = await K.download("/reports/monthly?" + q + "&format=" + format,
                                    "dispatch-monthly-" + fromInput.value + "-" + toInput.value + "." + format);
      say("monthly-status", "Downloaded " + name + ".");
    } catch (error) {
      say("monthly-status", "Could not download the " + format.toUpperCase() + " file: " +
          (error.status === undefined ? "no connection." : error.message), true);
    } finally {
      button.disabled = false;
    }
  }

  document.getElementById("months-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  document.getElementById("download-csv").addEventListener("click", () => download("csv"));
  document.getElementById("download-xlsx").addEventListener("click", () => download("xlsx"));
  load();
})();
