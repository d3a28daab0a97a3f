"use strict";
// A plan's fixes, beside each unassigned order's reason and each late visit: the few one-change fixes the plan
// lists (cheapest first) in words, with an action where the service has one: the part brought from a store to
// the van (POST /technicians/{id}/van/transfers), the shift extended for the day (PUT /technicians/{id}/days/
// {date}), the new window proposed to the customer (POST /orders/{id}/window-proposals). After an action the
// row says what happened and offers a re-plan, which then uses the change.
(() => {
  const {api, el, hhmm, duration} = Dispatch;
  // "plan|order|fix" -> {text, next, window}: what an action did, kept across redraws and views of the plan (an
  // action is not offered twice for one plan's fix)
  const done = new Map();
  const keys = new Map();  // "plan|order|fix" -> the Idempotency-Key of its stock transfer (a retry reuses it)

  function techWords(id) {
    const t = Board.technicians.find((x) => x.id === id);
    return t ? t.name + " (" + id + ")" : id;
  }
  function techName(id) {
    const t = Board.technicians.find((x) => x.id === id);
    return t ? t.name : id;
  }
  function customerWords(orderId) {
    return Board.format ? Board.format.customerOf(Board.orders.get(orderId)) || "the customer" : "the customer";
  }
  function num(v) { return Math.abs(Math.round(v)).toLocaleString("en-GB"); }
  function signed(v) { return (v > 0.5 ? "+" : v < -0.5 ? "−" : "±") + num(v); }
  function dayWords(date) {
    return date === Dispatch.localDate() ? "today"
      : new Date(date + "T00:00:00").toLocaleDateString("en-GB", {weekday: "short", day: "numeric", month: "short"});
  }
  function hm(time) { return String(time).slice(0, 5); }
  function plusMinutes(time, minutes) {
    const [h, m] = hm(time).split(":").map(Number);
    const t = Math.min(h * 60 + m + minutes, 23 * 60 + 59);
    return String(Math.floor(t / 60)).padStart(2, "0") + ":" + String(t % 60).padStart(2, "0");
  }

  // "cost change −9,965 (unserved −10,000, change +30, travel +5)": the cost delta total, by objective part
  function costWords(delta) {
    const parts = Object.entries(delta || {}).filter(([k, v]) => k !== "total" && Math.abs(v) >= 0.5);
    const total = delta && delta.total !== undefined ? delta.total : parts.reduce((a, [, v]) => a + v, 0);
    return el("span", {class: "fix-cost"}, "cost change ", el("strong", {text: signed(total)}),
              parts.length ? " (" + parts.map(([k, v]) => k.replaceAll("_", " ") + " " + signed(v)).join(", ") + ")"
                           : "");
  }

  // ETA, lateness and where: "Tech B (TB), stop 3, starts 10:25, on time"
  function factWords(fix) {
    const late = Math.round(fix.late_minutes || 0);
    const when = fix.date ? dayWords(fix.date) + " " + hhmm(fix.eta) : hhmm(fix.eta);
    return techWords(fix.technician_id) + ", stop " + (fix.position + 1) + ", starts " + when + ", " +
      (late > 0 ? duration(late) + " late" : "on time");
  }

  // the action a fix offers: [button words, what it does] or null
  function actionOf(fix, orderId, plan, key) {
    if (fix.kind === "part" && fix.store && fix.part && fix.quantity) {
      return ["Create the transfer", () => transfer(fix, orderId, key)];
    }
    if (fix.kind === "overtime" && fix.minutes) {
      const day = dayWords(plan.date);
      return [day === "today" ? "Extend the shift for today" : "Extend the shift on " + day,
              () => extend(fix, plan)];
    }
    const window = windowOf(fix, orderId);
    if (fix.kind === "window" && window) {
      return ["Propose the window to the customer", () => propose(window, orderId, plan)];
    }
    return null;
  }

  async function transfer(fix, orderId, key) {
    if (!keys.has(key)) {
      keys.set(key, window.crypto && crypto.randomUUID ? crypto.randomUUID()
        : "fix-" + Date.now() + "-" + Math.random().toString(36).slice(2));
    }
    const move = await api("/technicians/" + encodeURIComponent(fix.technician_id) + "/van/transfers", {
      method: "POST", headers: {"Idempotency-Key": keys.get(key)},
      body: {part_id: fix.part, quantity: fix.quantity, from_location_id: fix.store, reason: "for order " + orderId}});
    return {text: "Transfer created: " + move.quantity + " × " + move.part_id + " from " + move.from_location_id +
                  " to the van of " + techName(fix.technician_id) + " (" + move.to_location_id + "). Re-plan so " +
                  "the plan uses it.", next: "replan"};
  }

  async function extend(fix, plan) {
    const path = "/technicians/" + encodeURIComponent(fix.technician_id) + "/days/" + plan.date;
    const now = await api(path);
    const body = {shift_end: plusMinutes(now.shift_end, fix.minutes)};
    if (now.changed && hm(now.shift_start) !== hm(now.usual_shift_start)) body.shift_start = hm(now.shift_start);
    const day = await api(path, {method: "PUT", body});
    return {text: "Shift extended: " + techWords(fix.technician_id) + " works until " + hm(day.shift_end) + " " +
                  (dayWords(plan.date) === "today" ? "today" : "on " + dayWords(plan.date)) + " (instead of " +
                  hm(now.shift_end) + "). Re-plan so the plan uses it.", next: "replan"};
  }

  // the window a fix proposes, [start, end] as HH:MM; a side the fix leaves out is the order's own
  function windowOf(fix, orderId) {
    if (fix.kind !== "window") return null;
    const order = Board.orders.get(orderId) || {};
    const start = fix.window_start || (order.window_start ? hhmm(order.window_start) : null);
    const end = fix.window_end || (order.window_end ? hhmm(order.window_end) : null);
    return start && end ? [start, end] : null;
  }

  async function propose([start, end], orderId, plan) {
    const body = {window_start: plan.date + "T" + start, window_end: plan.date + "T" + end};
    const sent = await api("/orders/" + encodeURIComponent(orderId) + "/window-proposals", {method: "POST", body});
    const where = sent.status === "delivered" ? "was sent" : "is in the outbox, to be sent";
    return {text: "Proposed to " + customerWords(orderId) + ": " + start + "–" + end + " for " + orderId +
                  " (the message " + where + "). The order keeps its window until you move it.",
            next: "window", window: body};
  }

  // re-plan the plan on screen and say where the order went; when it cannot run, the row offers it again
  async function replan(orderId, node, key) {
    node.replaceChildren("Re-planning…");
    let read = null;
    try {
      read = await Board.replan({at: Board.at ? Board.at() : null});
    } catch (_) { /* Board.replan said why in the plan's status */ }
    if (!read || !read.plan) {
      if (node.isConnected) drawResult(node, key, orderId, "The re-plan did not run (the plan's status says why).");
      return;
    }
    const route = read.plan.routes.find((r) => r.stops.some((s) => s.order_id === orderId));
    const stop = route && route.stops.find((s) => s.order_id === orderId);
    const left = read.plan.unassigned.find((u) => u.order_id === orderId);
    Board.say(Board.describe(read) + " — " + (stop
      ? orderId + " goes to " + techWords(route.technician_id) + ", stop " + (route.stops.indexOf(stop) + 1) +
        ", starts " + hhmm(stop.start) + (stop.late_minutes > 0 ? ", " + duration(stop.late_minutes) + " late" : ", on time")
      : orderId + " is still not planned" + (left ? ": " + left.reason : "")) + ". Publish to send it to the technicians.",
              !stop);
  }

  // the customer agreed: the order's window becomes the proposed one, then the re-plan
  async function moveWindow(orderId, window, node, key) {
    node.replaceChildren("Moving the window of " + orderId + "…");
    try {
      const order = await api("/orders/" + encodeURIComponent(orderId), {method: "PATCH", body: window});
      Board.orders.set(order.id, order);
    } catch (error) {
      drawResult(node, key, orderId, "Not moved: " + error.message);
      return;
    }
    done.set(key, {text: "Window of " + orderId + " moved to " + hhmm(window.window_start) + "–" +
                         hhmm(window.window_end) + ". Re-plan so the plan uses it.", next: "replan"});
    await replan(orderId, node, key);
  }

  // the result line of a fix: what its action did (and `problem`, what just went wrong), and the next step
  function drawResult(node, key, orderId, problem) {
    const state = done.get(key);
    if (!state) return;
    node.classList.toggle("error", !!problem);
    node.replaceChildren(...(problem ? [problem, " "] : []), state.text);
    if (state.next === "replan") {
      node.append(" ", el("button", {type: "button", class: "secondary fix-replan", disabled: Board.running,
                                     onclick: () => replan(orderId, node, key)},
                          "Re-plan now", el("span", {class: "sr-only", text: " for " + orderId})));
    } else if (state.next === "window") {
      node.append(" ", el("button", {type: "button", class: "secondary fix-replan", disabled: Board.running,
                                     onclick: () => moveWindow(orderId, state.window, node, key)},
                          "The customer agrees: move the window and re-plan",
                          el("span", {class: "sr-only", text: " (" + orderId + ")"})));
    }
  }

  // the fixes of one order as a list (row: {orderId, fixes, late}); "—" for a plan made before fixes
  Board.fixList = (row) => {
    const plan = Board.current && Board.current.plan;
    if (!plan || row.fixes === undefined || row.fixes === null) return "—";
    if (!row.fixes.length) {
      return el("span", {class: "muted", text: row.late ? "No single change starts it on time."
                                                        : "No single change lets it be served."});
    }
    const planId = Board.current.id;
    return el("ol", {class: "fixes", "aria-label": "Fixes for " + row.orderId + ", cheapest first"},
      ...row.fixes.map((fix, i) => {
        const key = planId + "|" + row.orderId + "|" + (row.late ? "late" : "out") + "|" + i;
        const result = el("p", {class: "fix-result", role: "status", id: "fix-" + (row.late ? "l-" : "u-") +
                                row.orderId + "-" + i});
        const action = actionOf(fix, row.orderId, plan, key);
        const item = el("li", {"data-kind": fix.kind, "data-technician": fix.technician_id},
          el("span", {class: "fix-text", text: fix.text || fix.kind}),
          el("span", {class: "fix-facts"}, factWords(fix), "; ", costWords(fix.cost_delta)));
        if (action) {
          const button = el("button", {type: "button", class: "fix-action"}, action[0],
                            el("span", {class: "sr-only", text: " (" + row.orderId + ")"}));
          button.addEventListener("click", async () => {
            if (button.disabled) return;
            button.disabled = true;
            result.classList.remove("error");
            result.replaceChildren("Working…");
            try {
              done.set(key, await action[1]());
              drawResult(result, key, row.orderId);
            } catch (error) {
              button.disabled = false;
              result.classList.add("error");
              result.replaceChildren("Not done: " + error.message);
            }
          });
          if (done.has(key)) { button.disabled = true; drawResult(result, key, row.orderId); }
          item.append(button);
        }
        item.append(result);
        return item;
      }));
  };

  Board.on("running", (on) => {
    for (const b of document.querySelectorAll("button.fix-replan")) b.disabled = on;
  });
})();
