"use strict";
// The board's timeline: an hour axis, one row per technician of the day (empty rows too), their travel, idle,
// service and break; each visit is a button (arrow keys move between them, Enter selects it on the map too) that
// can be dragged onto another technician's row to pin it there and re-plan.
(() => {
  const {el, api, hhmm, localDate} = Dispatch;
  const box = document.getElementById("timeline");
  let plan = null;
  let visits = new Map();  // "technician|order" -> VisitRead of the shown date (arrived, done); a crew's members each have one
  let dragged = null;  // the order id being dragged
  let draggedFrom = null;  // the technician whose row it left
  let redrawAfterDrag = false;  // live status arrived during a drag

  function pad(n) { return String(n).padStart(2, "0"); }
  function clock(min) {
    const m = Math.floor(min + 1e-6);  // truncated like the plan's own hh:mm
    return pad(Math.floor(m / 60) % 24) + ":" + pad(((m % 60) + 60) % 60);
  }

  // minutes from the plan date's midnight (the plan speaks naive local datetimes)
  function minutesOf(iso, date) { return (Date.parse(iso) - Date.parse(date + "T00:00:00")) / 60000; }
  function timeMinutes(t) { const [h, m] = String(t).split(":").map(Number); return h * 60 + (m || 0); }

  // a route's day as segments: travel before each stop, idle while waiting, service, the break, the drive home
  function segments(route, date) {
    const at = (iso) => minutesOf(iso, date);
    const out = [];
    let cursor = route.depart ? at(route.depart) : (route.stops[0] ? at(route.stops[0].arrival) : null);
    for (const s of route.stops) {
      const arrival = at(s.arrival);
      const leave = arrival - s.travel_minutes;
      if (leave > cursor + 0.5) out.push({kind: "idle", from: cursor, to: leave});
      out.push({kind: "travel", from: Math.max(cursor, leave), to: arrival});
      if (at(s.start) > arrival + 0.5) out.push({kind: "idle", from: arrival, to: at(s.start)});
      out.push({kind: "service", from: at(s.start), to: at(s.end), stop: s});
      cursor = at(s.end);
    }
    if (route.back && route.stops.length) out.push({kind: "travel", from: cursor, to: at(route.back)});
    if (route.break) out.push({kind: "break", from: at(route.break.start), to: at(route.break.end)});
    return out;
  }

  function techOf(id) { return Board.technicians.find((t) => t.id === id); }
  // the technician's shift on the date shown: a shift day's (overtime for that day), else the weekly pattern's
  function shiftOf(t) {
    const day = Board.shiftDays && Board.shiftDays.get(t.id);
    return day ? {start: day.shift_start, end: day.shift_end} : {start: t.shift_start, end: t.shift_end};
  }

  // the day status (board-live.js) of an order and of a technician, when the board follows the day; only
  // a day with a published plan has visits to mark (before that, the status speaks of open orders alone)
  function live() { return Board.status && Board.status.plan_id ? Board.status : null; }
  function liveOrder(orderId) {
    const st = live();
    return st ? st.orders.find((o) => o.order_id === orderId) || null : null;
  }
  function atRisk(orderId) { return !!live() && live().at_risk.includes(orderId); }
  function liveTech(techId) {
    const st = live();
    return st ? st.technicians.find((t) => t.technician_id === techId) || null : null;
  }
  // what the timeline shows of the status: a status that changes none of it redraws nothing
  function liveKey() {
    const st = live();
    return st ? JSON.stringify([st.technicians.map((t) => [t.technician_id, t.state, t.order_id,
                                                          Math.round(t.delay_minutes || 0)]),
                                st.orders.map((o) => [o.order_id, o.status, o.predicted_start, o.deadline]),
                                st.at_risk]) : "";
  }
  let drawnKey = "";

  function visitWords(orderId, techId) {
    const o = liveOrder(orderId);
    if (o && o.status === "unresolved") return ", unresolved";
    if (atRisk(orderId)) {
      return ", at risk: " + [o && o.predicted_start ? "predicted start " + hhmm(o.predicted_start) : "",
                              o && o.deadline ? "deadline " + hhmm(o.deadline) : ""].filter(Boolean).join(", ");
    }
    const v = visits.get(techId + "|" + orderId);
    if (!v && o && o.status === "done") return ", done";
    if (!v) return "";
    if (v.done_at) return ", done at " + hhmm(v.done_at);
    if (v.arrived_at) return ", on site since " + hhmm(v.arrived_at);
    return "";
  }

  // "O0042 at Supermarché Bonnet, 08:04–08:44, P2, 50 min late"
  function visitName(stop, techId) {
    const o = Board.orders.get(stop.order_id) || {};
    const c = Board.customers.get(o.customer_id);
    const late = Math.round(stop.late_minutes);
    return stop.order_id + (c ? " at " + c.name : "") + ", " + hhmm(stop.start) + "–" + hhmm(stop.end) +
      (o.priority ? ", " + o.priority : "") + (late > 0 ? ", " + Dispatch.duration(late) + " late"
                                                      : ", on time") +
      (stop.crew && stop.crew.length ? ", crew with " + stop.crew.filter((t) => t !== techId).join(", ") : "") +
      visitWords(stop.order_id, techId);
  }

  const WORDS = {travel: "travel", idle: "waiting", break: "break"};

  function drawTimeline(newPlan) {
    plan = newPlan;
    drawnKey = liveKey();
    // a redraw (live status, a new plan) keeps the keyboard where it was
    const active = document.activeElement;
    const focused = active && box.contains(active) && active.dataset ? active.dataset.order : null;
    const roving = box.querySelector('.seg-service[tabindex="0"]');
    const keep = focused || (roving && roving.dataset.order);
    const date = (Board.current && Board.current.date) || localDate();
    const routes = new Map(plan.routes.map((r) => [r.technician_id, r]));
    const rows = Board.dayTechnicians(plan, date)
      .map((id) => routes.get(id) || {technician_id: id, stops: [], break: null, depart: null, back: null})
      .map((r) => [r, segments(r, date)]);
    const all = rows.flatMap(([, segs]) => segs);
    // the day's span: every working shift and every segment, to whole hours
    const edges = all.flatMap((s) => [s.from, s.to]);
    for (const [route] of rows) {
      const t = techOf(route.technician_id);
      if (t) edges.push(timeMinutes(shiftOf(t).start), timeMinutes(shiftOf(t).end));
    }
    if (!edges.length) { box.replaceChildren(el("p", {text: "No technician works this day."})); return; }
    const start = Math.floor(Math.min(...edges) / 60) * 60;
    const end = Math.max(start + 60, Math.ceil(Math.max(...edges) / 60) * 60);
    const span = end - start;
    const pct = (m) => (100 * (m - start) / span) + "%";
    const width = (a, b) => Math.max(0.25, 100 * (b - a) / span) + "%";
    const hours = span / 60;

    const now = date === localDate() ? (Date.now() - Date.parse(date + "T00:00:00")) / 60000 : null;
    const nowShown = now !== null && now >= start && now <= end;
    const nowLine = () => el("span", {class: "tl-now", style: "left:" + pct(now), "aria-hidden": "true"});

    const labels = [];
    for (let m = start; m <= end; m += 60) {
      labels.push(el("span", {class: "tl-hour" + (m === end ? " last" : ""), style: "left:" + pct(m), text: clock(m)}));
    }
    const axis = el("div", {class: "tl-axis", "aria-hidden": "true"}, el("span", {class: "tl-name"}),
      el("div", {class: "tl-hours", style: "--hours:" + hours}, ...labels,
         nowShown ? el("span", {class: "tl-now-label", style: "left:" + pct(now), text: "now " + clock(now)}) : ""));

    const out = rows.map(([route, segs]) => {
      const t = techOf(route.technician_id);
      const name = t ? t.name : route.technician_id;
      const brk = route.break ? ", break " + hhmm(route.break.start) + "–" + hhmm(route.break.end) : "";
      const stops = route.stops.length;
      const bar = el("div", {class: "bar", style: "--hours:" + hours});
      if (t) {  // outside the shift, shaded
        const shift = shiftOf(t);
        bar.append(el("span", {class: "off-shift", style: "left:0;width:" + width(start, timeMinutes(shift.start))}),
                   el("span", {class: "off-shift", style: "left:" + pct(timeMinutes(shift.end)) + ";width:" +
                                                         width(timeMinutes(shift.end), end)}));
      }
      for (const s of segs.filter((x) => x.kind !== "service")) {
        bar.append(el("span", {class: "seg seg-" + s.kind, "aria-hidden": "true",
                               title: WORDS[s.kind] + " " + clock(s.from) + "–" + clock(s.to),
                               style: "left:" + pct(s.from) + ";width:" + width(s.from, s.to)}));
      }
      for (const s of segs.filter((x) => x.kind === "service")) {
        const stop = s.stop;
        const late = stop.late_minutes > 0;
        const v = visits.get(route.technician_id + "|" + stop.order_id);
        const live = liveOrder(stop.order_id);
        const state = live && live.status === "unresolved" ? " unresolved"
          : (v && v.done_at) || (live && live.status === "done") ? " done"
            : (v && v.arrived_at) || (live && ["on_site", "in_service"].includes(live.status)) ? " onsite" : "";
        const risk = atRisk(stop.order_id) && state !== " done" && state !== " unresolved" ? " at-risk" : "";
        const label = visitName(stop, route.technician_id);
        // a crew job is on each member's row: marked with the whole crew, the lead first
        const crew = stop.crew && stop.crew.length > 1 ? stop.crew.join("+") : null;
        bar.append(el("button", {
          type: "button", class: "seg seg-service" + (late ? " late" : "") + state + risk + (crew ? " crew" : ""),
          tabindex: "-1", draggable: "true", "data-order": stop.order_id, "data-technician": route.technician_id,
          "data-crew": crew,
          "aria-label": label, title: label, "aria-current": Board.selected === stop.order_id ? "true" : null,
          style: "left:" + pct(s.from) + ";width:" + width(s.from, s.to)},
          el("span", {class: "seg-text", "aria-hidden": "true",
                      text: (state === " done" ? "✓ " : state === " unresolved" ? "✗ " : risk ? "⚠ " : late ? "! " : "") +
                            stop.order_id},
             crew ? el("span", {class: "seg-crew", text: " crew: " + crew}) : "")));
      }
      if (!stops) bar.append(el("span", {class: "tl-empty", text: "no visits"}));
      if (nowShown) bar.append(nowLine());
      // the technician's state and delay, beside the name, while the board follows the day
      const live = liveTech(route.technician_id);
      const delay = live ? Math.round(live.delay_minutes || 0) : 0;
      const liveText = live ? Board.stateWords(live) + " · " + Board.delayWords(delay) : "";
      return el("div", {class: "timeline-row", "data-technician": route.technician_id, role: "group",
                        "data-state": live ? live.state : null,
                        "aria-label": name + " (" + route.technician_id + "): " + stops +
                                      (stops === 1 ? " visit" : " visits") + brk + (live ? "; " + liveText : "")},
        el("span", {class: "timeline-label", style: "border-color:" + Board.colourOf(route.technician_id)},
           el("span", {class: "tl-tech-name", text: name}),
           el("small", {text: route.technician_id + " · " + stops + (stops === 1 ? " visit" : " visits")}),
           live ? el("small", {class: "tl-live" + (delay > 0 ? " behind" : delay < 0 ? " ahead" : ""),
                               text: liveText}) : ""),
        bar);
    });
    box.replaceChildren(axis, ...out);
    clearAxis();
    const again = keep && box.querySelector('.seg-service[data-order="' + CSS.escape(keep) + '"]');
    rove(again || box.querySelector('.seg-service[aria-current="true"]') || box.querySelector(".seg-service"),
         !!(focused && again));
    box.dataset.start = String(start);
    box.dataset.end = String(end);
  }

  // hour labels the "now" label would cover step aside (measured, as it depends on the width)
  function clearAxis() {
    const label = box.querySelector(".tl-now-label");
    const at = label && label.getBoundingClientRect();
    box.querySelectorAll(".tl-hour").forEach((h) => {
      const r = h.getBoundingClientRect();
      h.classList.toggle("under-now", !!at && r.right + 4 > at.left && r.left - 4 < at.right);
    });
  }
  if (window.ResizeObserver) new ResizeObserver(clearAxis).observe(box);

  // one Tab stop for the whole timeline: the current visit has tabindex 0, the arrows move it
  function rove(target, focus) {
    if (!target) return;
    box.querySelectorAll('.seg-service[tabindex="0"]').forEach((b) => b.setAttribute("tabindex", "-1"));
    target.setAttribute("tabindex", "0");
    if (focus) target.focus();
  }

  function centre(button) { const r = button.getBoundingClientRect(); return r.left + r.width / 2; }

  box.addEventListener("keydown", (event) => {
    const here = event.target.closest && event.target.closest(".seg-service");
    if (!here) return;
    const row = here.closest(".timeline-row");
    const inRow = [...row.querySelectorAll(".seg-service")];
    const i = inRow.indexOf(here);
    let next = null;
    if (event.key === "ArrowRight") next = inRow[i + 1];
    else if (event.key === "ArrowLeft") next = inRow[i - 1];
    else if (event.key === "Home") next = inRow[0];
    else if (event.key === "End") next = inRow[inRow.length - 1];
    else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      // the nearest visit in time on the next row that has visits
      const rows = [...box.querySelectorAll(".timeline-row")].filter((r) => r.querySelector(".seg-service"));
      const other = rows[rows.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1)];
      if (other) {
        const x = centre(here);
        next = [...other.querySelectorAll(".seg-service")]
          .reduce((best, b) => (!best || Math.abs(centre(b) - x) < Math.abs(centre(best) - x) ? b : best), null);
      }
    } else return;
    event.preventDefault();
    if (next) rove(next, true);
  });

  box.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".seg-service");
    if (!button) return;
    rove(button, false);
    Board.select(button.dataset.order, "timeline");
  });

  // --- drag a visit onto another technician's row: pin it there and re-plan ------------------------------
  function canTake(techId, orderId) {
    const t = techOf(techId);
    const needs = (Board.orders.get(orderId) || {}).required_skills || [];
    return !!t && needs.every((s) => t.skills.includes(s));
  }

  box.addEventListener("dragstart", (event) => {
    const button = event.target.closest && event.target.closest(".seg-service");
    if (!button || Board.running) { event.preventDefault(); return; }
    dragged = button.dataset.order;
    Board.dragging = true;  // the day's status waits (board-live.js)
    draggedFrom = button.dataset.technician;
    event.dataTransfer.setData("text/plain", dragged);
    event.dataTransfer.effectAllowed = "move";
    for (const row of box.querySelectorAll(".timeline-row")) {
      const tech = row.dataset.technician;
      if (tech !== button.dataset.technician) row.classList.add(canTake(tech, dragged) ? "drop-ok" : "drop-no");
    }
  });

  function endDrag() {
    dragged = null;
    Board.dragging = false;
    if (redrawAfterDrag && plan) {
      redrawAfterDrag = false;
      setTimeout(() => drawTimeline(plan));  // after the drop has been handled
    }
    box.querySelectorAll(".drop-ok, .drop-no, .drop-over").forEach((r) => r.classList.remove("drop-ok", "drop-no", "drop-over"));
  }
  box.addEventListener("dragend", endDrag);

  box.addEventListener("dragover", (event) => {
    // any other technician's row takes the drop: a qualified one pins, an unqualified one says why not
    let row = event.target.closest && event.target.closest(".timeline-row");
    if (row && !row.classList.contains("drop-ok") && !row.classList.contains("drop-no")) {
      // the timeline was redrawn during the drag: mark the new rows as dragstart did
      if (dragged && row.dataset.technician !== draggedFrom) {
        row.classList.add(canTake(row.dataset.technician, dragged) ? "drop-ok" : "drop-no");
      } else {
        row = null;
      }
    }
    box.querySelectorAll(".drop-over").forEach((r) => { if (r !== row) r.classList.remove("drop-over"); });
    if (!row) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (row.classList.contains("drop-ok")) row.classList.add("drop-over");
  });

  box.addEventListener("drop", (event) => {
    const row = event.target.closest && event.target.closest(".timeline-row");
    const orderId = dragged || event.dataTransfer.getData("text/plain");
    endDrag();
    if (!row || !orderId) return;
    event.preventDefault();
    const tech = row.dataset.technician;
    if (!canTake(tech, orderId)) {
      const t = techOf(tech);
      const lacks = ((Board.orders.get(orderId) || {}).required_skills || [])
        .filter((k) => !t || !t.skills.includes(k)).sort();
      Board.say(orderId + " not pinned: " + tech + (t ? " (" + t.name + ")" : "") + " lacks the skill" +
                (lacks.length > 1 ? "s " : " ") + lacks.join(", ") + " it needs.", true);
      return;
    }
    if (!Board.pin) { Board.say("Pinning is not available on this board.", true); return; }
    Promise.resolve(Board.pin(orderId, tech)).catch(() => {});
  });

  // --- selection from any view ------------------------------------------------------------------------------
  Board.on("select", (orderId, from) => {
    let chosen = null;
    box.querySelectorAll(".seg-service").forEach((b) => {
      const on = b.dataset.order === orderId;
      if (on) { b.setAttribute("aria-current", "true"); chosen = b; } else b.removeAttribute("aria-current");
    });
    if (!chosen || from === "timeline") return;
    rove(chosen, false);
    // bring it into the timeline's own scroll without moving the page (the map may be what the user looks at)
    const scroller = box.closest(".timeline-scroll");
    if (scroller) {
      const r = chosen.getBoundingClientRect();
      const s = scroller.getBoundingClientRect();
      if (r.left < s.left || r.right > s.right) scroller.scrollLeft += r.left - s.left - s.width / 3;
    }
    if (from === "popup") chosen.scrollIntoView({block: "nearest", inline: "nearest"});
  });

  // --- live visit status of the shown date: a tick on done visits, refreshed every minute for today ------
  let visitsOf = null;
  async function loadVisits() {
    const read = Board.current;
    if (!read || !read.plan) return;
    const date = read.date;
    try {
      const list = await api("/visits?date=" + date + "&limit=500");
      if (!Board.current || Board.current.date !== date) return;
      const before = JSON.stringify([...visits.values()]);
      visits = new Map(list.map((v) => [v.technician_id + "|" + v.order_id, v]));
      visitsOf = date;
      if (plan && JSON.stringify([...visits.values()]) !== before) {
        if (dragged) redrawAfterDrag = true;  // redrawing now would take the dragged visit from under the pointer
        else drawTimeline(plan);
      }
    } catch (_) { /* the timeline stands without live status */ }
  }

  setInterval(() => {
    if (!plan || !Board.current || Board.current.date !== localDate() || Board.running) return;
    loadVisits();
  }, 60000);

  Board.on("plan", (p, read) => {
    if (!read || read.date !== visitsOf) visits = new Map();
    drawTimeline(p);
    loadVisits();
  });
  Board.on("clear", () => { plan = null; box.replaceChildren(); });
  Board.on("status", () => {
    if (!plan || liveKey() === drawnKey) return;
    if (dragged) redrawAfterDrag = true;
    else drawTimeline(plan);
  });
})();
