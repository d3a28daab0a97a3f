"use strict";
// The technician's phone page: the stops of the published plan in order, each with its state (next, on the way,
// on site, in service, done, needs another visit) from what the API records, the job, the address, directions, a
// call link, the parts to bring and those used; one-thumb steps (on my way, arrived, start work, done with the
// outcome); the day as an .ics file. The day itself, its offline copy and the outbox of taps not yet sent are
// RouteDay's (route-day.js); a service worker (/route-sw.js) keeps the page itself for opening with no network.
(() => {
  const {api, guard, localDate, localIso, hhmm} = Dispatch;
  const user = guard();
  if (!user) return;
  // the role is this page's only audience; the name alone keeps the header on one line on a phone
  const who = document.getElementById("who");
  if (who) who.textContent = user.full_name || user.username;
  const dateInput = document.getElementById("route-date");
  dateInput.value = new URLSearchParams(location.search).get("date") || localDate();
  const day = RouteDay.open(user.technician_id);
  const PRIORITY = {P1: "P1 emergency", P2: "P2 high", P3: "P3 normal", P4: "P4 low"};
  const REASON = {part_missing: "part missing", second_technician: "second technician needed",
                  customer_absent: "customer absent", other: "other"};
  const FINISHED = ["done", "unresolved"];
  const ACTIVE = ["on-site", "in-service"];  // on site: parts, score and outcome are asked
  const finished = (state) => FINISHED.includes(state);

  let scrolled = false;
  const notes = new Map();  // order id -> the last thing saved on it, said once on its card ("Recorded 1 × ...")

  // "2026-11-30" -> "Mon 30 Nov", read as a local date (not UTC midnight)
  function dayName(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(y, m - 1, d).toLocaleDateString("en-GB", {weekday: "short", day: "numeric", month: "short"});
  }
  // 45 -> "45 min", 809 -> "13 h 29 min"
  function minutes(value) {
    const m = Math.round(value);
    return m < 60 ? m + " min" : Math.floor(m / 60) + " h" + (m % 60 ? " " + (m % 60) + " min" : "");
  }
  const partsText = (parts) => parts.map((p) => p.quantity + " × " + day.partName(p.part_id)).join(", ");
  const mapsUrl = (s) => "https://www.google.com/maps/dir/?api=1&destination=" + s.lat.toFixed(6) + "%2C" + s.lon.toFixed(6);

  function status(text, kind = "") {
    const node = document.getElementById("route-status");
    node.textContent = text;
    node.className = "route-status" + (kind ? " " + kind : "");
  }
  function loadError(text) {
    const node = document.getElementById("route-error");
    node.textContent = text;
    node.hidden = !text;
  }

  // a brief history of each stop's customer (earlier visits, the last outcome, the score, open complaints):
  // asked once per customer when its card comes into view, kept on the phone; offline the copy kept is shown,
  // or nothing, and a failed ask waits for the next Refresh (never a loop of retries)
  const HISTORY = "dispatch.history." + user.technician_id + ".";
  const histories = new Map();  // customer id -> promise of {data, at} or null
  const unanswered = new Set();  // customers whose history could not be read: asked again on Refresh
  const OUTCOME = {fixed: "fixed", solved: "solved", unresolved: "needs another visit", open: "not finished"};

  function keptHistory(customerId) {
    try { return JSON.parse(localStorage.getItem(HISTORY + customerId) || "null"); } catch (_) { return null; }
  }
  function keepHistory(customerId, entry) {
    try {
      localStorage.setItem(HISTORY + customerId, JSON.stringify(entry));
      // copies older than a week are of no use on the road
      const oldest = RouteDay.shift(localDate(), -7);
      for (const key of Object.keys(localStorage)) {
        if (!key.startsWith(HISTORY)) continue;
        const kept = keptHistory(key.slice(HISTORY.length));
        if (!kept || String(kept.at).slice(0, 10) < oldest) localStorage.removeItem(key);
      }
    } catch (_) { /* a full storage keeps no copy: the line still shows online */ }
  }

  function historyOf(customerId) {
    if (!histories.has(customerId)) {
      const ask = navigator.onLine === false ? Promise.reject(Object.assign(new Error("offline"), {status: undefined}))
        : api("/customers/" + encodeURIComponent(customerId) + "/history", {noRedirect: true});
      histories.set(customerId, ask.then((data) => {
        const entry = {data, at: localIso()};
        keepHistory(customerId, entry);
        return entry;
      }, () => {
        unanswered.add(customerId);
        return keptHistory(customerId);
      }));
    }
    return histories.get(customerId);
  }

  const shortDay = (iso) => {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(y, m - 1, d).toLocaleDateString("en-GB", {day: "numeric", month: "short"});
  };

  // "3 earlier visits · last 12 Nov (fixed) · average score 4.3 · 1 open complaint", counted before the route's day
  function historyLine(h, date) {
    const visits = h.orders.flatMap((o) => o.visits.map((v) => Object.assign({order_id: o.order_id}, v)));
    const since = visits.filter((v) => v.date >= date).length;  // the newest orders come first: all are listed
    const earlier = Math.max(0, h.summary.visits - since);
    const past = visits.filter((v) => v.date < date).sort((a, b) => b.date.localeCompare(a.date));
    const parts = [earlier ? earlier + (earlier === 1 ? " earlier visit" : " earlier visits") : "First visit to this customer"];
    if (past.length) parts.push("last " + shortDay(past[0].date) + " (" + (OUTCOME[past[0].outcome] || past[0].outcome) + ")");
    if (h.summary.average_score !== null && h.summary.average_score !== undefined) {
      parts.push("average score " + h.summary.average_score.toFixed(1));
    }
    const open = h.summary.open_complaints;
    if (open) parts.push(open + (open === 1 ? " open complaint" : " open complaints"));
    return {text: parts.join(" · "), past: past.slice(0, 5)};
  }

  function showHistory(li, stop, entry, date) {
    const box = li.querySelector(".history");
    if (!entry || !entry.data) { box.hidden = true; return; }
    const {text, past} = historyLine(entry.data, date);
    if (!past.length) {
      box.replaceChildren(Object.assign(document.createElement("p"), {textContent: text}));
    } else {
      const details = document.createElement("details");
      const summary = Object.assign(document.createElement("summary"), {textContent: text});
      summary.setAttribute("aria-label", "History of " + stop.customer_name + ": " + text);
      const list = document.createElement("ul");
      for (const v of past) {
        const bits = [shortDay(v.date), OUTCOME[v.outcome] || v.outcome, "order " + v.order_id];
        if (v.reason) bits.push(REASON[v.reason] || v.reason);
        if (v.score) bits.push("score " + v.score);
        if (v.notes) bits.push(v.notes);
        list.append(Object.assign(document.createElement("li"), {textContent: bits.join(" · ")}));
      }
      details.append(summary, list);
      box.replaceChildren(details);
    }
    box.hidden = false;
  }

  // asked when the card first comes into view (all at once where the browser cannot tell)
  const seen = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      seen.unobserve(entry.target);
      entry.target.dispatchEvent(new Event("history-wanted"));
    }
  }, {rootMargin: "200px"}) : null;

  function wantHistory(li, stop) {
    const box = document.createElement("div");
    box.className = "history";
    box.hidden = true;
    li.querySelector(".address").after(box);
    if (!stop.customer_id) return;
    // the card's own route date: the answer may come while another load of the day is under way
    const date = day.route.date;
    li.addEventListener("history-wanted", () => {
      historyOf(stop.customer_id).then((entry) => { if (li.isConnected) showHistory(li, stop, entry, date); });
    }, {once: true});
    if (seen) seen.observe(li); else li.dispatchEvent(new Event("history-wanted"));
  }

  let loads = 0;  // a later load (another day chosen meanwhile) wins over an earlier one still under way
  async function load() {
    const date = dateInput.value;
    const mine = ++loads;
    for (const customerId of unanswered) histories.delete(customerId);  // Refresh asks again what failed
    unanswered.clear();
    document.getElementById("route-heading").textContent = "Route for " + dayName(date);
    loadError("");
    status("Loading…");
    let fresh = false;
    try {
      const raw = await day.fetchDay(date);
      if (mine !== loads) return;
      day.adopt(raw, true);
      day.save();
      status(waitingText());
      fresh = true;
    } catch (error) {
      if (mine !== loads) return;
      if (error.status === 404 && /no plan is published/.test(error.message)) {
        day.clear();
        render();
        status("Your route for " + dayName(date) + " isn't ready yet. Your dispatcher has not sent it: " +
               "tap Refresh later.", "waiting");
        return;
      }
      const cached = day.cached(date);
      if (cached && (error.status === undefined || error.status >= 500)) {
        day.adopt(cached.raw);
        status("Offline: showing your route as loaded at " + hhmm(cached.at) + ". Your taps are kept on this " +
               "phone and sent when you are back online." + (day.waiting() ? " " + waitingText() : ""), "offline");
      } else {
        day.clear();
        render();
        status("");
        loadError(error.status === undefined
          ? "Could not load your route: no connection. Check your signal and tap Refresh."
          : "Could not load your route: " + error.message);
        return;
      }
    }
    render();
    if (fresh && day.waiting()) sync();  // the API answers again: taps kept on the phone from before go out now
  }

  function waitingText() {
    const n = day.waiting();
    return n ? n + (n === 1 ? " tap waits" : " taps wait") + " to be sent." : "";
  }

  // a send the network dropped while the phone believes it is online (a lost answer, a dead spot) is tried
  // again after a pause that grows, 2 s up to a minute; the same keys make a repeat harmless
  let retryIn = 0;
  let retryTimer = null;
  function retryLater() {
    if (retryTimer) return;
    retryIn = Math.min(retryIn ? retryIn * 2 : 2000, 60000);
    retryTimer = setTimeout(() => { retryTimer = null; if (day.route) sync(); }, retryIn);
  }

  // the outbox sent (on a tap, on load, when the network returns); refusals said on their stops' cards
  async function sync() {
    const result = await day.flush();
    if (result.offline && navigator.onLine !== false) retryLater(); else if (!result.error) retryIn = 0;
    if (!day.route) return result;
    if (result.refused.length) {
      // the phone's copy went further than the API: read the day again (its visits, the van, the parts)
      try { day.adopt(await day.fetchDay(day.route.date), true); day.save(); } catch (_) { /* said below */ }
    } else if (result.sent) {
      try { await day.catchUp(); } catch (_) { /* the next sync catches up */ }
    }
    render();
    for (const {action, error} of result.refused) {
      const stop = day.route.stops.find((s) => s.order_id === action.order_id);
      const li = stop && document.getElementById("stop-" + stop.order_id);
      if (li) sayOn(li, plain(error, stop));
    }
    if (result.waiting && navigator.onLine === false) {
      status("Offline: " + waitingText() + " They are kept on this phone and sent when you are back online.", "offline");
    } else if (result.waiting) {
      status("No answer from the server: " + waitingText() + " They are kept on this phone and sent again shortly.",
             "offline");
    } else if (result.sent && /^(Offline|No answer)/.test(document.getElementById("route-status").textContent)) {
      status("Back online: your taps are saved.", "changed");
    }
    return result;
  }

  function sayOn(li, text) {
    const error = li.querySelector(".stop-error");
    error.textContent = text;
    error.hidden = !text;
  }

  // what the API's refusal means for the person holding the phone
  function plain(error, stop) {
    const visit = day.visit(stop.order_id);
    if (error.status === undefined) return "Not saved: no connection. Check your signal and tap again.";
    const stock = (error.items || []).find((x) => "have" in x && "asked" in x);
    if (stock) {
      return "Not enough in your van: it holds " + stock.have + " × " + day.partName(stock.part_id) +
             ", you asked for " + stock.asked + ". Nothing was recorded.";
    }
    if (/before the start of service/.test(error.message)) {
      return visit && visit.done_at ? "That stop is already done."
        : "The finish time is before the arrival time: check the time on your phone.";
    }
    if (/already recorded/.test(error.message)) return "This stop was already recorded on another phone; the card now shows what was saved.";
    if (/is still at order/.test(error.message)) return "You are still on site at another stop: tap Done there first.";
    if (/absent since/.test(error.message)) return "You are marked absent for the rest of the day: call your dispatcher.";
    if (/not on your published route/.test(error.message)) return "This stop is no longer on your route: the plan was changed. Tap Refresh.";
    return "Not saved: " + error.message;
  }

  function setText(li, selector, text) {
    const node = li.querySelector(selector);
    node.textContent = text || "";
    node.hidden = !text;
  }

  function partOptions(stop) {
    // this stop's parts first, then the rest of the van; each with what the van holds
    const ids = [...new Set(stop.parts.map((p) => p.part_id).concat(day.vanParts()))];
    return ids.map((id) => {
      const have = day.inVan(id);
      return Object.assign(document.createElement("option"),
                           {value: id, text: day.partName(id) + (have ? " (" + have + " in van)" : " (none in van)")});
    });
  }

  const BADGE = {done: "✓ Done", unresolved: "Another visit", "en-route": "On my way", "on-site": "On site",
                 "in-service": "In service"};

  function stateText(state, stop) {
    const visit = day.visit(stop.order_id);
    const score = visit && visit.customer_score ? " · customer score " + visit.customer_score : "";
    if (state === "done") return "Done at " + hhmm(visit.done_at) + score;
    if (state === "unresolved") {
      return "Needs another visit" + (visit.reason ? " (" + (REASON[visit.reason] || visit.reason) + ")" : "") +
             ", finished at " + hhmm(visit.done_at) + score;
    }
    if (state === "in-service") return "Work started at " + hhmm(visit.started_at);
    if (state === "on-site") return "Arrived at " + hhmm(visit.arrived_at);
    if (state === "en-route") return "On the way since " + hhmm(day.departedAt(stop.order_id));
    return "Not started.";
  }

  function fill(li, stop, isNext) {
    const state = day.state(stop.order_id);
    const visit = day.visit(stop.order_id);
    const used = day.used(stop.order_id);
    const done = finished(state);
    const active = ACTIVE.includes(state);
    const open = li.querySelector(".toggle").getAttribute("aria-expanded") === "true";
    li.className = "stop card " + state + (done ? " finished" : "") + (isNext ? " next" : "") + (open && done ? " open" : "");
    li.dataset.state = isNext && state === "todo" ? "next" : state;
    const badge = li.querySelector(".state-badge");
    badge.textContent = BADGE[state] || (isNext ? "Next" : "");
    badge.hidden = !badge.textContent;
    const text = stateText(state, stop);
    const note = notes.get(stop.order_id);
    const waiting = day.waiting(stop.order_id) ? " · waiting to be sent" : "";
    li.querySelector(".visit-state").textContent = text + (note && !done ? " · " + note : "") + waiting;
    setText(li, ".used", used.length ? "Used: " + partsText(used) : "");
    // a done stop collapses to one line and locks; its details open on request, read-only
    const summary = li.querySelector(".summary");
    const toggle = li.querySelector(".toggle");
    const body = li.querySelector(".stop-body");
    summary.hidden = toggle.hidden = !done;
    // the error stays in sight: beside the buttons, or under the summary of a folded card
    const error = li.querySelector(".stop-error");
    if (done) li.querySelector(".fold").after(error); else li.querySelector(".part-form").after(error);
    if (done) {
      summary.textContent = text + (used.length ? " · used " + partsText(used) : "") + waiting;
      body.hidden = toggle.getAttribute("aria-expanded") !== "true";
    } else {
      body.hidden = false;
    }
    // the steps in order: each button is live while its step can still come
    li.querySelector(".departed").disabled = state !== "todo";
    li.querySelector(".arrived").disabled = !["todo", "en-route"].includes(state);
    li.querySelector(".started").disabled = state !== "on-site";
    li.querySelector(".done").disabled = !active;
    for (const selector of [".record", ".part", ".qty"]) li.querySelector(selector).disabled = !active;
    const score = li.querySelector(".score");
    score.disabled = done;
    if (visit && visit.customer_score) score.value = String(visit.customer_score);
    const outcome = li.querySelector(".outcome");
    for (const control of outcome.querySelectorAll("input, select, textarea")) control.disabled = done;
    if (done) {
      li.querySelector(state === "done" ? ".fixed" : ".again").checked = true;
      if (visit.reason) li.querySelector(".reason").value = visit.reason;
      if (visit.notes) li.querySelector(".note").value = visit.notes;
    }
    li.querySelector(".reason-label").hidden = !li.querySelector(".again").checked;
    // what cannot apply yet stays out of the way: the score, outcome and parts once on site, the parts form not after
    li.querySelector(".score-row").hidden = !active && !done;
    outcome.hidden = !active && !done;
    li.querySelector(".part-form").hidden = !active;
    li.querySelector(".visit-state").hidden = done;  // the summary says it
    setText(li, ".hint", ["todo", "en-route"].includes(state)
      ? (isNext ? (state === "todo" ? "Tap On my way as you set off. " : "") +
                  "Tap Arrived when you get there; then record parts and tap Done." : "")
      : active ? "Record the parts you use, ask for a score, choose the outcome, then tap Done."
        : "This stop is finished and locked.");
  }

  function card(stop, template) {
    const li = template.content.firstElementChild.cloneNode(true);
    const id = "stop-" + stop.order_id;
    li.id = id;
    li.dataset.order = stop.order_id;
    li.setAttribute("aria-labelledby", id + "-title");
    const title = li.querySelector(".stop-title");
    title.id = id + "-title";
    title.textContent = stop.seq + ". " + stop.customer_name;
    const appointment = stop.window_start ? " · appointment " + hhmm(stop.window_start) + "–" + hhmm(stop.window_end) : "";
    const when = li.querySelector(".when");
    when.append("ETA " + hhmm(stop.eta) + " · " + minutes(stop.duration_min) + appointment + " · ");
    when.append(Object.assign(document.createElement("span"), {className: "priority " + stop.priority,
                                                               textContent: PRIORITY[stop.priority] || stop.priority}));
    if (stop.late_minutes > 0) {
      when.append(" · ", Object.assign(document.createElement("span"), {className: "late",
                                                                        textContent: minutes(stop.late_minutes) + " over deadline"}));
    }
    when.append(" · order " + stop.order_id);
    li.querySelector(".address").textContent = stop.address || ("No street address: " + stop.lat.toFixed(5) + ", " + stop.lon.toFixed(5));
    wantHistory(li, stop);
    setText(li, ".job", stop.notes ? "Job: " + stop.notes : "");
    const words = (stop.skill_words && stop.skill_words.length) ? stop.skill_words : stop.required_skills;
    setText(li, ".needs", words.length ? "Needs: " + words.join(", ") : "");
    // a crew job: who else comes, and whose van gives the parts
    const others = (stop.crew || []).filter((m) => m.technician_id !== (day.route && day.route.technician_id));
    const leader = (stop.crew || []).find((m) => m.lead);
    setText(li, ".crew", others.length ? "Crew job with: " + others.map((m) => m.name + (m.lead ? " (lead)" : "")).join(", ") : "");
    const maps = li.querySelector(".maps");
    maps.href = mapsUrl(stop);
    maps.setAttribute("aria-label", "Directions to stop " + stop.seq + ", " + stop.customer_name);
    const call = li.querySelector(".call");
    if (stop.phone) {
      call.href = "tel:" + stop.phone.replace(/[^+\d]/g, "");
      call.textContent = "Call " + stop.phone;
      call.setAttribute("aria-label", "Call " + stop.phone + ", " + stop.customer_name);
    } else {
      call.remove();
    }
    const bring = stop.lead === false && leader ? "Parts (" + leader.name + " brings them): " : "Bring: ";
    li.querySelector(".parts").textContent = stop.parts.length ? bring + partsText(stop.parts) : "No parts to bring.";
    li.querySelector(".score").id = id + "-score";
    for (const radio of li.querySelectorAll(".outcome input[type=radio]")) radio.name = id + "-outcome";
    li.querySelector(".part").replaceChildren(...partOptions(stop));
    wire(li, stop);
    return li;
  }

  // the tapped button may now be disabled or folded away: the focus moves on to what comes next, so a
  // keyboard or screen-reader user is not dropped at the top of the page; a finished stop brings the next one up
  function followOn(li, stop, button) {
    if (!button.disabled && button.offsetParent !== null) return;  // still there (Record part): stay on it
    const state = day.state(stop.order_id);
    if (ACTIVE.includes(state)) {
      li.querySelector(".done").focus({preventScroll: true});
      return;
    }
    if (state === "en-route") {
      li.querySelector(".arrived").focus({preventScroll: true});
      return;
    }
    const next = document.querySelector("#stops > li.next");
    if (next && next !== li) {
      next.scrollIntoView({block: "start"});
      next.querySelector(".arrived:not(:disabled), .done:not(:disabled)")?.focus({preventScroll: true});
    } else {
      li.querySelector(".toggle").focus({preventScroll: true});
    }
  }

  function wire(li, stop) {
    const score = li.querySelector(".score");
    // one tap, one action: kept on the phone with its own key and shown at once, then sent (now, or when the
    // network returns); the card moves on without waiting for the answer
    const act = (button, work, after = () => {}) => async () => {
      if (button.disabled) return;
      button.disabled = true;
      sayOn(li, "");
      work();
      render();
      followOn(li, stop, button);
      await sync();
      after();
    };
    for (const [selector, event] of [[".departed", "departed"], [".arrived", "arrived"], [".started", "started"]]) {
      const button = li.querySelector(selector);
      button.addEventListener("click", act(button, () => day.report(stop.order_id, event)));
    }
    const again = li.querySelector(".again");
    for (const radio of li.querySelectorAll(".outcome input[type=radio]")) {
      radio.addEventListener("change", () => { li.querySelector(".reason-label").hidden = !again.checked; });
    }
    const done = li.querySelector(".done");
    done.addEventListener("click", act(done, () => {
      const fields = {};
      if (score.value) fields.customer_score = Number(score.value);
      const note = li.querySelector(".note").value.trim();
      if (note) fields.note = note;
      if (again.checked) fields.reason = li.querySelector(".reason").value;
      day.report(stop.order_id, again.checked ? "unresolved" : "done", fields);
    }));
    const toggle = li.querySelector(".toggle");
    toggle.setAttribute("aria-label", "Show details of stop " + stop.seq + ", " + stop.customer_name);
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Hide details" : "Show details";
      toggle.setAttribute("aria-label", toggle.textContent + " of stop " + stop.seq + ", " + stop.customer_name);
      li.classList.toggle("open", open);
      li.querySelector(".stop-body").hidden = !open;
    });
    const form = li.querySelector(".part-form");
    const record = li.querySelector(".record");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const picker = li.querySelector(".part");
      const partId = picker.value;
      act(record, () => {
        const quantity = Number(li.querySelector(".qty").value);
        day.usePart(stop.order_id, partId, quantity);
        notes.set(stop.order_id, "recorded " + quantity + " × " + day.partName(partId));
      }, () => {
        // what the van holds now, once the API has said whether the parts left it
        picker.replaceChildren(...partOptions(stop));
        picker.value = partId;
        if (!picker.value && picker.options.length) picker.selectedIndex = 0;
        if (li.querySelector(".stop-error").textContent) {
          notes.delete(stop.order_id);  // refused: nothing was recorded
          render();
        } else {
          li.querySelector(".qty").value = "1";
        }
      })();
    });
  }

  // what the dispatcher changed since the last version of the route (a re-plan, an emergency inserted)
  function changeText(change, route) {
    const stop = route.stops.find((s) => s.order_id === change.order_id);
    const mine = change.to_technician === user.technician_id;
    const shiftBy = change.eta_shift_minutes ? Math.round(change.eta_shift_minutes) : 0;
    if (change.change === "added" || (change.change === "reassigned" && mine)) {
      return change.order_id + " added" + (stop ? " at " + hhmm(stop.eta) : "");
    }
    if (change.change === "reassigned") return change.order_id + " moved to " + (change.to_technician || "another technician");
    if (change.change === "shifted") {
      return change.order_id + " " + (shiftBy >= 0 ? "later" : "earlier") + " by " + minutes(Math.abs(shiftBy)) +
             (stop ? " (now " + hhmm(stop.eta) + ")" : "");
    }
    if (change.change === "dropped") return change.order_id + " taken off your route";
    if (change.change === "cancelled") return change.order_id + " cancelled by the customer";
    return change.order_id + " " + change.change;
  }

  function renderChanges(route) {
    const node = document.getElementById("route-changes");
    const changes = route && route.version > 1 && Array.isArray(route.changes) ? route.changes : [];
    node.textContent = changes.length
      ? "Route updated (version " + route.version + "): " + changes.map((c) => changeText(c, route)).join(", ") + "."
      : "";
    node.hidden = !changes.length;
  }

  function render() {
    const list = document.getElementById("stops");
    const progress = document.getElementById("progress");
    const bar = document.getElementById("progress-bar");
    const route = day.route;
    renderChanges(route);
    document.getElementById("ics").disabled = !route || !route.stops.length;
    if (!route) {
      list.replaceChildren();
      progress.hidden = bar.hidden = true;
      return;
    }
    const stops = route.stops;
    const doneCount = stops.filter((s) => finished(day.state(s.order_id))).length;
    // the stop in hand: the one on site (or on the way to), else the first not started
    const next = stops.find((s) => ACTIVE.includes(day.state(s.order_id))) ||
      stops.find((s) => day.state(s.order_id) === "en-route") || stops.find((s) => day.state(s.order_id) === "todo");
    if (!stops.length) {
      progress.hidden = bar.hidden = true;
      list.replaceChildren();
      status("No stops for you on " + dayName(route.date) + ".", "waiting");
      return;
    }
    progress.hidden = bar.hidden = false;
    const hand = next && day.state(next.order_id);
    progress.textContent = doneCount + "/" + stops.length + " done" +
      (!next ? " · all stops finished" : ACTIVE.includes(hand) ? " · on site: " + next.customer_name
        : hand === "en-route" ? " · on the way to: " + next.customer_name
          : " · next: " + next.customer_name + " at " + hhmm(next.eta));
    bar.firstElementChild.style.width = Math.round(100 * doneCount / stops.length) + "%";
    // keep cards (and what is typed in them) across re-renders of the same route
    const template = document.getElementById("stop-template");
    const cards = stops.map((s) => {
      const existing = document.getElementById("stop-" + s.order_id);
      const li = existing && existing.parentNode === list && existing.dataset.route === route.plan_id + route.date
        ? existing : card(s, template);
      li.dataset.route = route.plan_id + route.date;
      fill(li, s, next && s.order_id === next.order_id);
      return li;
    });
    // moving a card that holds the focus would drop it: only reorder when the order changed
    if (cards.length !== list.children.length || cards.some((li, i) => list.children[i] !== li)) list.replaceChildren(...cards);
    if (!scrolled && next && next.seq > 1) {
      document.getElementById("stop-" + next.order_id).scrollIntoView({block: "start"});
    }
    scrolled = true;
  }

  // the calendar file needs the bearer token, so it is fetched and handed to the browser as a download
  document.getElementById("ics").addEventListener("click", async () => {
    loadError("");
    try {
      const response = await api("/me/route.ics?date=" + dateInput.value, {raw: true});
      const url = URL.createObjectURL(await response.blob());
      const a = Object.assign(document.createElement("a"), {href: url, download: "route-" + dateInput.value + ".ics"});
      document.body.append(a);
      a.click();
      a.remove();
      // a busy phone may start reading the file seconds later: revoking sooner can break the download
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      loadError(error.status === 404 ? "There is no calendar yet: your route for " + dayName(dateInput.value) +
                " isn't ready." : "Could not download the calendar: " + (error.status === undefined ? "no connection." : error.message));
    }
  });
  // a route the dispatcher publishes (again) reaches the phone when the technician comes back to the page, or
  // within five minutes while it stays open
  async function checkForChanges() {
    if (document.hidden) return;
    const date = dateInput.value;
    let route;
    try { route = await api("/me/route?date=" + date); } catch (_) { return; }  // offline or still no route
    const shown = day.route;
    if (date !== dateInput.value || (shown && route.plan_id === shown.plan_id && shown.date === route.date)) return;
    const before = shown ? shown.stops.map((s) => s.order_id).join() : null;
    await load();
    if (!day.route || day.route.plan_id !== route.plan_id) return;
    const same = before === day.route.stops.map((s) => s.order_id).join();
    status((before === null ? "Your route has arrived" : "Your dispatcher sent a new route") + " at " + hhmm(localIso()) +
           (before === null ? "." : same ? ": your stops are the same." : ": check your stops."), "changed");
  }
  document.addEventListener("visibilitychange", checkForChanges);
  // taps kept while offline go out as soon as the network is back
  window.addEventListener("online", () => { if (day.route) sync(); });
  // the page itself, its scripts and styles kept for opening with no network
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/route-sw.js", {scope: "/route"}).catch(() => { /* the page works without */ });
  }
  // signing out leaves no copy of the route the service worker kept
  document.getElementById("logout")?.addEventListener("click", () => {
    if (window.caches) caches.delete("dispatch-route-data");
  });
  setInterval(checkForChanges, 5 * 60 * 1000);
  document.getElementById("refresh").addEventListener("click", load);
  dateInput.addEventListener("change", () => { scrolled = false; load(); });
  load();
})();
