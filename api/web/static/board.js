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

  function show(read) {
    current = read;
    document.getElementById("publish").disabled = read.status !== "done";
    const text = "Plan " + read.id + ": " + read.status + (read.published ? " (published)" : "") +
      (read.error ? " — " + read.error : "");
    say("plan-status", text, read.status === "failed");
    document.getElementById("plan-progress").value = read.progress;
    if (read.plan) {
      drawMap(read.plan);
      drawTimeline(read.plan);
      drawLists(read.plan);
    }
  }

  // poll a plan job until it leaves queued/running; Leaflet and the lists are drawn once it is done
  async function watch(read) {
    show(read);
    while (read.status === "queued" || read.status === "running") {
      await new Promise((r) => setTimeout(r, 400));
      read = await api("/plans/" + read.id);
      say("plan-status", "Plan " + read.id + ": " + read.status + " — " + read.phase);
      document.getElementById("plan-progress").value = read.progress;
    }
    await loadReference();
    show(read);
  }

  function policy() {
    return {time_limit: Number(document.getElementById("time-limit").value) || 5,
            solution_limit: Number(document.getElementById("solution-limit").value) || null};
  }

  async function guarded(action) {
    try { await action(); } catch (error) { say("plan-status", "Error: " + error.message, true); }
  }

  document.getElementById("request-plan").addEventListener("click", () => guarded(async () => {
    const read = await api("/plans", {method: "POST", body: Object.assign({date: dateInput.value}, policy())});
    await watch(read);
  }));

  document.getElementById("pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const pins = {[document.getElementById("pin-order").value]: document.getElementById("pin-technician").value};
      const read = await api("/plans/" + current.id + "/replan", {method: "POST",
                                                                  body: Object.assign({pins}, policy())});
      await watch(read);
    });
  });

  document.getElementById("publish").addEventListener("click", () => guarded(async () => {
    const answer = await api("/plans/" + current.id + "/publish", {method: "POST"});
    current.published = true;
    say("plan-status", "Plan " + answer.plan_id + ": done (published) — sent to " +
        answer.technicians.length + " technicians");
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

  dateInput.addEventListener("change", () => guarded(loadLatest));

  async function loadLatest() {
    await loadReference();
    const plans = await api("/plans?date=" + dateInput.value + "&limit=1");
    if (plans.length) show(await api("/plans/" + plans[0].id));
  }
  guarded(loadLatest);
})();
