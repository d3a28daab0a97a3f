"use strict";
// The technician's phone page: the stops of the published plan in order, each with its state (next, on site,
// done) from the visits the API records, the job, the address, directions, a call link, the parts to bring and
// those used; the day as an .ics file. The day itself (and its offline copy) is RouteDay's (route-day.js).
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

  let loads = 0;  // a later load (another day chosen meanwhile) wins over an earlier one still under way
  async function load() {
    const date = dateInput.value;
    const mine = ++loads;
    document.getElementById("route-heading").textContent = "Route for " + dayName(date);
    loadError("");
    status("Loading…");
    try {
      const raw = await day.fetchDay(date);
      if (mine !== loads) return;
      day.adopt(raw);
      day.save();
      status("");
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
        status("Offline: showing your route as loaded at " + hhmm(cached.at) + ". Taps are not saved until you " +
               "are back online.", "offline");
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

  function fill(li, stop, isNext) {
    const state = day.state(stop.order_id);
    const visit = day.visit(stop.order_id);
    const used = day.used(stop.order_id);
    const open = li.querySelector(".toggle").getAttribute("aria-expanded") === "true";
    li.className = "stop card " + state + (isNext ? " next" : "") + (open && state === "done" ? " open" : "");
    li.dataset.state = isNext && state === "todo" ? "next" : state;
    const badge = li.querySelector(".state-badge");
    badge.textContent = state === "done" ? "✓ Done" : isNext ? (state === "on-site" ? "On site" : "Next")
      : state === "on-site" ? "On site" : "";
    badge.hidden = !badge.textContent;
    const stateText = state === "done"
      ? "Done at " + hhmm(visit.done_at) + (visit.customer_score ? " · customer score " + visit.customer_score : "")
      : state === "on-site" ? "Arrived at " + hhmm(visit.arrived_at) : "Not started.";
    const note = notes.get(stop.order_id);
    li.querySelector(".visit-state").textContent = stateText + (note && state !== "done" ? " · " + note : "");
    setText(li, ".used", used.length ? "Used: " + partsText(used) : "");
    // a done stop collapses to one line and locks; its details open on request, read-only
    const summary = li.querySelector(".summary");
    const toggle = li.querySelector(".toggle");
    const body = li.querySelector(".stop-body");
    summary.hidden = toggle.hidden = state !== "done";
    // the error stays in sight: beside the buttons, or under the summary of a folded card
    const error = li.querySelector(".stop-error");
    if (state === "done") li.querySelector(".fold").after(error); else li.querySelector(".part-form").after(error);
    if (state === "done") {
      summary.textContent = stateText + (used.length ? " · used " + partsText(used) : "");
      body.hidden = toggle.getAttribute("aria-expanded") !== "true";
    } else {
      body.hidden = false;
    }
    const arrived = li.querySelector(".arrived");
    arrived.disabled = state !== "todo";
    li.querySelector(".done").disabled = state !== "on-site";
    li.querySelector(".record").disabled = state !== "on-site";
    li.querySelector(".part").disabled = state !== "on-site";
    li.querySelector(".qty").disabled = state !== "on-site";
    const score = li.querySelector(".score");
    score.disabled = state === "done";
    if (visit && visit.customer_score) score.value = String(visit.customer_score);
    // what cannot apply yet stays out of the way: the score and the parts once on site, the parts form not after
    li.querySelector(".score-row").hidden = state === "todo";
    li.querySelector(".part-form").hidden = state !== "on-site";
    li.querySelector(".visit-state").hidden = state === "done";  // the summary says it
    setText(li, ".hint", state === "todo" ? (isNext ? "Tap Arrived when you get there; then record parts and tap Done." : "")
      : state === "on-site" ? "Record the parts you use, ask for a score, then tap Done." : "This stop is finished and locked.");
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
    setText(li, ".job", stop.notes ? "Job: " + stop.notes : "");
    const words = (stop.skill_words && stop.skill_words.length) ? stop.skill_words : stop.required_skills;
    setText(li, ".needs", words.length ? "Needs: " + words.join(", ") : "");
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
    li.querySelector(".parts").textContent = stop.parts.length ? "Bring: " + partsText(stop.parts) : "No parts to bring.";
    li.querySelector(".score").id = id + "-score";
    li.querySelector(".part").replaceChildren(...partOptions(stop));
    wire(li, stop);
    return li;
  }

  // the tapped button may now be disabled or folded away: the focus moves on to what comes next, so a
  // keyboard or screen-reader user is not dropped at the top of the page; a finished stop brings the next one up
  function followOn(li, stop, button) {
    if (!button.disabled && button.offsetParent !== null) return;  // still there (Record part): stay on it
    if (day.state(stop.order_id) === "on-site") {
      li.querySelector(".done").focus({preventScroll: true});
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
    const error = li.querySelector(".stop-error");
    const say = (text) => { error.textContent = text; error.hidden = !text; };
    const score = li.querySelector(".score");
    // one tap, one request: the button stays disabled until the answer is in
    const act = (button, work) => async () => {
      if (button.disabled) return;
      button.disabled = true;
      say("");
      let saved = false;
      try { await work(); saved = true; }
      catch (e) {
        if (e.status === 409 && /already recorded/.test(e.message)) await day.catchUp();
        say(plain(e, stop));
      }
      render();
      if (saved) followOn(li, stop, button);
    };
    const arrived = li.querySelector(".arrived");
    arrived.addEventListener("click", act(arrived, () => day.saveVisit(stop.order_id, {arrived_at: localIso()})));
    const done = li.querySelector(".done");
    done.addEventListener("click", act(done, () => {
      const fields = {done_at: localIso()};
      if (score.value) fields.customer_score = Number(score.value);
      return day.saveVisit(stop.order_id, fields);
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
      act(record, async () => {
        const partId = li.querySelector(".part").value;
        const quantity = Number(li.querySelector(".qty").value);
        await day.usePart(stop.order_id, partId, quantity);
        notes.set(stop.order_id, "recorded " + quantity + " × " + day.partName(partId));
        li.querySelector(".part").replaceChildren(...partOptions(stop));
        li.querySelector(".part").value = partId;
        li.querySelector(".qty").value = "1";
      })();
    });
  }

  function render() {
    const list = document.getElementById("stops");
    const progress = document.getElementById("progress");
    const bar = document.getElementById("progress-bar");
    const route = day.route;
    document.getElementById("ics").disabled = !route || !route.stops.length;
    if (!route) {
      list.replaceChildren();
      progress.hidden = bar.hidden = true;
      return;
    }
    const stops = route.stops;
    const doneCount = stops.filter((s) => day.state(s.order_id) === "done").length;
    // the stop in hand: the one on site, else the first not started
    const next = stops.find((s) => day.state(s.order_id) === "on-site") || stops.find((s) => day.state(s.order_id) === "todo");
    if (!stops.length) {
      progress.hidden = bar.hidden = true;
      list.replaceChildren();
      status("No stops for you on " + dayName(route.date) + ".", "waiting");
      return;
    }
    progress.hidden = bar.hidden = false;
    progress.textContent = doneCount + "/" + stops.length + " done" +
      (!next ? " · all stops finished" : day.state(next.order_id) === "on-site" ? " · on site: " + next.customer_name
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
      setTimeout(() => URL.revokeObjectURL(url), 1000);
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
  setInterval(checkForChanges, 5 * 60 * 1000);
  document.getElementById("refresh").addEventListener("click", load);
  dateInput.addEventListener("change", () => { scrolled = false; load(); });
  load();
})();
