"use strict";
// The board's timeline: one row per technician, with travel, idle, service and break segments.
(() => {
  const {el} = Dispatch;

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
                el("span", {class: "timeline-label", style: "border-color:" + Board.colourOf(route.technician_id),
                            text: route.technician_id}), bar);
    }));
  }

  Board.on("plan", (plan) => drawTimeline(plan));
  Board.on("clear", () => document.getElementById("timeline").replaceChildren());
})();
