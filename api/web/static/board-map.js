"use strict";
// The board's map: each technician's route, home and stops, and the unassigned orders, on Leaflet over a street
// map (MAP_TILE_URL). Markers and lines stay out of the Tab order: the keyboard path is the timeline and lists.
(() => {
  const {hhmm, el} = Dispatch;
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const OSM = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors';

  // --- one colour per technician, however many: hues a golden angle apart, each darkened until white text
  // on it reads (4.5:1), which also gives it 3:1 and more against the white map and bars ------------------
  function luminance(r, g, b) {
    const lin = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  }
  function hslRgb(h, s, l) {
    const k = (n) => (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
    return [f(0), f(8), f(4)];
  }
  function colour(i) {
    const hue = (i * 137.508 + 210) % 360;
    const target = [4.6, 6.5, 5.5][i % 3];  // three depths, so neighbours in hue differ in darkness too
    let l = 0.55;
    let rgb = hslRgb(hue, 0.8, l);
    while (1.05 / (luminance(...rgb) + 0.05) < target && l > 0.1) { l -= 0.01; rgb = hslRgb(hue, 0.8, l); }
    return "#" + rgb.map((c) => Math.round(c * 255).toString(16).padStart(2, "0")).join("");
  }
  const palette = [];
  // a colour per technician for any number of them: every view (timeline, lists) asks Board.colourOf
  Board.colourOf = (techId) => {
    const i = Math.max(0, Board.technicians.findIndex((t) => t.id === techId));
    while (palette.length <= i) palette.push(colour(palette.length));
    return palette[i];
  };

  // the technicians of a plan's day: those with a route, and every active one whose work days hold the date
  // (as the service builds the day), so a technician left without stops still shows
  Board.dayTechnicians = (plan, date) => {
    const weekday = ((new Date(date + "T12:00:00").getDay() + 6) % 7) + 1;  // ISO: Monday 1 .. Sunday 7
    const routed = new Set(plan.routes.map((r) => r.technician_id));
    const ids = Board.technicians.filter((t) => routed.has(t.id) || (t.active && t.work_days.includes(weekday)))
      .map((t) => t.id);
    for (const id of routed) if (!ids.includes(id)) ids.push(id);
    return ids.sort();
  };

  // --- the map --------------------------------------------------------------------------------------------
  // on a phone one finger scrolls the page past the map (two pinch it); a mouse drags the map
  const map = L.map("map", {zoomControl: true, maxZoom: 19, zoomSnap: 0.25, zoomDelta: 0.5,
                            dragging: !L.Browser.mobile}).setView([45.76, 4.84], 11);
  map.attributionControl.setPrefix(false);
  if (config.tile_url) {
    // one tile first: a site without a way to the tile server gets one refused request (not one per tile),
    // its routes on a blank background, and a sentence saying why the streets are missing
    const probe = new Image();
    probe.onload = () => L.tileLayer(config.tile_url, {maxZoom: 19, attribution: OSM}).addTo(map);
    probe.onerror = () => {
      document.getElementById("map-note").textContent = "The street map cannot be reached from here, so routes " +
        "are drawn on a blank background. An offline site sets MAP_TILE_URL=none (or its own tile server).";
    };
    probe.src = config.tile_url.replace("{s}", "a").replace("{r}", "").replace("{z}", "0").replace("{x}", "0")
      .replace("{y}", "0");
  } else {
    document.getElementById("map-note").textContent =
      "Street map off on this site (MAP_TILE_URL=none): routes are drawn on a blank background.";
  }
  // clusters are drawn by the library as markers: keep them out of the Tab order like ours
  L.MarkerCluster.mergeOptions({keyboard: false});
  const lines = L.layerGroup().addTo(map);
  const homes = L.layerGroup().addTo(map);
  const faded = L.layerGroup().addTo(map);
  // only markers that really overlap are grouped; the last zoom spreads a pile into a spider
  const clusters = L.markerClusterGroup({
    maxClusterRadius: 22, showCoverageOnHover: false, spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true,
    // a pile of one technician's stops wears their colour; a mixed pile is dark grey
    iconCreateFunction: (cluster) => {
      const techs = new Set(cluster.getAllChildMarkers().map((m) => m.options.tech));
      const only = techs.size === 1 ? [...techs][0] : null;
      return L.divIcon({className: "map-cluster", iconSize: [34, 34],
                        html: '<span style="background:' + (only ? Board.colourOf(only) : "#222") + '">' +
                              cluster.getChildCount() + "</span>"});
    },
  }).addTo(map);

  let plan = null;
  let focus = null;  // the technician the legend focuses, or null for all
  const markers = new Map();  // order id -> {marker, tech (or null: unassigned), latlng}
  const routeLines = new Map();  // technician id -> polyline
  const homeMarkers = new Map();  // technician id -> marker

  function icon(text, fill, cls) {
    const html = cls === "unassigned"
      ? '<span class="diamond" style="background:' + fill + '"></span><b>' + text + "</b>"
      : '<span style="background:' + fill + '">' + text + "</span>";
    return L.divIcon({className: "pin " + cls, iconSize: [26, 26], iconAnchor: [13, 13], html});
  }

  function techName(id) {
    const t = Board.technicians.find((x) => x.id === id);
    return t ? t.name + " (" + id + ")" : id;
  }

  // "on time", "50 min late", "2 h 05 min late"
  function lateness(minutes) {
    const m = Math.round(minutes || 0);
    if (m <= 0) return "on time";
    return Dispatch.duration(m) + " late";
  }

  // the technicians working the plan's day who have the order's skills
  function qualified(order) {
    const needs = (order && order.required_skills) || [];
    const working = plan ? new Set(Board.dayTechnicians(plan, (Board.current && Board.current.date) || Dispatch.localDate()))
      : null;
    return Board.technicians.filter((t) => (!working || working.has(t.id)) && needs.every((s) => t.skills.includes(s)));
  }

  // the "Pin to…" form of a popup: the technicians of the day who have the order's skills
  function pinForm(orderId, current) {
    const order = Board.orders.get(orderId);
    const choices = qualified(order).filter((t) => t.id !== current);
    const id = "popup-pin-" + orderId;
    const select = el("select", {id, class: "popup-pin-select"},
      ...choices.map((t) => el("option", {value: t.id, text: t.name + " (" + t.id + ")"})));
    const button = el("button", {type: "submit", class: "secondary", text: "Pin " + orderId + " and re-plan"});
    const form = el("form", {class: "popup-pin"}, el("label", {for: id, text: "Pin to…"}), select, button);
    if (!choices.length) {
      return el("p", {class: "popup-note", text: "No other technician working this day has this order's skills."});
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!Board.pin) { Board.say("Pinning is not available on this board.", true); return; }
      if (Board.running) { Board.say("Wait for the plan being made before pinning.", true); return; }
      map.closePopup();
      Promise.resolve(Board.pin(orderId, select.value)).catch(() => {});
    });
    return form;
  }

  function popup(orderId, techId, stop, reason) {
    const o = Board.orders.get(orderId) || {};
    const c = Board.customers.get(o.customer_id) || {};
    const address = o.address || c.address;
    const rows = [
      el("strong", {text: "Order " + orderId}),
      el("span", {text: c.name || (o.customer_id ? "Customer " + o.customer_id : "Unknown customer")}),
      address ? el("span", {text: address}) : null,
      el("span", {text: "Technician: " + (techId ? techName(techId) : "none (unassigned)")}),
      stop && stop.crew && stop.crew.length > 1
        ? el("span", {class: "popup-crew", text: "Crew: " + stop.crew.map(techName).join(" + ") +
                                                 " (starting together; the lead, first, brings the parts)"}) : null,
      stop ? el("span", {text: "ETA: " + hhmm(stop.arrival) + " (service " + hhmm(stop.start) + "–" + hhmm(stop.end) + ")"}) : null,
      el("span", {text: "Priority: " + (o.priority || "?")}),
      stop ? el("span", {text: "Lateness: " + lateness(stop.late_minutes)}) : null,
      reason ? el("span", {text: "Why unassigned: " + reason}) : null,
    ].filter(Boolean);
    const select = el("button", {type: "button", class: "secondary", text: "Select",
                                 onclick: () => Board.select(orderId, "popup")});
    return el("div", {class: "popup", "data-order": orderId}, ...rows.flatMap((r) => [r, el("br")]).slice(0, -1),
              el("div", {class: "popup-actions"}, select), pinForm(orderId, techId));
  }

  // look: [text, fill, class] of the marker's icon, kept so the day's status can restyle it
  function addMarker(orderId, latlng, look, title, tech, content, crew = null) {
    const marker = L.marker(latlng, {icon: icon(...liveLook(orderId, look)), title, keyboard: false, riseOnHover: true,
                                     tech})
      .bindPopup(content, {minWidth: 220, maxWidth: 300, maxHeight: 300, autoPanPadding: [20, 20]});
    marker.on("click", () => Board.select(orderId, "map"));
    markers.set(orderId, {marker, tech, crew, latlng, look});
  }

  // the day's status on a marker: at risk (a "⚠" in a ringed marker), done ("✓"), unresolved ("✗")
  function liveLook(orderId, look) {
    const st = Board.status;
    if (!st || !st.plan_id) return look;  // before a plan is published the status marks no visit
    const o = st.orders.find((x) => x.order_id === orderId);
    if (o && o.status === "done") return ["✓", look[1], look[2] + " done"];
    if (o && o.status === "unresolved") return ["✗", look[1], look[2] + " unresolved"];
    if (st.at_risk.includes(orderId)) return ["⚠", look[1], look[2] + " at-risk"];
    return look;
  }

  function restyle() {
    for (const [orderId, m] of markers) {
      if (!m.look) continue;
      const look = liveLook(orderId, m.look);
      const was = m.shown || m.look;
      if (look.join("|") === was.join("|")) continue;
      m.shown = look;
      m.marker.setIcon(icon(...look));
      if (m.marker === highlighted && m.marker.getElement()) m.marker.getElement().classList.add("selected");
    }
  }

  function drawLegend() {
    const legend = document.getElementById("legend");
    const routes = plan ? plan.routes : [];
    const buttons = routes.map((r) => el("button", {
      type: "button", class: "legend-tech" + (focus && focus !== r.technician_id ? " faded" : ""),
      "data-technician": r.technician_id, "aria-pressed": focus === r.technician_id ? "true" : "false",
      tabindex: "-1", onclick: () => setFocus(focus === r.technician_id ? null : r.technician_id)},
      el("span", {class: "swatch", style: "background:" + Board.colourOf(r.technician_id)}),
      techName(r.technician_id) + " · " + r.stops.length + (r.stops.length === 1 ? " stop" : " stops")));
    const all = el("button", {type: "button", class: "legend-all", "aria-pressed": focus ? "false" : "true",
                              tabindex: "-1", text: "All technicians", onclick: () => setFocus(null)});
    // one Tab stop for the whole legend; arrows move inside it (a toolbar)
    const items = [all, ...buttons];
    const current = items.find((b) => b.getAttribute("aria-pressed") === "true") || all;
    current.setAttribute("tabindex", "0");
    legend.replaceChildren(...items,
      el("span", {class: "legend-key"}, el("span", {class: "swatch unassigned-swatch"}), "unassigned order"),
      el("span", {class: "legend-key"}, el("span", {class: "swatch risk-swatch", "aria-hidden": "true", text: "⚠"}),
         "order at risk (dashed ring)"));
  }

  document.getElementById("legend").addEventListener("keydown", (event) => {
    const items = [...event.currentTarget.querySelectorAll("button")];
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    const step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[event.key];
    let next = null;
    if (step) next = items[(i + step + items.length) % items.length];
    else if (event.key === "Home") next = items[0];
    else if (event.key === "End") next = items[items.length - 1];
    if (!next) return;
    event.preventDefault();
    items.forEach((b) => b.setAttribute("tabindex", b === next ? "0" : "-1"));
    next.focus();
  });

  // the legend focuses one technician: their route and stops stand out, the others fade to dots
  function setFocus(techId) {
    focus = techId;
    const keepFocus = document.activeElement && document.activeElement.closest("#legend");
    clusters.clearLayers();
    faded.clearLayers();
    const shown = [];
    for (const [, m] of markers) {
      if (!focus || m.tech === null || m.tech === focus || (m.crew && m.crew.includes(focus))) shown.push(m.marker);
      else {
        faded.addLayer(L.circleMarker(m.latlng, {radius: 4, color: Board.colourOf(m.tech), weight: 1, opacity: 0.4,
                                                 fillOpacity: 0.3, interactive: false}));
      }
    }
    clusters.addLayers(shown);
    for (const [tech, line] of routeLines) {
      line.setStyle(!focus || tech === focus ? {opacity: 0.85, weight: 4} : {opacity: 0.2, weight: 2});
      if (tech === focus) line.bringToFront();
    }
    for (const [tech, home] of homeMarkers) home.setOpacity(!focus || tech === focus ? 1 : 0.3);
    drawLegend();
    if (keepFocus) {
      const again = document.querySelector('#legend button[tabindex="0"]');
      if (again) again.focus();
    }
    const route = focus && routeLines.get(focus);
    if (route) map.fitBounds(route.getBounds(), {padding: [30, 30]});
    document.getElementById("map").dataset.focus = focus || "";
  }

  function drawMap(newPlan) {
    plan = newPlan;
    if (focus && !plan.routes.some((r) => r.technician_id === focus)) focus = null;
    lines.clearLayers();
    homes.clearLayers();
    markers.clear();
    routeLines.clear();
    homeMarkers.clear();
    const bounds = [];
    const working = new Set(Board.dayTechnicians(plan, (Board.current && Board.current.date) || Dispatch.localDate()));
    for (const t of Board.technicians.filter((x) => working.has(x.id))) {
      const home = [t.home_lat, t.home_lon];
      bounds.push(home);
      homeMarkers.set(t.id, L.marker(home, {icon: icon("⌂", Board.colourOf(t.id), "home"), keyboard: false,
                                            title: "Home of " + t.name + " (" + t.id + ")", zIndexOffset: -1000})
        .bindPopup(el("div", {class: "popup"}, el("strong", {text: "Home of " + t.name}), el("br"),
                      t.home_address || t.id))
        .addTo(homes));
    }
    for (const route of plan.routes) {
      if (!route.stops.length) continue;
      const tech = Board.technicians.find((t) => t.id === route.technician_id);
      const fill = Board.colourOf(route.technician_id);
      const home = tech ? [tech.home_lat, tech.home_lon] : null;
      const points = route.stops.map((s) => {
        const o = Board.orders.get(s.order_id);
        return o ? [o.lat, o.lon] : null;
      });
      const path = (home ? [home] : []).concat(points.filter(Boolean), home ? [home] : []);
      routeLines.set(route.technician_id, L.polyline(path, {color: fill, weight: 4, opacity: 0.85,
                                                            className: "route-line", interactive: false}).addTo(lines));
      route.stops.forEach((s, i) => {
        if (!points[i]) return;
        bounds.push(points[i]);
        // a crew's stop is on every member's route: one marker, the lead's, shown whichever member is focused
        const crew = s.crew && s.crew.length > 1 ? s.crew : null;
        if (crew && crew[0] !== route.technician_id) return;
        const name = (Board.customers.get((Board.orders.get(s.order_id) || {}).customer_id) || {}).name;
        addMarker(s.order_id, points[i], [String(i + 1), fill, "stop" + (s.late_minutes > 0 ? " late" : "")],
                  "Stop " + (i + 1) + " of " + route.technician_id + ": order " + s.order_id + (name ? ", " + name : "") +
                  (s.crew && s.crew.length > 1 ? ", crew " + s.crew.join("+") : ""),
                  route.technician_id, popup(s.order_id, route.technician_id, s, null), crew);
      });
    }
    for (const u of plan.unassigned) {
      const o = Board.orders.get(u.order_id);
      if (!o) continue;
      bounds.push([o.lat, o.lon]);
      addMarker(u.order_id, [o.lat, o.lon], ["!", "#000", "unassigned"], "Unassigned order " + u.order_id,
                null, popup(u.order_id, null, null, u.reason));
    }
    setFocus(focus);
    // no zoom animation on a redraw: Leaflet drops a zoom asked for while one runs, so a selection made just
    // after a redraw (a status refresh) would never bring its marker out of its pile
    if (bounds.length && !focus) map.fitBounds(bounds, {padding: [20, 20], animate: false});
    if (Board.selected) mark(Board.selected);
  }

  // ring the selected order's marker where it stands (a redraw keeps the view the dispatcher has)
  function mark(orderId) {
    document.querySelectorAll("#map .pin.selected").forEach((n) => n.classList.remove("selected"));
    const m = markers.get(orderId);
    highlighted = m ? m.marker : null;
    const node = m && m.marker.getElement();
    if (node) node.classList.add("selected");
  }

  let highlighted = null;
  // the selected order's marker: ringed, brought out of its cluster, its popup open
  function highlight(orderId, open) {
    if (highlighted) {
      const icon = highlighted.getElement && highlighted.getElement();
      if (icon) icon.classList.remove("selected");
      highlighted = null;
    }
    const m = markers.get(orderId);
    if (!m) return;
    if (focus && m.tech !== null && m.tech !== focus) setFocus(null);
    highlighted = m.marker;
    // a zoom still animating (the dispatcher's own) would swallow this one: show the marker once it ends
    if (map._animatingZoom) { map.once("zoomend", () => highlight(orderId, open)); return; }
    clusters.zoomToShowLayer(m.marker, () => {
      const node = m.marker.getElement();
      if (node && highlighted === m.marker) node.classList.add("selected");
      if (open && !m.marker.isPopupOpen()) m.marker.openPopup();
    });
  }

  // Escape closes the popup a timeline or list selection opened, wherever the focus is
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !document.querySelector("dialog[open]")) map.closePopup();
  });

  Board.on("select", (orderId, from) => {
    if (from === "map") { mark(orderId); return; }  // the click opened the popup already
    highlight(orderId, from !== "popup");
  });
  Board.on("plan", (p) => drawMap(p));
  Board.on("status", () => { if (plan) restyle(); });

  // the emergency form asks for a place: the next click on the map gives it (Escape gives none)
  Board.pickOnMap = () => new Promise((resolve) => {
    const box = document.getElementById("map");
    box.classList.add("picking");
    const note = document.getElementById("map-note");
    const before = note.textContent;
    note.textContent = "Click the map where the emergency is (Escape: keep the form's place).";
    const done = (latlng) => {
      box.classList.remove("picking");
      map.off("click", onClick);
      document.removeEventListener("keydown", onKey);
      note.textContent = before;
      resolve(latlng);
    };
    const onClick = (event) => done(event.latlng);
    const onKey = (event) => { if (event.key === "Escape") done(null); };
    map.on("click", onClick);
    document.addEventListener("keydown", onKey);
    box.scrollIntoView({block: "center"});
  });
  Board.on("clear", () => {
    plan = null;
    lines.clearLayers();
    homes.clearLayers();
    clusters.clearLayers();
    faded.clearLayers();
    markers.clear();
    routeLines.clear();
    map.closePopup();
    document.getElementById("legend").replaceChildren();
    drawDay(document.getElementById("plan-date").value);
  });

  // before any plan the map still shows the day: who works (their homes) and the open orders, by priority
  function drawDay(date) {
    if (!date || !Board.orders.size) return;
    const bounds = [];
    for (const id of Board.dayTechnicians({routes: []}, date)) {
      const t = Board.technicians.find((x) => x.id === id);
      bounds.push([t.home_lat, t.home_lon]);
      L.marker([t.home_lat, t.home_lon], {icon: icon("⌂", Board.colourOf(t.id), "home"), keyboard: false,
                                          title: "Home of " + t.name + " (" + t.id + ")"})
        .bindPopup(el("div", {class: "popup"}, el("strong", {text: "Home of " + t.name}), el("br"),
                      t.home_address || t.id)).addTo(homes);
    }
    for (const o of Board.orders.values()) {
      if (o.status !== "open") continue;
      bounds.push([o.lat, o.lon]);
      const customer = Board.customers.get(o.customer_id) || {};
      const content = el("div", {class: "popup", "data-order": o.id}, el("strong", {text: "Order " + o.id}), el("br"),
        customer.name || o.customer_id, el("br"), o.address || customer.address || "", el("br"),
        "Priority: " + o.priority, el("br"), "Not planned yet");
      const marker = L.marker([o.lat, o.lon], {icon: icon(o.priority, "#fff", "open"), keyboard: false,
                                               title: "Open order " + o.id + ", " + o.priority})
        .bindPopup(content, {minWidth: 200, maxWidth: 300});
      markers.set(o.id, {marker, tech: null, latlng: [o.lat, o.lon]});
    }
    clusters.addLayers([...markers.values()].map((m) => m.marker));
    if (bounds.length) map.fitBounds(bounds, {padding: [20, 20], animate: false});
  }
})();
