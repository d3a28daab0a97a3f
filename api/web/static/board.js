"use strict";
// The dispatcher board's core: which plan of which date is on screen, requesting, re-planning, publishing and
// importing. The views (board-map.js, board-timeline.js, board-lists.js, board-pins.js) listen to `Board`.
const Board = (() => {
  const handlers = {};
  return {
    technicians: [],          // TechnicianRead of the service
    shiftDays: new Map(),     // ShiftDayRead by technician id: shifts changed for the date shown (overtime)
    orders: new Map(),        // OrderRead by id
    customers: new Map(),     // CustomerRead by id
    current: null,            // the PlanRead on screen, or null
    running: false,           // a job of the selected date is being watched
    selected: null,           // the order id selected in any view
    on(name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
    emit(name, ...args) { for (const fn of handlers[name] || []) fn(...args); },
    // one order chosen in a view (map, timeline, list): every view highlights it
    select(orderId, from) { this.selected = orderId; this.emit("select", orderId, from); },
  };
})();

(() => {
  const {api, guard, localDate, hhmm, el, say, sayError} = Dispatch;
  if (!guard()) return;

  const dateInput = document.getElementById("plan-date");
  dateInput.value = new URLSearchParams(location.search).get("date") || localDate();

  let current = null;  // the PlanRead shown (also Board.current)

  async function loadReference() {
    const [t, o, c, d] = await Promise.all([api("/technicians?limit=500"), api("/orders?limit=500"),
                                            api("/customers?limit=500"),
                                            dateInput.value ? api("/technicians/days/" + dateInput.value) : []]);
    Board.technicians = t.items;
    Board.shiftDays = new Map(d.map((x) => [x.technician_id, x]));  // shifts changed for the date shown
    Board.orders = new Map(o.items.map((x) => [x.id, x]));
    Board.customers = new Map(c.items.map((x) => [x.id, x]));
    Board.emit("reference");
  }

  // --- which plan is on screen --------------------------------------------------------------------------
  // Every load, view and watch belongs to one "generation": changing the date or the plan viewed starts a new
  // one, and an answer that arrives for an older generation is dropped, so the screen never mixes two plans.
  let generation = 0;
  let plans = [];  // PlanSummary of the selected date, newest first
  let running = false;  // a job of the selected date is being watched
  let requestKey = null;  // the Idempotency-Key of the plan request in flight (a retry reuses it)
  const UNFINISHED = ["queued", "running"];
  const requestButton = document.getElementById("request-plan");
  const publishButton = document.getElementById("publish");

  function setRunning(on) {
    running = on;
    Board.running = on;
    requestButton.disabled = on;
    publishButton.disabled = on || !current || current.status !== "done" || current.published;
    Board.emit("running", on);
  }

  function when(iso) {
    return iso ? (iso.slice(0, 10) === localDate() ? hhmm(iso) : iso.slice(0, 10) + " " + hhmm(iso)) : "";
  }

  function describe(read) {
    return "Plan of " + read.date + ", requested " + when(read.created_at) + " by " + (read.requested_by || "someone") +
      ": " + read.status + (UNFINISHED.includes(read.status) ? " — " + read.phase : "") +
      (read.published ? " (published: technicians see it)" : "") + (read.error ? " — " + read.error : "");
  }

  function sayPlan(read) {
    say("plan-status", describe(read), read.status === "failed");
    document.getElementById("plan-status").dataset.plan = read.id;
  }

  // nothing on screen: no map, timeline, lists or KPIs, and nothing to publish or re-plan
  function clear(message) {
    current = null;
    Board.current = null;
    drawDays(null);
    Board.emit("clear");
    document.getElementById("plan-progress").value = 0;
    delete document.getElementById("plan-status").dataset.plan;
    say("plan-status", message);
    setRunning(false);
  }

  // --- a plan of several days: one day on screen ----------------------------------------------------------
  // The views draw one day: Board.current is the plan read with that date and its routes of that date (the
  // orders left out stay listed whatever the day); a one-day plan is shown as it is.
  const dayRow = document.getElementById("day-row");
  const daySelect = document.getElementById("plan-day");
  let shownDay = null;  // the date shown of a multi-day plan

  function datesOf(plan) { return plan && plan.dates && plan.dates.length > 1 ? plan.dates : null; }

  function weekday(date) {
    return new Date(date + "T12:00:00").toLocaleDateString("en-GB", {weekday: "long"});
  }

  function dayView(read) {
    const dates = datesOf(read.plan);
    if (!dates) return read;
    const routes = read.plan.routes.filter((r) => r.date === shownDay);
    return Object.assign({}, read, {date: shownDay, plan: Object.assign({}, read.plan, {date: shownDay, routes})});
  }

  function drawDays(plan) {
    const dates = datesOf(plan);
    dayRow.hidden = !dates;
    if (!dates) { shownDay = null; daySelect.replaceChildren(); return; }
    if (!dates.includes(shownDay)) shownDay = dates[0];
    daySelect.replaceChildren(...dates.map((d) => {
      const visits = plan.routes.filter((r) => r.date === d).reduce((n, r) => n + r.stops.length, 0);
      return el("option", {value: d, text: weekday(d) + " " + d + " (" + visits + " visit" + (visits === 1 ? "" : "s") + ")"});
    }));
    daySelect.value = shownDay;
  }

  daySelect.addEventListener("change", () => {
    if (!current || !current.plan) return;
    shownDay = daySelect.value;
    show(current);
  });

  function show(read) {
    current = read;
    drawDays(read.plan);
    const view = dayView(read);
    Board.current = view;
    sayPlan(read);
    document.getElementById("plan-progress").value = read.progress;
    if (view.plan) Board.emit("plan", view.plan, view);
    else Board.emit("clear");
    setRunning(UNFINISHED.includes(read.status));
    drawPlans();
  }

  function drawPlans() {
    const body = document.querySelector("#plans tbody");
    if (!plans.length) {
      body.replaceChildren(el("tr", {}, el("td", {colspan: "5", text: "No plan for " + dateInput.value + " yet."})));
      return;
    }
    body.replaceChildren(...plans.map((p) => {
      const shown = current && current.id === p.id;
      return el("tr", {"data-plan": p.id, "aria-current": shown ? "true" : null},
        el("td", {text: when(p.created_at) + (p.parent_id ? " (re-plan)" : "")}),
        el("td", {text: p.requested_by || "—"}),
        el("td", {text: p.status}),
        el("td", {}, p.published ? el("span", {class: "badge", text: "Published"}) : ""),
        el("td", {}, shown ? el("span", {text: "On screen"}) :
          el("button", {type: "button", class: "secondary", text: "View",
                        "aria-label": "View the plan requested " + when(p.created_at) + (p.published ? ", the one technicians see" : ""),
                        onclick: () => guarded(() => view(p.id))})));
    }));
  }

  async function refreshPlans(gen) {
    const list = await api("/plans?date=" + dateInput.value + "&limit=20");
    if (gen !== generation) return false;
    plans = list;
    drawPlans();
    return true;
  }

  // poll a plan job until it leaves queued/running; the map and lists are drawn once it is done
  async function watch(read, gen) {
    show(read);
    if (!UNFINISHED.includes(read.status)) return read;  // drawn once: a finished plan does not change
    while (UNFINISHED.includes(read.status)) {
      await new Promise((r) => setTimeout(r, 400));
      if (gen !== generation) return null;
      read = await api("/plans/" + read.id);
      if (gen !== generation) return null;
      sayPlan(read);
      document.getElementById("plan-progress").value = read.progress;
    }
    await loadReference();
    if (!await refreshPlans(gen)) return null;
    show(read);
    return read;
  }

  async function view(planId) {
    const gen = ++generation;
    const read = await api("/plans/" + planId);
    if (gen !== generation) return;
    await watch(read, gen);
  }

  // the selected date's plans: a running job is watched (so a board opened mid-solve follows it), else the newest
  async function loadDate() {
    const gen = ++generation;
    plans = [];
    clear("Loading the plans of " + dateInput.value + "…");
    drawPlans();
    if (!dateInput.value) { clear("Choose a date."); return; }
    await loadReference();
    if (!await refreshPlans(gen)) return;
    const pick = plans.find((p) => UNFINISHED.includes(p.status)) || plans[0];
    if (!pick) { clear("No plan for " + dateInput.value + " yet. " + dayInWords(dateInput.value)); drawPlans(); return; }
    const read = await api("/plans/" + pick.id);
    if (gen !== generation) return;
    await watch(read, gen);
  }

  // the search settings of a request: only what the dispatcher filled in under "Advanced settings"; the rest is
  // the service's recommended default (a re-plan keeps its parent's); the API checks the values
  // what the day holds before any plan: the open orders by priority and the technicians working that date
  function dayInWords(date) {
    const open = [...Board.orders.values()].filter((o) => o.status === "open");
    const byPriority = ["P1", "P2", "P3", "P4"].map((p) => [p, open.filter((o) => o.priority === p).length])
      .filter(([, n]) => n).map(([p, n]) => n + " " + p);
    const working = Board.dayTechnicians ? Board.dayTechnicians({routes: []}, date).length : Board.technicians.length;
    return open.length + " open order" + (open.length === 1 ? "" : "s") +
      (byPriority.length ? " (" + byPriority.join(", ") + ")" : "") + " and " + working + " technician" +
      (working === 1 ? "" : "s") + " working that day" + (open.length ? "; request a plan to schedule them." : ".");
  }

  function policy() {
    const body = {};
    for (const [id, key] of [["time-limit", "time_limit"], ["solution-limit", "solution_limit"]]) {
      const value = document.getElementById(id).value.trim();
      if (value !== "") body[key] = Number(value);
    }
    return body;
  }

  document.getElementById("advanced").addEventListener("input", () => {
    const {time_limit: t, solution_limit: s} = policy();
    document.getElementById("advanced-summary").textContent = "(search " +
      (t ? t + " s" : document.getElementById("advanced").dataset.recommended + " s, the recommended time") + "; " +
      (s ? "stop after " + s + " solutions" : "no early stop") + ")";
  });

  async function guarded(action) {
    try { await action(); } catch (error) { sayError("plan-status", "Not done: ", error); }
  }

  function newKey() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID()
      : "board-" + Date.now() + "-" + Math.random().toString(36).slice(2);
  }

  requestButton.addEventListener("click", () => {
    if (running || requestButton.disabled) return;
    requestButton.disabled = true;  // at once: the second click of a double click finds it disabled
    const gen = ++generation;
    guarded(async () => {
      requestKey = requestKey || newKey();
      try {
        const days = document.getElementById("horizon-days").value.trim();
        const read = await api("/plans", {method: "POST", headers: {"Idempotency-Key": requestKey},
                                          body: Object.assign({date: dateInput.value}, policy(),
                                                              days ? {horizon_days: Number(days)} : {})});
        requestKey = null;
        if (gen !== generation) return;
        await refreshPlans(gen);
        await watch(read, gen);
      } finally {
        if (gen === generation && !running) requestButton.disabled = false;
      }
    });
  });

  // a re-plan of the plan on screen with `body` (pins, unpins...) added to the search settings; the new job is
  // watched like a requested one; resolves to the finished PlanRead (or null when the screen moved on)
  Board.replan = (body) => new Promise((resolve, reject) => {
    if (!current || running) { resolve(null); return; }
    setRunning(true);
    const gen = ++generation;
    (async () => {
      // a board looking at a fixed moment of the day (?at=) re-plans from there; else from the server's now
      const at = Board.at ? Board.at() : null;
      const read = await api("/plans/" + current.id + "/replan", {method: "POST",
                                                                  body: Object.assign({}, policy(), at ? {at} : {}, body)});
      if (gen !== generation) return null;
      await refreshPlans(gen);
      return await watch(read, gen);
    })().then(resolve, (error) => { setRunning(false); sayError("plan-status", "Not done: ", error); reject(error); });
  });

  // --- publish: the change against the plan technicians see now, then a confirmation --------------------
  function kpiRows(kpis) {
    const rows = [["Orders served", kpis.served, 1]];
    for (const [p, k] of Object.entries(kpis.by_priority || {}).sort()) {
      rows.push([p + " on time", k.on_time, 1, " of " + k.orders]);
    }
    rows.push(["Late (hours)", kpis.total_late_minutes / 60, -1], ["Travel (km)", kpis.travel_km, -1]);
    return rows;
  }

  function fmt(v) { return v === undefined || v === null ? "—" : String(Math.round(v * 10) / 10); }

  function diffTable(mine, theirs) {
    const before = theirs ? new Map(kpiRows(theirs).map((r) => [r[0], r])) : new Map();
    return kpiRows(mine).map(([name, value, better, suffix]) => {
      const old = before.get(name);
      const delta = old ? value - old[1] : null;
      const cls = delta === null || Math.abs(delta) < 0.05 ? "" : (delta * better > 0 ? "better" : "worse");
      return el("tr", {"data-kpi": name},
        el("th", {scope: "row", text: name}),
        el("td", {text: old ? fmt(old[1]) + (old[3] || "") : "—"}),
        el("td", {text: fmt(value) + (suffix || "")}),
        el("td", {class: cls, text: delta === null ? "—" : (delta > 0 ? "+" : delta < 0 ? "−" : "±") +
                                                         fmt(Math.abs(delta))}));
    });
  }

  // --- what publishing changes for technicians: the plan's own "changes" when it was made from the published
  // plan, else the same comparison here (visits not yet begun: reassigned, shifted over 15 min, added, dropped)
  const SHIFT_TOLERANCE = 15;
  function plannedStops(p) {
    const out = new Map();
    for (const r of p.routes) {
      for (const s of r.stops) if (!s.status || s.status === "planned") out.set(s.order_id, [r.technician_id, s.start]);
    }
    return out;
  }
  function compare(theirs, mine) {
    const before = plannedStops(theirs), after = plannedStops(mine);
    const leftOut = new Set(mine.unassigned.map((u) => u.order_id));
    const out = [];
    for (const id of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const was = before.get(id), now = after.get(id);
      if (was && now) {
        const shift = (Date.parse(now[1]) - Date.parse(was[1])) / 60000;
        if (was[0] !== now[0]) out.push({order_id: id, change: "reassigned", from_technician: was[0], to_technician: now[0], eta_shift_minutes: shift});
        else if (Math.abs(shift) > SHIFT_TOLERANCE) out.push({order_id: id, change: "shifted", from_technician: was[0], to_technician: now[0], eta_shift_minutes: shift});
      } else if (now) {
        out.push({order_id: id, change: "added", from_technician: null, to_technician: now[0], eta_shift_minutes: null});
      } else if (was && leftOut.has(id)) {
        out.push({order_id: id, change: "dropped", from_technician: was[0], to_technician: null, eta_shift_minutes: null});
      }
    }
    return out;
  }
  Board.compare = compare;

  function techWords(id) {
    const t = id && Board.technicians.find((x) => x.id === id);
    return id ? (t ? t.name + " (" + id + ")" : id) : "—";
  }
  function shiftWords(m) {
    if (m === null || m === undefined) return "—";
    const r = Math.round(m);
    return r === 0 ? "none" : (r > 0 ? Dispatch.duration(r) + " later" : Dispatch.duration(-r) + " earlier");
  }

  function drawChanges(plan, live, theirs) {
    const box = document.getElementById("publish-changes-box");
    const own = plan.plan.changes && live && plan.parent_id === live.id ? plan.plan.changes : null;
    const changes = own || (theirs ? compare(theirs, plan.plan) : null);
    box.hidden = !changes;
    if (!changes) return;
    const who = new Map();
    for (const c of changes) {
      for (const t of new Set([c.from_technician, c.to_technician])) {
        if (t) who.set(t, (who.get(t) || 0) + 1);
      }
    }
    document.getElementById("publish-changes-summary").textContent = changes.length
      ? changes.length + (changes.length === 1 ? " visit changes" : " visits change") + " for " + who.size +
        (who.size === 1 ? " technician: " : " technicians: ") +
        [...who.keys()].sort().map((t) => techWords(t) + " (" + who.get(t) + ")").join(", ") + "."
      : "No visit changes technician or moves by more than 15 minutes.";
    document.querySelector("#publish-changes tbody").replaceChildren(...changes.map((c) =>
      el("tr", {"data-order": c.order_id, "data-change": c.change},
        el("th", {scope: "row", text: c.order_id}), el("td", {text: c.change}),
        el("td", {text: techWords(c.from_technician)}), el("td", {text: techWords(c.to_technician)}),
        el("td", {text: shiftWords(c.eta_shift_minutes)}))));
  }

  function ask(dialog) {
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "publish"), {once: true});
      dialog.returnValue = "cancel";
      dialog.showModal();
    });
  }

  publishButton.addEventListener("click", () => guarded(async () => {
    if (!current || current.status !== "done") return;
    const plan = current;
    const gen = generation;
    const live = plans.find((p) => p.published && p.id !== plan.id);
    const theirs = live ? (await api("/plans/" + live.id)).plan : null;
    if (gen !== generation || current !== plan) return;
    const routes = new Set(plan.plan.routes.filter((r) => r.stops.length).map((r) => r.technician_id)).size;
    const dates = datesOf(plan.plan);
    document.getElementById("publish-summary").textContent = (live
      ? "Technicians now see the plan requested " + when(live.created_at) + " by " + (live.requested_by || "someone") +
        ". This plan of " + plan.date + " (requested " + when(plan.created_at) + ") replaces it"
      : "No plan is published for " + plan.date + " yet. This plan goes") +
      " to the " + routes + " technicians with stops" +
      (dates ? ", for each of its " + dates.length + " days (to " + dates[dates.length - 1] + "; what was " +
               "published for them is replaced)." : ".");
    document.querySelector("#publish-diff tbody").replaceChildren(...diffTable(plan.plan.kpis, theirs && theirs.kpis));
    // the changes against the plan published for the plan date: this plan's routes of that date
    drawChanges(dates ? Object.assign({}, plan, {plan: Object.assign({}, plan.plan, {
      routes: plan.plan.routes.filter((r) => r.date === dates[0])})}) : plan, live, theirs);
    if (!await ask(document.getElementById("publish-dialog"))) {
      say("plan-status", describe(plan) + " — not published");
      return;
    }
    const answer = await api("/plans/" + plan.id + "/publish", {method: "POST"});
    if (gen !== generation) return;
    plan.published = true;
    await refreshPlans(gen);
    show(plan);
    say("plan-status", describe(plan) + " — sent to " + answer.technicians.length + " technicians");
  }));

  document.getElementById("import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const parts = [];
    try {
      for (const [id, path] of [["technicians-csv", "/technicians/import"], ["orders-csv", "/orders/import"]]) {
        const file = document.getElementById(id).files[0];
        if (!file) continue;
        const form = new FormData();
        form.append("file", file);
        let answer;
        try {
          answer = await api(path + "?plan_date=" + dateInput.value, {method: "POST", body: form});
        } catch (error) {
          for (const c of error.cells || []) c.file = c.file || file.name;
          throw error;
        }
        parts.push(id.replace("-csv", "") + ": " + answer.created + " imported");
      }
      say("import-status", parts.length ? "Imported — " + parts.join("; ") : "Choose a file first.");
      await loadReference();
    } catch (error) {
      sayError("import-status", "Import failed: ", error);
    }
  });

  dateInput.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("date", dateInput.value);
    history.replaceState(null, "", url);
    guarded(loadDate);
  });

  // another part of the board made a plan (an emergency's assignment): show it as if it had been requested
  Board.view = (planId) => {
    const gen = ++generation;
    return (async () => {
      await refreshPlans(gen);
      const read = await api("/plans/" + planId);
      if (gen !== generation) return null;
      return await watch(read, gen);
    })();
  };
  Board.say = (text, isError = false) => say("plan-status", text, isError);
  Board.describe = describe;
  Board.api = api;
  // the views register their listeners as their scripts run; the first load waits for all of them
  document.addEventListener("DOMContentLoaded", () => guarded(loadDate));
})();
