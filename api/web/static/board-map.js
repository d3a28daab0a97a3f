"use strict";
// The board's map: each technician's route, home and stops, and the unassigned orders, on Leaflet.
(() => {
  const {hhmm, el} = Dispatch;
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const map = L.map("map", {zoomControl: true}).setView([45.76, 4.84], 11);
  if (config.tile_url) L.tileLayer(config.tile_url, {maxZoom: 19, attribution: "&copy; OpenStreetMap"}).addTo(map);
  const layer = L.layerGroup().addTo(map);

  function icon(text, colour, cls) {
    return L.divIcon({className: "pin " + cls, iconSize: [24, 24], iconAnchor: [12, 12],
                      html: '<span style="background:' + colour + '">' + text + "</span>"});
  }

  function popup(stop, techId) {
    const o = Board.orders.get(stop.order_id) || {};
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
    for (const t of Board.technicians) {
      const colour = Board.colourOf(t.id);
      const home = [t.home_lat, t.home_lon];
      bounds.push(home);
      L.marker(home, {icon: icon("⌂", colour, "home"), title: "Home of " + t.id, keyboard: true})
        .bindPopup("Home of " + t.id + " · " + t.name).addTo(layer);
    }
    for (const route of plan.routes) {
      if (!route.stops.length) continue;
      const tech = Board.technicians.find((t) => t.id === route.technician_id);
      const colour = Board.colourOf(route.technician_id);
      const home = tech ? [tech.home_lat, tech.home_lon] : null;
      const points = route.stops.map((s) => {
        const o = Board.orders.get(s.order_id);
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
      const o = Board.orders.get(u.order_id);
      if (!o) continue;
      bounds.push([o.lat, o.lon]);
      L.marker([o.lat, o.lon], {icon: icon("!", "#000", "unassigned"), title: "Unassigned order " + u.order_id,
                                keyboard: true})
        .bindPopup("Unassigned order " + u.order_id + ": " + u.reason).addTo(layer);
    }
    legend.append(el("li", {}, el("span", {class: "swatch unassigned-swatch"}), "unassigned order"));
    if (bounds.length) map.fitBounds(bounds, {padding: [20, 20]});
  }

  Board.on("plan", (plan) => drawMap(plan));
  Board.on("clear", () => {
    layer.clearLayers();
    document.getElementById("legend").replaceChildren();
  });
})();
