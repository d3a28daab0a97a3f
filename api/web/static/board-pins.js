"use strict";
// The board's pins. Every pin (the form, an unassigned row's "Pin to…", the map's popup, the timeline's drag)
// goes through Board.pin: only a technician who can take the order (GET /orders/{id}/candidates) is pinned,
// then the plan is re-planned and the status line says what the re-plan made of the pin. The active pins of the
// date are listed with Unpin.
(() => {
  const {api, el, hhmm, sayError} = Dispatch;
  const orderSelect = document.getElementById("pin-order");
  const techSelect = document.getElementById("pin-technician");
  const note = document.getElementById("pin-note");
  const replanButton = document.getElementById("replan");
  const RANK = {P1: 1, P2: 2, P3: 3, P4: 4};
  // order|date -> the candidates answer (a promise); emptied by each new plan, as van stock and pins change
  const cache = new Map();

  function planDate() { return Board.current ? Board.current.date : document.getElementById("plan-date").value; }
  // a plan of several days is not re-planned (a re-plan works on one day): request a new one instead
  function canReplan() {
    const c = Board.current;
    return !!c && c.status === "done" && !Board.running && !(c.plan && c.plan.dates && c.plan.dates.length > 1);
  }
  function byPriority(a, b) { return (RANK[a.priority] || 9) - (RANK[b.priority] || 9) || (a.id < b.id ? -1 : 1); }
  function label(o) { return [o.id, o.priority, Board.format.customerOf(o)].filter(Boolean).join(" · "); }

  function candidates(orderId) {
    const key = orderId + "|" + planDate();
    if (!cache.has(key)) {
      const asked = api("/orders/" + encodeURIComponent(orderId) + "/candidates?date=" + planDate());
      asked.catch(() => cache.delete(key));
      cache.set(key, asked);
    }
    return cache.get(key);
  }

  // --- what a re-plan made of the pins -----------------------------------------------------------------
  function placeOf(read, orderId) {
    for (const r of read.plan.routes) {
      const i = r.stops.findIndex((s) => s.order_id === orderId);
      if (i >= 0) return {technician: r.technician_id, stop: i + 1, at: hhmm(r.stops[i].arrival)};
    }
    const u = read.plan.unassigned.find((x) => x.order_id === orderId);
    // "pinned technician T002 cannot take it: shift" reads better as "T002 cannot take it: shift"
    return {reason: u ? u.reason.replace(/^pinned technician /, "") : "it is no longer an open order of the day"};
  }

  function servedChange(before, read) {
    const now = read.plan.kpis.served;
    if (!before || !before.plan) return now + " orders served";
    const d = now - before.plan.kpis.served;
    if (d === 0) return "as many orders served as before (" + now + ")";
    return Math.abs(d) + (d < 0 ? " fewer " : " more ") + (Math.abs(d) === 1 ? "order" : "orders") +
      " served than before (" + now + ")";
  }

  // the plan's other pins: those it could not honour are named, the rest counted
  function otherPins(read, done) {
    const kept = [];
    const out = [];
    for (const [orderId, techId] of Object.entries(read.pins || {}).sort()) {
      if (done.includes(orderId)) continue;
      const place = placeOf(read, orderId);
      if (place.technician === techId) kept.push(orderId);
      else out.push({bad: true, text: orderId + " (pinned to " + techId + ") not placed: " +
                                      (place.reason || "it went to " + place.technician)});
    }
    if (kept.length) out.push({text: kept.length + " other pin" + (kept.length === 1 ? "" : "s") + " kept"});
    return out;
  }

  function report(before, read, parts, done) {
    parts = parts.concat(otherPins(read, done));
    const lost = before && before.plan && read.plan.kpis.served < before.plan.kpis.served;
    const bad = parts.some((p) => p.bad) || lost;
    Board.say(Board.describe(read) + " — " + parts.map((p) => p.text).concat(servedChange(before, read)).join("; ") +
              ".", bad);
  }

  // Pin an order to a technician and re-plan; resolves to the new PlanRead, or null when nothing was re-planned
  // (the status line says why). Never rejects: the map and the timeline call it without a catch.
  Board.pin = async (orderId, technicianId) => {
    try {
      if (!canReplan()) {
        Board.say("Not pinned: " + orderId + " can be pinned once a finished plan is on screen and no plan is " +
                  "being made.", true);
        return null;
      }
      const found = (await candidates(orderId)).find((c) => c.technician_id === technicianId);
      if (!found) { Board.say("Not pinned: there is no technician " + technicianId + ".", true); return null; }
      if (!found.fits) {
        Board.say("Not pinned: " + orderId + " cannot go to " + technicianId + " (" + found.name + "), who " +
                  (found.reason === "off that day" ? "is off that day" : "cannot take it: " + found.reason) +
                  ". Nothing was changed.", true);
        return null;
      }
      const before = Board.current;
      Board.say("Pinning " + orderId + " to " + technicianId + " and re-planning…");
      const read = await Board.replan({pins: {[orderId]: technicianId}});
      if (!read || !read.plan) return read;
      const place = placeOf(read, orderId);
      report(before, read, [place.technician === technicianId
        ? {text: orderId + " pinned to " + technicianId + ": stop " + place.stop + " at " + place.at}
        : {bad: true, text: orderId + " not placed: " + (place.reason || "it went to " + place.technician)}],
             [orderId]);
      return read;
    } catch (error) {
      sayError("plan-status", "Not pinned: ", error);
      return null;
    }
  };

  async function unpin(order) {
    try {
      Board.orders.set(order.id, await api("/orders/" + encodeURIComponent(order.id), {
        method: "PATCH", body: {pinned_technician_id: null}}));
      drawPins();
      cache.clear();
      if (!canReplan()) {
        Board.say(order.id + " is no longer pinned to " + order.pinned_technician_id + "; the next plan places it " +
                  "freely.");
        return;
      }
      const before = Board.current;
      Board.say(order.id + " unpinned from " + order.pinned_technician_id + "; re-planning…");
      const read = await Board.replan({});
      if (!read || !read.plan) return;
      const place = placeOf(read, order.id);
      report(before, read, [place.technician
        ? {text: order.id + " unpinned, now stop " + place.stop + " of " + place.technician + " at " + place.at}
        : {bad: true, text: order.id + " unpinned, not placed: " + place.reason}], [order.id]);
    } catch (error) {
      sayError("plan-status", "Not unpinned: ", error);
    }
  }

  // --- the active pins: open orders of the date pinned to someone -------------------------------------
  function activePins() {
    const date = planDate();
    return [...Board.orders.values()].filter((o) => o.pinned_technician_id && o.status === "open" &&
      o.created_at.slice(0, 10) <= date && (!o.window_start || o.window_start.slice(0, 10) === date)).sort(byPriority);
  }

  function drawPins() {
    const pins = activePins();
    document.getElementById("pins-count").textContent = pins.length ? "(" + pins.length + ")" : "";
    document.querySelector("#pins tbody").replaceChildren(...(pins.length ? pins.map((o) =>
      el("tr", {"data-order": o.id, "data-technician": o.pinned_technician_id},
        el("th", {scope: "row", text: o.id + " · " + o.priority}),
        el("td", {text: o.pinned_technician_id + " · " + Board.format.techName(o.pinned_technician_id)}),
        el("td", {text: Board.format.customerOf(o)}),
        el("td", {}, el("button", {type: "button", class: "secondary unpin", text: "Unpin", disabled: Board.running,
                                   "aria-label": "Unpin order " + o.id + " from " + o.pinned_technician_id,
                                   onclick: () => unpin(o)}))))
      : [el("tr", {}, el("td", {colspan: "4", text: "No open order of " + (planDate() || "this day") +
                                                     " is pinned."}))]));
  }

  // --- the form: orders by priority with customer, only the technicians who can take the chosen one ---------
  function updateButton() {
    replanButton.disabled = !canReplan() || !orderSelect.value || !techSelect.value;
  }

  // the dispatcher's last choice, kept across re-plans (a re-plan clears the screen while it runs)
  const chosen = {order: "", technician: ""};
  let asked = 0;  // a later choice of order wins over an earlier answer still on its way
  async function loadTechnicians() {
    const orderId = orderSelect.value;
    const ticket = ++asked;
    const keep = chosen.technician;
    if (!orderId) {
      techSelect.replaceChildren();
      note.textContent = Board.current && Board.current.plan ? "This plan has no order to pin." : "";
      updateButton();
      return;
    }
    note.textContent = "Checking who can take " + orderId + "…";
    let list;
    try {
      list = await candidates(orderId);
    } catch (error) {
      if (ticket === asked) { techSelect.replaceChildren(); note.textContent = "Could not check who can take " +
                                                             orderId + ": " + error.message; updateButton(); }
      return;
    }
    if (ticket !== asked) return;
    const pinned = (Board.orders.get(orderId) || {}).pinned_technician_id;
    const fit = list.filter((c) => c.fits);
    const unfit = list.filter((c) => !c.fits);
    techSelect.replaceChildren(
      ...fit.map((c) => el("option", {value: c.technician_id, text: c.technician_id + " · " + c.name +
                                                                   (c.technician_id === pinned ? " (pinned now)" : "")})),
      ...(unfit.length ? [el("optgroup", {label: "Cannot take " + orderId}, ...unfit.map((c) =>
        el("option", {value: c.technician_id, disabled: true,
                      text: c.technician_id + " · " + c.name + " — " + c.reason})))] : []));
    techSelect.value = fit.some((c) => c.technician_id === keep) ? keep : (fit[0] ? fit[0].technician_id : "");
    chosen.technician = techSelect.value;
    note.textContent = fit.length
      ? fit.length + " of " + list.length + " technicians can take " + orderId + " on " + planDate() +
        (unfit.length ? "; the others are listed greyed out with the reason." : ".")
      : "Nobody can take " + orderId + " on " + planDate() + "; the reasons are in the list.";
    updateButton();
  }

  function fill(plan) {
    const keep = chosen.order;
    const ids = new Set(plan.routes.flatMap((r) => r.stops.map((s) => s.order_id))
      .concat(plan.unassigned.map((u) => u.order_id)));
    const orders = [...ids].map((id) => Board.orders.get(id) || {id}).sort(byPriority);
    orderSelect.replaceChildren(...orders.map((o) => el("option", {value: o.id, text: label(o)})));
    if (ids.has(keep)) orderSelect.value = keep;
    chosen.order = orderSelect.value;
    return loadTechnicians();
  }

  // an unassigned row's "Pin to…": the order chosen in the form, the technicians who can take it offered
  Board.pinForm = async (orderId) => {
    if (![...orderSelect.options].some((o) => o.value === orderId)) return;
    orderSelect.value = orderId;
    chosen.order = orderId;
    document.getElementById("pin-form").scrollIntoView({block: "center"});
    await loadTechnicians();
    techSelect.focus();
  };

  orderSelect.addEventListener("change", () => { chosen.order = orderSelect.value; loadTechnicians(); });
  techSelect.addEventListener("change", () => { chosen.technician = techSelect.value; updateButton(); });
  Board.on("reference", drawPins);
  Board.on("plan", (plan) => { cache.clear(); drawPins(); fill(plan); });
  Board.on("clear", () => {
    cache.clear();
    orderSelect.replaceChildren();
    techSelect.replaceChildren();
    note.textContent = "";
    drawPins();
    updateButton();
  });
  Board.on("running", () => {
    updateButton();
    for (const b of document.querySelectorAll("#pins button.unpin")) b.disabled = Board.running;
  });

  document.getElementById("pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (replanButton.disabled) return;
    replanButton.disabled = true;
    Board.pin(orderSelect.value, techSelect.value).finally(updateButton);
  });
})();
