"use strict";
// The board follows the day: GET /days/{date}/status every 15 s while the date shown is today (or the board
// looks at a fixed moment, ?at=10:30), and on demand. Each technician's state and delay, the orders at risk and
// the unresolved ones are listed here; the map and the timeline mark them from Board.status ("status" event).
(() => {
  const {api, el, hhmm, localDate, localIso, duration} = Dispatch;
  const POLL_MS = 15000;
  const dateInput = document.getElementById("plan-date");
  const refreshButton = document.getElementById("live-refresh");
  const summary = document.getElementById("live-summary");
  const fixedAt = new URLSearchParams(location.search).get("at");  // "10:30" or "2026-03-02T10:30[:00]"

  // the moment the board speaks of: the URL's fixed one on the selected date (a replay, a what-if), else null:
  // the service's own now (the service refuses a moment off the plan's date)
  Board.at = () => {
    if (!fixedAt) return null;
    const date = (Board.current && Board.current.date) || dateInput.value;
    if (/^\d{1,2}:\d{2}(:\d{2})?$/.test(fixedAt)) {
      const [h, m, s] = fixedAt.split(":");
      return date + "T" + h.padStart(2, "0") + ":" + m + ":" + (s || "00");
    }
    return fixedAt.length === 16 ? fixedAt + ":00" : fixedAt;
  };
  Board.atFixed = !!fixedAt;
  Board.status = null;  // the last day status of the date shown

  const STATE = {
    not_started: () => "not started",
    en_route: (t) => t.order_id ? "on the way to " + t.order_id : "on the way",
    on_site: (t) => t.order_id ? "on site at " + t.order_id : "on site",
    in_service: (t) => t.order_id ? "in service at " + t.order_id : "in service",
    on_break: () => "on break",
    idle: () => "idle",
    absent: () => "absent",
    finished: () => "finished the day",
  };
  // "on the way to O0012", in words for any state the service may add
  Board.stateWords = (t) => (STATE[t.state] || (() => String(t.state).replaceAll("_", " ")))(t);
  // "12 min behind plan", "5 min ahead of plan", "on plan"
  Board.delayWords = (minutes) => {
    const m = Math.round(minutes || 0);
    return m > 0 ? duration(m) + " behind plan" : m < 0 ? duration(-m) + " ahead of plan" : "on plan";
  };

  function techName(id) {
    const t = Board.technicians.find((x) => x.id === id);
    return t ? t.name + " (" + id + ")" : id || "—";
  }
  function customer(orderId) {
    const o = Board.orders.get(orderId);
    const c = o && Board.customers.get(o.customer_id);
    return c ? c.name : (o ? o.customer_id : "");
  }

  // "09:00" on the status's date, "Mon 30 Nov 14:30" on another (a deadline passed days before)
  function when(iso, date) {
    if (!iso) return "—";
    if (iso.slice(0, 10) === date) return hhmm(iso);
    return new Date(iso.slice(0, 10) + "T12:00:00").toLocaleDateString("en-GB", {weekday: "short", day: "numeric",
                                                                              month: "short"}) + " " + hhmm(iso);
  }

  // --- the lists ----------------------------------------------------------------------------------------
  function drawTechnicians(status) {
    const body = document.querySelector("#live-technicians tbody");
    const rows = [...status.technicians].sort((a, b) => (a.technician_id < b.technician_id ? -1 : 1));
    body.replaceChildren(...(rows.length ? rows.map((t) => {
      const d = Math.round(t.delay_minutes || 0);
      return el("tr", {"data-technician": t.technician_id, "data-state": t.state},
        el("th", {scope: "row", text: t.name ? t.name + " (" + t.technician_id + ")" : techName(t.technician_id)}),
        el("td", {class: "live-state state-" + t.state, text: Board.stateWords(t)}),
        el("td", {class: "live-delay" + (d > 0 ? " behind" : d < 0 ? " ahead" : ""), text: Board.delayWords(d)}),
        el("td", {text: t.next_order_id ? t.next_order_id + (t.next_eta ? " at " + when(t.next_eta, status.date) : "")
                                        : "—"}));
    }) : [el("tr", {}, el("td", {colspan: "4", text: "Nobody works this day."}))]));
  }

  function selectButton(orderId) {
    return el("button", {type: "button", class: "secondary", onclick: () => Board.select(orderId, "lists")},
              "Select", el("span", {class: "sr-only", text: " order " + orderId}));
  }

  function drawAtRisk(status) {
    const byId = new Map(status.orders.map((o) => [o.order_id, o]));
    const rows = status.at_risk.map((id) => byId.get(id) || {order_id: id})
      .sort((a, b) => (a.deadline || "").localeCompare(b.deadline || "") || (a.order_id < b.order_id ? -1 : 1));
    document.getElementById("at-risk-count").textContent = rows.length ? "(" + rows.length + ")" : "";
    const body = document.querySelector("#at-risk tbody");
    body.replaceChildren(...(rows.length ? rows.map((o) => {
      const order = Board.orders.get(o.order_id) || {};
      const late = Math.round(o.late_minutes || 0);
      return el("tr", {"data-order": o.order_id, "aria-current": o.order_id === Board.selected ? "true" : null},
        el("th", {scope: "row", text: o.order_id}),
        el("td", {}, el("span", {class: "prio prio-" + (order.priority || "P4"), text: order.priority || "?"})),
        el("td", {text: customer(o.order_id)}),
        el("td", {text: o.technician_id ? techName(o.technician_id) : "unassigned"}),
        el("td", {class: "predicted", text: when(o.predicted_start, status.date)}),
        el("td", {class: "deadline", text: when(o.deadline, status.date)}),
        el("td", {class: "lateness", text: late > 0 ? duration(late) + " late" : "within the margin"}),
        el("td", {}, selectButton(o.order_id)));
    }) : [el("tr", {}, el("td", {colspan: "8", text: "No order is at risk."}))]));
  }

  // the order's last outcome (contract: "last_outcome" of the order read), asked once per unresolved order
  const outcomes = new Map();
  async function outcomeOf(orderId) {
    if (!outcomes.has(orderId)) {
      const asked = api("/orders/" + encodeURIComponent(orderId)).then((o) => {
        Board.orders.set(o.id, o);
        return o.last_outcome || null;
      });
      asked.catch(() => outcomes.delete(orderId));
      outcomes.set(orderId, asked);
    }
    return outcomes.get(orderId);
  }

  const REASONS = {part_missing: "a part is missing", second_technician: "a second technician is needed",
                   customer_absent: "the customer was absent", other: "other"};
  Board.reasonWords = (outcome) => {
    if (!outcome) return "no reason recorded";
    const why = REASONS[outcome.reason] || (outcome.reason ? String(outcome.reason).replaceAll("_", " ") : "");
    return [why, outcome.note].filter(Boolean).join(" — ") || "no reason recorded";
  };

  async function drawUnresolved(status, gen) {
    const rows = status.orders.filter((o) => o.status === "unresolved");
    document.getElementById("unresolved-count").textContent = rows.length ? "(" + rows.length + ")" : "";
    const found = await Promise.all(rows.map((o) => outcomeOf(o.order_id).catch(() => null)));
    if (gen !== drawn) return;
    const body = document.querySelector("#unresolved tbody");
    body.replaceChildren(...(rows.length ? rows.map((o, i) => {
      const outcome = found[i];
      return el("tr", {"data-order": o.order_id},
        el("th", {scope: "row", text: o.order_id}),
        el("td", {text: customer(o.order_id)}),
        el("td", {text: techName((outcome && outcome.technician_id) || o.technician_id)}),
        el("td", {class: "reason", text: Board.reasonWords(outcome)}),
        el("td", {text: outcome && outcome.time ? hhmm(outcome.time) : "—"}),
        el("td", {}, selectButton(o.order_id)));
    }) : [el("tr", {}, el("td", {colspan: "6", text: "No visit left an order unresolved."}))]));
  }

  // --- polling ------------------------------------------------------------------------------------------
  let drawn = 0;  // the draw in hand: a later one wins over an earlier answer still on its way
  let asking = false;

  function following() {
    const date = Board.current ? Board.current.date : dateInput.value;
    return !!date && (!!fixedAt || date === localDate());
  }
  // a drag, a dialog, an open map popup (its "Pin to…" form) or a plan being made keeps the screen still
  function busy() {
    return !!document.querySelector("dialog[open], .leaflet-popup") || !!Board.dragging || Board.running;
  }

  function show(status) {
    Board.status = status;
    const at = status.at ? hhmm(status.at) : "";
    summary.textContent = "The day as of " + at + (status.plan_id
      ? ", against the published plan" + (status.version ? " (version " + status.version + ")" : "")
      : ", with no plan published yet") + ": " + status.technicians.length + " technician" +
      (status.technicians.length === 1 ? "" : "s") + ", " + status.at_risk.length + " order" +
      (status.at_risk.length === 1 ? "" : "s") + " at risk. Updated " + hhmm(localIso()) +
      (following() ? (fixedAt ? "; the board stays at " + at + "." : "; follows the day every 15 s.") : ".");
    summary.classList.remove("error");
    drawTechnicians(status);
    drawAtRisk(status);
    drawUnresolved(status, drawn);
    Board.emit("status", status);
  }

  function clear(text) {
    Board.status = null;
    summary.textContent = text;
    document.querySelector("#live-technicians tbody").replaceChildren();
    document.querySelector("#at-risk tbody").replaceChildren();
    document.querySelector("#unresolved tbody").replaceChildren();
    document.getElementById("at-risk-count").textContent = "";
    document.getElementById("unresolved-count").textContent = "";
    Board.emit("status", null);
  }

  // the status of the date on screen, now; resolves once drawn (or dropped for a newer request)
  Board.refreshStatus = async () => {
    const date = Board.current ? Board.current.date : dateInput.value;
    if (!date) return;
    const gen = ++drawn;
    asking = true;
    try {
      const status = await api("/days/" + date + "/status" + (fixedAt ? "?at=" + encodeURIComponent(Board.at()) : ""));
      if (gen !== drawn) return;
      show(status);
    } catch (error) {
      if (gen !== drawn) return;
      summary.textContent = "The day's status could not be read: " + error.message;
      summary.classList.add("error");
    } finally {
      if (gen === drawn) asking = false;
    }
  };

  setInterval(() => {
    if (asking || busy() || document.hidden || !following() || !Board.current) return;
    Board.refreshStatus();
  }, POLL_MS);

  refreshButton.addEventListener("click", () => Board.refreshStatus());
  // another day than today is read on demand (the Refresh button), so a board of tomorrow asks nothing
  Board.on("plan", () => {
    if (following()) Board.refreshStatus();
    else if (!Board.status) summary.textContent = "The board follows the day when it shows today: " +
      "Refresh status reads this date's status now.";
  });
  Board.on("clear", () => { outcomes.clear(); drawn++; asking = false; clear("No plan on screen."); });
  dateInput.addEventListener("change", () => { Board.status = null; });
  Board.on("select", (orderId) => {
    for (const row of document.querySelectorAll("#at-risk tbody tr[data-order]")) {
      if (row.dataset.order === orderId) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  });
})();
