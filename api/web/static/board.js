"use strict";
// The dispatcher board: the plan of a date on a Leaflet map and a timeline, with import, plan, pin, publish.
(() => {
  const {api, guard, localDate, hhmm, el, say} = Dispatch;
  if (!guard()) return;

  // distinct colours with contrast on white, one per technician (cycled past twelve)
  const COLOURS = ["#1f77b4", "#c62828", "#2e7d32", "#7b3fa0", "#8c564b", "#a8327f",
                   "#555555", "#6b6b00", "#0e7c86", "#b35900", "#393b79", "#4f6a1f"];
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const dateInput = document.getElementById("plan-date");
  dateInput.value = new URLSearchParams(location.search).get("date") || localDate();

  const map = L.map("map", {zoomControl: true}).setView([45.76, 4.84], 11);
  if (config.tile_url) L.tileLayer(config.tile_url, {maxZoom: 19, attribution: "&copy; OpenStreetMap"}).addTo(map);
  const layer = L.layerGroup().addTo(map);

  let current = null;  // the PlanRead shown
  let technicians = [];
  let orders = new Map();

  async function loadReference() {
    const [t, o] = await Promise.all([api("/technicians?limit=500"), api("/orders?limit=500")]);
    technicians = t.items;
    orders = new Map(o.items.map((x) => [x.id, x]));
    const select = document.getElementById("pin-technician");
    select.replaceChildren(...technicians.map((x) => el("option", {value: x.id, text: x.id + " · " + x.name})));
  }

  function colourOf(techId) {
    const i = technicians.findIndex((t) => t.id === techId);
    return COLOURS[(i < 0 ? 0 : i) % COLOURS.length];
  }

  function icon(text, colour, cls) {
    return L.divIcon({className: "pin " + cls, iconSize: [24, 24], iconAnchor: [12, 12],
                      html: '<span style="background:' + colour + '">' + text + "</span>"});
  }

  function popup(stop, techId) {
    const o = orders.get(stop.order_id) || {};
    const late = stop.late_minutes > 0 ? Math.round(stop.late_minutes) + " min late" : "on time";
    const box = el("div", {class: "popup"},
      el("strong", {text: "Order " + stop.order_id}), el("br"),
      "Customer: " + (o.customer_id || "?"), el("br"),
      "Technician: " + techId, el("br"),
      "ETA: " + hhmm(stop.arrival), el("br"),
      "Priority: " + (o.priority || "?"), el("br"),
      "Lateness: " + late);
    return box;
  }

  function drawMap(plan) {
    layer.clearLayers();
    const bounds = [];
    const legend = document.getElementById("legend");
    legend.replaceChildren();
    for (const t of technicians) {
      const colour = colourOf(t.id);
      const home = [t.home_lat, t.home_lon];
      bounds.push(home);
      L.marker(home, {icon: icon("⌂", colour, "home"), title: "Home of " + t.id, keyboard: true})
        .bindPopup("Home of " + t.id + " · " + t.name).addTo(layer);
    }
    for (const route of plan.routes) {
      if (!route.stops.length) continue;
      const tech = technicians.find((t) => t.id === route.technician_id);
      const colour = colourOf(route.technician_id);
      const home = tech ? [tech.home_lat, tech.home_lon] : null;
      const points = route.stops.map((s) => {
        const o = orders.get(s.order_id);
        return o ? [o.lat, o.lon] : null;
      });
      const line = (home ? [home] : []).concat(points.filter(Boolean), home ? [home] : []);
      L.polyline(line, {color: colour, weight: 4, opacity: 0.85, className: "route-line"})
        .bindTooltip(route.technician_id).addTo(layer);
      route.stops.forEach((s, i) => {
        if (!points[i]) return;
        bounds.push(points[i]);
        L.marker(points[i], {icon: icon(String(i + 1), colour, "stop"), keyboard: true,
                             title: "Stop " + (i + 1) + " of " + route.technician_id + ": order " + s.order_id})
          .bindPopup(popup(s, route.technician_id)).addTo(layer);
      });
      legend.append(el("li", {}, el("span", {class: "swatch", style: "background:" + colour}),
                       route.technician_id + " (" + route.stops.length + " stops)"));
    }
    for (const u of plan.unassigned) {
      const o = orders.get(u.order_id);
      if (!o) continue;
      bounds.push([o.lat, o.lon]);
      L.marker([o.lat, o.lon], {icon: icon("!", "#000", "unassigned"), title: "Unassigned order " + u.order_id,
                                keyboard: true})
        .bindPopup("Unassigned order " + u.order_id + ": " + u.reason).addTo(layer);
    }
    legend.append(el("li", {}, el("span", {class: "swatch unassigned-swatch"}), "unassigned order"));
    if (bounds.length) map.fitBounds(bounds, {padding: [20, 20]});
  }

  function minutesOf(iso) { return Date.parse(iso) / 60000; }

  // a route's day as segments: travel before each stop, idle while waiting, service, the break, the drive home
  function segments(route) {
    const out = [];
    let cursor = route.depart ? minutesOf(route.depart) : (route.stops[0] ? minutesOf(route.stops[0].arrival) : 0);
    for (const s of route.stops) {
      const arrival = minutesOf(s.arrival);
      const leave = arrival - s.travel_minutes;
      if (leave > cursor + 0.5) out.push({kind: "idle", from: cursor, to: leave});
      out.push({kind: "travel", from: Math.max(cursor, leave), to: arrival});
      if (minutesOf(s.start) > arrival + 0.5) out.push({kind: "idle", from: arrival, to: minutesOf(s.start)});
      out.push({kind: "service", from: minutesOf(s.start), to: minutesOf(s.end), stop: s});
      cursor = minutesOf(s.end);
    }
    if (route.back) out.push({kind: "travel", from: cursor, to: minutesOf(route.back)});
    if (route.break) out.push({kind: "break", from: minutesOf(route.break.start), to: minutesOf(route.break.end)});
    return out;
  }

  function drawTimeline(plan) {
    const box = document.getElementById("timeline");
    const rows = plan.routes.filter((r) => r.stops.length).map((r) => [r, segments(r)]);
    const all = rows.flatMap(([, segs]) => segs);
    if (!all.length) { box.replaceChildren(el("p", {text: "No routes."})); return; }
    const start = Math.min(...all.map((s) => s.from));
    const end = Math.max(...all.map((s) => s.to));
    const span = Math.max(1, end - start);
    box.replaceChildren(...rows.map(([route, segs]) => {
      const bar = el("div", {class: "bar", role: "list", "aria-label": "Day of " + route.technician_id});
      for (const s of segs) {
        const late = s.stop && s.stop.late_minutes > 0;
        const label = s.kind + (s.stop ? " " + s.stop.order_id : "") + " " +
          new Date(s.from * 60000).toTimeString().slice(0, 5) + "–" + new Date(s.to * 60000).toTimeString().slice(0, 5) +
          (late ? ", " + Math.round(s.stop.late_minutes) + " min late" : "");
        bar.append(el("span", {class: "seg seg-" + s.kind + (late ? " late" : ""), role: "listitem", title: label,
                               "aria-label": label, "data-order": s.stop ? s.stop.order_id : null,
                               style: "left:" + (100 * (s.from - start) / span) + "%;width:" +
                                      Math.max(0.3, 100 * (s.to - s.from) / span) + "%"}));
      }
      return el("div", {class: "timeline-row", "data-technician": route.technician_id},
                el("span", {class: "timeline-label", style: "border-color:" + colourOf(route.technician_id),
                            text: route.technician_id}), bar);
    }));
  }

  function drawLists(plan) {
    document.getElementById("unassigned").replaceChildren(...(plan.unassigned.length ? plan.unassigned.map((u) =>
      el("li", {"data-order": u.order_id}, el("strong", {text: u.order_id}), " — " + u.reason +
         (u.rule ? " (" + u.rule + ")" : ""))) : [el("li", {text: "Every order is assigned."})]));
    const late = plan.routes.flatMap((r) => r.stops.filter((s) => s.late_minutes > 0)
      .map((s) => el("li", {"data-order": s.order_id}, el("strong", {text: s.order_id}),
                     " — " + r.technician_id + ", ETA " + hhmm(s.arrival) + ", " + Math.round(s.late_minutes) +
                     " min late (arrives after the window or response deadline)")));
    document.getElementById("late").replaceChildren(...(late.length ? late : [el("li", {text: "No late visits."})]));
    const kpis = document.getElementById("kpis");
    kpis.replaceChildren();
    for (const [k, v] of Object.entries(plan.kpis)) {
      if (v !== null && typeof v === "object") continue;
      kpis.append(el("dt", {text: k.replaceAll("_", " ")}),
                  el("dd", {text: typeof v === "number" ? String(Math.round(v * 100) / 100) : String(v)}));
    }
    const ids = plan.routes.flatMap((r) => r.stops.map((s) => s.order_id)).concat(plan.unassigned.map((u) => u.order_id));
    document.getElementById("pin-order").replaceChildren(...ids.sort().map((id) => el("option", {value: id, text: id})));
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
  const replanButton = document.getElementById("replan");

  function setRunning(on) {
    running = on;
    requestButton.disabled = on;
    replanButton.disabled = on || !current || current.status !== "done";
    publishButton.disabled = on || !current || current.status !== "done" || current.published;
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
    layer.clearLayers();
    document.getElementById("legend").replaceChildren();
    for (const id of ["timeline", "unassigned", "late", "kpis", "pin-order"]) {
      document.getElementById(id).replaceChildren();
    }
    document.getElementById("plan-progress").value = 0;
    delete document.getElementById("plan-status").dataset.plan;
    say("plan-status", message);
    setRunning(false);
  }

  function show(read) {
    current = read;
    sayPlan(read);
    document.getElementById("plan-progress").value = read.progress;
    if (read.plan) {
      drawMap(read.plan);
      drawTimeline(read.plan);
      drawLists(read.plan);
    } else {
      layer.clearLayers();
      for (const id of ["timeline", "unassigned", "late", "kpis"]) document.getElementById(id).replaceChildren();
    }
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
    while (UNFINISHED.includes(read.status)) {
      await new Promise((r) => setTimeout(r, 400));
      if (gen !== generation) return;
      read = await api("/plans/" + read.id);
      if (gen !== generation) return;
      sayPlan(read);
      document.getElementById("plan-progress").value = read.progress;
    }
    await loadReference();
    if (!await refreshPlans(gen)) return;
    show(read);
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
    if (!pick) { clear("No plan for " + dateInput.value + " yet."); drawPlans(); return; }
    const read = await api("/plans/" + pick.id);
    if (gen !== generation) return;
    await watch(read, gen);
  }

  function policy() {
    return {time_limit: Number(document.getElementById("time-limit").value) || 5,
            solution_limit: Number(document.getElementById("solution-limit").value) || null};
  }

  async function guarded(action) {
    try { await action(); } catch (error) { say("plan-status", "Error: " + error.message, true); }
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
        const read = await api("/plans", {method: "POST", headers: {"Idempotency-Key": requestKey},
                                          body: Object.assign({date: dateInput.value}, policy())});
        requestKey = null;
        if (gen !== generation) return;
        await refreshPlans(gen);
        await watch(read, gen);
      } finally {
        if (gen === generation && !running) requestButton.disabled = false;
      }
    });
  });

  document.getElementById("pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!current || running) return;
    replanButton.disabled = true;
    const gen = ++generation;
    guarded(async () => {
      const pins = {[document.getElementById("pin-order").value]: document.getElementById("pin-technician").value};
      const read = await api("/plans/" + current.id + "/replan", {method: "POST",
                                                                  body: Object.assign({pins}, policy())});
      if (gen !== generation) return;
      await refreshPlans(gen);
      await watch(read, gen);
    });
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
    const routes = plan.plan.routes.filter((r) => r.stops.length).length;
    document.getElementById("publish-summary").textContent = (live
      ? "Technicians now see the plan requested " + when(live.created_at) + " by " + (live.requested_by || "someone") +
        ". This plan of " + plan.date + " (requested " + when(plan.created_at) + ") replaces it"
      : "No plan is published for " + plan.date + " yet. This plan goes") +
      " to the " + routes + " technicians with stops.";
    document.querySelector("#publish-diff tbody").replaceChildren(...diffTable(plan.plan.kpis, theirs && theirs.kpis));
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
        const answer = await api(path + "?plan_date=" + dateInput.value, {method: "POST", body: form});
        parts.push(id.replace("-csv", "") + ": " + answer.created + " imported");
      }
      say("import-status", parts.length ? "Imported — " + parts.join("; ") : "Choose a file first.");
      await loadReference();
    } catch (error) {
      say("import-status", "Import failed: " + error.message, true);
    }
  });

  dateInput.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("date", dateInput.value);
    history.replaceState(null, "", url);
    guarded(loadDate);
  });

  guarded(loadDate);
})();
