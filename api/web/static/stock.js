"use strict";
// The storekeeper's page: alerts, moves (receive, transfer, return, count), the pick list of a plan's date,
// stock per location with thresholds, and the ledger newest first. Every move carries an Idempotency-Key kept
// until it succeeds (or the form changes), so a retried submit replays instead of moving stock twice.
(() => {
  const {api, guard, el, say, sayError, localDate} = Dispatch;
  if (!guard()) return;

  const parts = new Map();      // part id -> part
  const locations = new Map();  // location id -> location (central stores first, then vans)
  const technicians = new Map(); // technician id -> name
  let balances = new Map();     // "location|part" -> {quantity, low_stock_threshold, below_threshold}
  const KINDS = {receive: "Received", transfer: "Transfer", return: "Returned", adjust: "Count correction",
                 consume: "Used on order"};
  // a phone shows fewer movements at a time: each is a card there
  const LEDGER_PAGE = window.matchMedia("(max-width: 700px)").matches ? 25 : 100;
  let ledgerShown = 0;
  // Filters fire a load on every change: only the newest request may draw, or a slow earlier answer
  // (one filter set) would overwrite a later one (both set).
  const latestRequest = {};
  function ticket(key) {
    const n = (latestRequest[key] || 0) + 1;
    latestRequest[key] = n;
    return () => latestRequest[key] === n;
  }

  // every page of a paged list (the API gives at most 500 a page)
  async function all(path) {
    const items = [];
    for (let offset = 0; ; offset += 500) {
      const page = await api(path + (path.includes("?") ? "&" : "?") + "limit=500&offset=" + offset);
      items.push(...page.items);
      if (items.length >= page.total || !page.items.length) return items;
    }
  }

  // a client-chosen unique key; crypto.randomUUID needs a secure context, getRandomValues does not
  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return "stock-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // --- names: a part is its name with its code, a place its code (the code is what is written on the bin) ---
  function partText(id) {
    const p = parts.get(id);
    return !p || p.name === id ? id : p.name + " (" + id + ")";
  }
  function partCell(id) {
    const p = parts.get(id);
    const code = el("span", {class: "code", text: id});
    // one box, so a stacked card on a phone keeps the name beside its code
    return [!p || p.name === id ? code : el("span", {class: "part"}, code, el("span", {class: "name", text: p.name}))];
  }
  function placeCell(id) {
    if (!id) return [];
    const loc = locations.get(id);
    return [el("span", {class: "code", title: loc ? loc.name : null, text: id})];
  }
  // a code such as VAN-T001 or VLV-300 in a sentence, which a browser would otherwise break after the hyphen
  const CODE = /\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b/g;
  function keepCodes(node) {
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    const texts = [];
    while (walker.nextNode()) if (!walker.currentNode.parentElement.closest(".code")) texts.push(walker.currentNode);
    for (const text of texts) {
      const value = text.nodeValue;
      if (!value.match(CODE)) continue;
      const pieces = [];
      let last = 0;
      for (const m of value.matchAll(CODE)) {
        pieces.push(value.slice(last, m.index), el("span", {class: "code", text: m[0]}));
        last = m.index + m[0].length;
      }
      pieces.push(value.slice(last));
      // one box for the whole sentence, so a flex cell (a phone's card) keeps it on one line of flow
      text.replaceWith(el("span", {}, ...pieces.filter((p) => p !== "")));
    }
  }
  function tell(id, text, isError = false) { say(id, text, isError); keepCodes(document.getElementById(id)); }
  function tellError(id, prefix, error) { sayError(id, prefix, error); keepCodes(document.getElementById(id)); }
  const held = (location, part) => (balances.get(location + "|" + part) || {quantity: 0}).quantity;

  function when(iso) {
    const d = new Date(iso);  // the API's naive local time, read as local
    const time = iso.slice(11, 16);
    const day = localDate(d);
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (day === localDate(today)) return "Today " + time;
    if (day === localDate(yesterday)) return "Yesterday " + time;
    const opts = {weekday: "short", day: "numeric", month: "short"};
    if (d.getFullYear() !== today.getFullYear()) opts.year = "numeric";
    return d.toLocaleDateString("en-GB", opts) + " " + time;
  }
  function dayText(value) {
    return new Date(value + "T00:00:00").toLocaleDateString("en-GB", {weekday: "short", day: "numeric", month: "short"});
  }

  // --- the dropdowns ----------------------------------------------------------------------------------------
  function fillSelects() {
    const partOptions = [...parts.values()].map((p) =>
      el("option", {value: p.id, text: p.name === p.id ? p.id : p.id + " — " + p.name}));
    for (const select of document.querySelectorAll("select.part-select")) {
      const keep = select.value;
      const any = select.dataset.any ? [el("option", {value: "", text: select.dataset.any})] : [];
      select.replaceChildren(...any, ...partOptions.map((o) => o.cloneNode(true)));
      if (keep) select.value = keep;
    }
    const central = [...locations.values()].filter((l) => l.kind === "central");
    const vans = [...locations.values()].filter((l) => l.kind === "van");
    const group = (label, locs) => el("optgroup", {label},
      ...locs.map((l) => el("option", {value: l.id, text: l.id + " — " + l.name})));
    const groups = {
      "all": () => [group("Stores", central), group("Vans", vans)],
      "central-first": () => [group("Stores", central), group("Vans", vans)],
      "vans-first": () => [group("Vans", vans), group("Stores", central)],
      "van": () => [group("Vans", vans)],
      "central": () => [group("Stores", central)],
    };
    for (const select of document.querySelectorAll("select.location-select")) {
      const keep = select.value;
      const any = select.dataset.any ? [el("option", {value: "", text: select.dataset.any})] : [];
      select.replaceChildren(...any, ...groups[select.dataset.filter || "all"]().filter((g) => g.children.length));
      if (keep) select.value = keep;
    }
    const stockLocation = document.getElementById("stock-location");
    stockLocation.replaceChildren(el("option", {value: "", text: "all"}),
      ...[...central, ...vans].map((l) => el("option", {value: l.id, text: l.id + " — " + l.name})));
    document.getElementById("filter-technician").replaceChildren(el("option", {value: "", text: "any technician"}),
      ...[...technicians].map(([id, name]) => el("option", {value: id, text: id + " — " + name})));
    document.getElementById("filter-kind").replaceChildren(el("option", {value: "", text: "any kind"}),
      ...Object.entries(KINDS).map(([k, label]) => el("option", {value: k, text: label})));
  }

  // "VAN-T001 holds 4 × Gasket 8 mm (GSK-8)." under a form, for the place it takes from or counts
  function showHolds(form) {
    const node = form.querySelector(".holds");
    const part = form.elements.part_id.value;
    const loc = form.elements[node.dataset.holds].value;
    node.textContent = part && loc ? loc + " holds " + held(loc, part) + " × " + partText(part) + "." : "";
    keepCodes(node);
  }
  const actForms = () => document.querySelectorAll("form.act");

  // --- stock, alerts ----------------------------------------------------------------------------------------
  async function loadStock() {
    const current = ticket("stock");
    const [stock, alerts] = await Promise.all([all("/stock"), all("/stock/alerts")]);
    if (!current()) return;  // a later load (a move, a filter) is on its way with newer quantities
    balances = new Map(stock.map((s) => [s.location_id + "|" + s.part_id, s]));
    renderStock(stock);
    renderAlerts(alerts);
    actForms().forEach(showHolds);
  }

  function renderStock(stock) {
    const location = document.getElementById("stock-location").value;
    const onlyLow = document.getElementById("stock-low").checked;
    const rows = stock.filter((s) => (!location || s.location_id === location) && (!onlyLow || s.below_threshold));
    tell("stock-status", rows.length + (rows.length === 1 ? " line" : " lines") +
        (location ? " at " + location : " over " + new Set(stock.map((s) => s.location_id)).size + " locations") + ".");
    document.querySelector("#stock-table tbody").replaceChildren(...rows.map((s) => el("tr",
      {class: s.below_threshold ? "low" : null, "data-location": s.location_id, "data-part": s.part_id},
      el("td", {"data-label": "Location"}, ...placeCell(s.location_id)),
      el("td", {"data-label": "Part"}, ...partCell(s.part_id)),
      el("td", {class: "qty", "data-label": "Quantity", text: String(s.quantity)}),
      el("td", {"data-label": "Threshold", class: "threshold"}, el("span", {},
         el("span", {class: "value", text: s.low_stock_threshold === null ? "—" : String(s.low_stock_threshold)}),
         el("button", {type: "button", class: "secondary small", "aria-label": "Edit the threshold of " +
           partText(s.part_id) + " at " + s.location_id, text: "Edit", onclick: () => editThreshold(s)}))),
      el("td", {"data-label": "Alert", text: s.below_threshold ? "LOW" : ""}))));
  }

  function renderAlerts(alerts) {
    const places = new Set(alerts.map((a) => a.location_id)).size;
    tell("alerts-status", alerts.length ? alerts.length + (alerts.length === 1 ? " part is" : " parts are") +
        " below the threshold, at " + places + (places === 1 ? " location." : " locations.") : "");
    document.getElementById("alerts").replaceChildren(...(alerts.length ? alerts.map((a) => {
      const central = (locations.get(a.location_id) || {}).kind === "central";
      const missing = a.low_stock_threshold - a.quantity;
      return el("li", {"data-location": a.location_id, "data-part": a.part_id},
        el("span", {}, el("strong", {text: partText(a.part_id)}), " at " + a.location_id + ": " + a.quantity +
           " left (threshold " + a.low_stock_threshold + ")"),
        el("button", {type: "button", class: "secondary small",
          "aria-label": (central ? "Receive " : "Refill ") + partText(a.part_id) + " at " + a.location_id,
          text: central ? "Receive" : "Refill", onclick: () => central
            ? prefill("receive-form", {part_id: a.part_id, location_id: a.location_id, quantity: missing})
            : prefill("transfer-form", {part_id: a.part_id, from_location_id: bestStore(a.part_id),
                                        to_location_id: a.location_id, quantity: missing})}));
    }) : [el("li", {text: "No part is below its threshold."})]));
    keepCodes(document.getElementById("alerts"));
  }

  // the central store holding most of a part (where a refill comes from)
  function bestStore(part) {
    const stores = [...locations.values()].filter((l) => l.kind === "central");
    stores.sort((a, b) => held(b.id, part) - held(a.id, part) || a.id.localeCompare(b.id));
    return stores.length ? stores[0].id : "";
  }

  function prefill(formId, values) {
    const form = document.getElementById(formId);
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined && value !== "") form.elements[name].value = String(value);
    }
    forget(form);
    showHolds(form);
    form.scrollIntoView({block: "nearest"});
    const field = form.elements.quantity || form.elements.counted || form.elements.threshold;
    if (field) field.focus();
  }

  function editThreshold(s) {
    prefill("threshold-form", {location_id: s.location_id, part_id: s.part_id});
    const form = document.getElementById("threshold-form");
    form.elements.threshold.value = s.low_stock_threshold === null ? "" : String(s.low_stock_threshold);
    form.scrollIntoView({block: "nearest"});
    form.elements.threshold.focus();
  }

  // --- moving stock -----------------------------------------------------------------------------------------
  function forget(form) { delete form.dataset.key; }

  function wholeNumber(text, min) {
    const n = Number(text);
    return text.trim() !== "" && Number.isInteger(n) && n >= min ? n : null;
  }

  // the body of a move form, or a sentence saying what to fix
  function moveBody(form) {
    const f = form.elements;
    const body = {part_id: f.part_id.value};
    if (!body.part_id) return "Choose a part.";
    const missing = {location_id: "Choose the location.", from_location_id: "Choose where the parts come from.",
                     to_location_id: "Choose where the parts go."};
    for (const [name, sentence] of Object.entries(missing)) {
      if (f[name] && !f[name].value) return sentence;
    }
    if (form.id === "adjust-form") {
      const counted = wholeNumber(f.counted.value, 0);
      if (counted === null) return "Counted quantity must be a whole number of 0 or more (you gave " + (f.counted.value || "nothing") + ").";
      if (!f.reason.value.trim()) return "Give a reason for the count correction, e.g. \"stock count\".";
      const now = held(f.location_id.value, body.part_id);
      if (counted === now) return f.location_id.value + " already holds " + now + " × " + partText(body.part_id) + ": nothing to correct.";
      return Object.assign(body, {location_id: f.location_id.value, delta: counted - now, reason: f.reason.value.trim()});
    }
    const quantity = wholeNumber(f.quantity.value, 1);
    if (quantity === null) return "Quantity must be a whole number of at least 1 (you gave " + (f.quantity.value || "nothing") + ").";
    body.quantity = quantity;
    for (const name of ["location_id", "from_location_id", "to_location_id"]) {
      if (f[name]) body[name] = f[name].value;
    }
    if (body.from_location_id && body.from_location_id === body.to_location_id) {
      return "From and to are both " + body.to_location_id + ": choose another place.";
    }
    if (f.reason.value.trim()) body.reason = f.reason.value.trim();
    return body;
  }

  function done(form, body) {
    const what = partText(body.part_id);
    if (form.id === "receive-form") {
      return "Received " + body.quantity + " × " + what + " into " + body.location_id + "; it now holds " +
        held(body.location_id, body.part_id) + ".";
    }
    if (form.id === "adjust-form") {
      return "Count recorded: " + body.location_id + " now holds " + held(body.location_id, body.part_id) + " × " +
        what + " (" + (body.delta > 0 ? "+" : "−") + Math.abs(body.delta) + ").";
    }
    const verb = form.id === "return-form" ? "Returned " : "Moved ";
    return verb + body.quantity + " × " + what + " from " + body.from_location_id + " (now " +
      held(body.from_location_id, body.part_id) + ") to " + body.to_location_id + " (now " +
      held(body.to_location_id, body.part_id) + ").";
  }

  // POST a movement under an Idempotency-Key: the same key for a retry of the same request
  async function postMove(kind, body, holder) {
    if (!holder.dataset.key) holder.dataset.key = newKey();
    const result = await api("/stock/" + kind, {method: "POST", body, headers: {"Idempotency-Key": holder.dataset.key}});
    delete holder.dataset.key;  // done: the next request is a new one
    return result;
  }

  async function submitMove(form) {
    const status = form.querySelector(".act-status").id;
    const body = moveBody(form);
    if (typeof body === "string") { tell(status, body, true); return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    tell(status, "Saving…");
    try {
      await postMove(form.dataset.kind, body, form);
    } catch (error) {
      // a refusal moved nothing; a dropped connection may have: the key is kept so a retry cannot double
      tellError(status, error instanceof TypeError ? "Not sure it was saved (the connection failed); press again to retry safely: " : "", error);
      button.disabled = false;
      return;
    }
    button.disabled = false;
    await refreshAfterMove();
    tell(status, done(form, body));
  }

  async function refreshAfterMove() {
    await guarded("alerts-status", loadStock);
    await Promise.all([guarded("ledger-status", () => loadLedger(false)), guarded("pick-status", loadPicks)]);
  }

  async function submitThreshold(form) {
    const f = form.elements;
    const status = "threshold-status";
    if (!f.location_id.value || !f.part_id.value) { tell(status, "Choose a location and a part.", true); return; }
    const text = f.threshold.value.trim();
    const value = text === "" ? null : wholeNumber(text, 0);
    if (text !== "" && value === null) { tell(status, "Threshold must be a whole number of 0 or more (you gave " + text + ").", true); return; }
    const path = "/stock/thresholds/" + encodeURIComponent(f.location_id.value) + "/" + encodeURIComponent(f.part_id.value);
    try {
      const row = await api(path, {method: "PUT", body: {low_stock_threshold: value}});
      await refreshAfterMove();
      tell(status, "Threshold of " + partText(row.part_id) + " at " + row.location_id + ": " +
          (row.low_stock_threshold === null ? "none" : row.low_stock_threshold) + " (it holds " + row.quantity + ")" +
          (row.below_threshold ? " — below it: an alert is raised." : "."));
    } catch (error) {
      tellError(status, "Not saved: ", error);
    }
  }

  // --- the pick list ----------------------------------------------------------------------------------------
  const pickDate = document.getElementById("pick-date");
  function tomorrow() { const d = new Date(); d.setDate(d.getDate() + 1); return localDate(d); }

  async function loadPicks() {
    if (!pickDate.value) { tell("pick-status", "Choose a plan date.", true); return; }
    const current = ticket("picks");
    const list = await api("/stock/picklist?date=" + pickDate.value);
    if (!current()) return;
    const day = dayText(list.date);
    const short = list.vans.filter((v) => v.shortfall > 0);
    const toLoad = list.vans.filter((v) => v.to_pick > 0);
    const topUp = toLoad.length - short.length;
    const plan = (list.plan_id || "").slice(0, 8);
    const count = list.vans.length + (list.vans.length === 1 ? " van" : " vans") + ", " +
      (short.length ? short.length + " short of parts" : "all hold what their stops need") +
      (topUp ? "; " + topUp + " more to top up to their minimum after the stops." : ".");
    tell("pick-status", list.source === "published" ? "The plan published for " + day + " (" + plan + "): " + count
      : list.source === "latest" ? "No plan is published for " + day + " yet, so this is its newest finished plan (" +
        plan + "), which may still change: " + count
      : "No plan for " + day + " yet: nothing to pick. The list fills once the dispatcher makes a plan.");
    const box = document.getElementById("pick-vans");
    box.dataset.source = list.source;
    const full = list.vans.filter((v) => v.to_pick === 0);
    const children = toLoad.map(vanCard);
    if (full.length) {
      children.push(el("details", {class: "pick-full"},
        el("summary", {text: full.length + (full.length === 1 ? " van holds everything its stops need, and its minimum"
                                                              : " vans hold everything their stops need, and their minimum")}),
        el("div", {class: "pick-vans"}, ...full.map(vanCard))));
    }
    if (list.waiting.length) children.push(waitingBox(list.waiting));
    box.replaceChildren(...children);
    keepCodes(box);
  }

  // orders the plan left out because no qualified van carries their parts: load a van, then re-plan
  function waitingBox(waiting) {
    const rows = waiting.flatMap((w) => w.parts.map((need, i) => waitingRow(w, need, i)));
    return el("div", {class: "pick-waiting", id: "pick-waiting"},
      el("h3", {text: waiting.length + (waiting.length === 1 ? " order" : " orders") + " left out for want of parts"}),
      el("p", {class: "hint", text: "Load a qualified technician's van from a store, then ask the dispatcher to re-plan."}),
      el("div", {class: "table-box"}, el("table", {class: "cards"},
        el("caption", {class: "sr-only", text: "Orders the plan left out because no qualified van carries their parts"}),
        el("thead", {}, el("tr", {}, ...["Order", "Needs", "In store", "Why", "Load"].map((h) => el("th", {scope: "col", text: h})))),
        el("tbody", {}, ...rows))));
  }

  function waitingRow(w, need, i) {
    const load = need.store_location_id ? el("button", {type: "button", class: "secondary small", text: "Load a van",
      "aria-label": "Load a van with " + need.quantity + " × " + partText(need.part_id) + " for " + w.order_id,
      onclick: () => {
        prefill("transfer-form", {part_id: need.part_id, from_location_id: need.store_location_id, quantity: need.quantity});
        document.getElementById("transfer-to").focus();
      }}) : "";
    return el("tr", {"data-order": w.order_id, "data-part": need.part_id},
      el("td", {"data-label": "Order"}, i ? "" : el("span", {class: "code", text: w.order_id})),
      el("td", {"data-label": "Needs"}, el("span", {}, need.quantity + " × ", ...partCell(need.part_id))),
      el("td", {"data-label": "In store", text: need.store_location_id ? need.in_store + " at " + need.store_location_id : "none: receive some"}),
      el("td", {"data-label": "Why", text: i ? "" : w.reason}),
      el("td", {"data-label": "Load"}, load));
  }

  function vanCard(van) {
    const statusId = "pick-status-" + van.technician_id.replace(/[^A-Za-z0-9_-]/g, "_");
    const movable = van.lines.filter((l) => l.to_pick > 0 && l.in_store > 0 && van.van_location_id);
    const card = el("article", {class: "pick-van", "data-technician": van.technician_id},
      el("h3", {}, el("span", {class: "code", text: van.technician_id}), " " + van.technician_name + " · ",
         ...placeCell(van.van_location_id || "no van")),
      el("p", {class: "hint", text: van.stops + (van.stops === 1 ? " stop" : " stops") + " · " +
        (van.shortfall ? van.shortfall + (van.shortfall === 1 ? " unit" : " units") + " short" : "nothing short") +
        (van.to_pick ? " · " + van.to_pick + " to pick" : "")}));
    if (movable.length > 1) {
      card.append(el("button", {type: "button", class: "load-all", text: "Transfer all " + movable.length + " picks",
        "aria-label": "Transfer all " + movable.length + " picks to " + van.van_location_id,
        onclick: (event) => transferPicks(event.currentTarget, van, movable, statusId)}));
    }
    if (!van.lines.length) {
      card.append(el("p", {text: "No parts needed."}));
    } else {
      card.append(el("div", {class: "table-box"}, el("table", {class: "cards pick-table"},
        el("caption", {class: "sr-only", text: "Parts for " + van.technician_name + "'s stops"}),
        el("thead", {}, el("tr", {}, ...["Part", "Needed", "On van", "Short", "Minimum", "In store", "Pick"].map((h) =>
          el("th", {scope: "col", text: h})))),
        el("tbody", {}, ...van.lines.map((line) => pickRow(van, line, statusId))))));
    }
    card.append(el("p", {id: statusId, class: "act-status", role: "status", "aria-live": "polite"}));
    return card;
  }

  function pickRow(van, line, statusId) {
    let action;
    if (!line.to_pick) {
      action = el("span", {text: "enough"});
    } else if (!line.in_store || !van.van_location_id) {
      action = el("span", {class: "error", text: van.van_location_id ? "none in a store: receive some first" : "no van"});
    } else {
      const n = Math.min(line.to_pick, line.in_store);
      // the key is made with the row, so a second press or a retry of this row never moves twice
      action = el("button", {type: "button", class: "small", "data-key": newKey(),
        "aria-label": "Move " + n + " from " + line.store_location_id + " to " + van.van_location_id + ": " + partText(line.part_id),
        text: "Move " + n,  // the store is in the row; the accessible name says it all
        onclick: (event) => transferPicks(event.currentTarget, van, [line], statusId)});
    }
    return el("tr", {"data-part": line.part_id, class: line.shortfall ? "short" : null},
      el("td", {"data-label": "Part"}, ...partCell(line.part_id)),
      el("td", {"data-label": "Needed", text: String(line.needed)}),
      el("td", {"data-label": "On van", text: String(line.on_van)}),
      el("td", {"data-label": "Short", class: "shortfall", text: String(line.shortfall)}),
      el("td", {"data-label": "Minimum", text: line.minimum === null ? "—" : String(line.minimum)}),
      el("td", {"data-label": "In store", text: line.store_location_id ? line.in_store + " at " + line.store_location_id : "0"}),
      el("td", {"data-label": "Pick"}, action));
  }

  // transfer each line's pick (what the store has of it) to the van, one keyed request per line
  async function transferPicks(button, van, lines, statusId) {
    button.disabled = true;
    const moved = [];
    try {
      for (const line of lines) {
        const row = button.closest(".pick-van").querySelector('tr[data-part="' + CSS.escape(line.part_id) + '"] button');
        const holder = row || button;
        if (!holder.dataset.key) holder.dataset.key = newKey();
        const n = Math.min(line.to_pick, line.in_store);
        await api("/stock/transfers", {method: "POST", headers: {"Idempotency-Key": holder.dataset.key},
          body: {part_id: line.part_id, from_location_id: line.store_location_id, to_location_id: van.van_location_id,
                 quantity: n, reason: "pick list " + pickDate.value}});
        delete holder.dataset.key;
        moved.push(n + " × " + partText(line.part_id));
      }
    } catch (error) {
      button.disabled = false;
      tellError(statusId, (moved.length ? "Moved " + moved.join(", ") + "; then " : "Not moved: "), error);
      return;
    }
    const message = "Moved " + moved.join(", ") + " to " + van.van_location_id + ".";
    await refreshAfterMove();
    const status = document.getElementById(statusId);
    if (status) tell(statusId, message);
    // a van now holding everything is folded away with the full ones: say it where it is seen too
    if (!status || status.closest("details")) tell("pick-status", message);
  }

  // --- the ledger -------------------------------------------------------------------------------------------
  function ledgerQuery() {
    const query = new URLSearchParams({newest_first: "true"});
    for (const [name, value] of new FormData(document.getElementById("ledger-form"))) {
      if (String(value).trim()) query.set(name, String(value).trim());
    }
    return query;
  }

  async function loadLedger(more) {
    const current = ticket("ledger");
    const query = ledgerQuery();
    query.set("limit", String(LEDGER_PAGE));
    query.set("offset", String(more ? ledgerShown : 0));
    const page = await api("/stock/movements?" + query.toString());
    if (!current()) return;
    const rows = page.items.map((m) => el("tr", {"data-kind": m.kind, "data-id": String(m.id)},
      el("td", {"data-label": "When"}, el("time", {datetime: m.at, text: when(m.at)})),
      el("td", {"data-label": "Kind", text: KINDS[m.kind] || m.kind}),
      el("td", {"data-label": "Part"}, ...partCell(m.part_id)),
      el("td", {"data-label": "Qty", class: "num", text: String(m.quantity)}),
      el("td", {"data-label": "From"}, ...placeCell(m.from_location_id)),
      el("td", {"data-label": "To"}, ...placeCell(m.to_location_id)),
      el("td", {"data-label": "Order"}, m.order_id ? el("span", {class: "code", text: m.order_id}) : ""),
      el("td", {"data-label": "Technician", title: technicians.get(m.technician_id) || null},
         m.technician_id ? el("span", {class: "code", text: m.technician_id}) : ""),
      el("td", {"data-label": "Reason", text: m.reason || ""})));
    const body = document.querySelector("#ledger-table tbody");
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    ledgerShown = body.children.length;
    tell("ledger-status", page.total === 0 ? "No movement matches these filters." :
        (ledgerShown < page.total ? "The newest " + ledgerShown + " of " : "") + page.total +
        (page.total === 1 ? " movement" : " movements") + ", newest first.");
    document.getElementById("ledger-more").hidden = ledgerShown >= page.total;
  }

  // --- wiring -----------------------------------------------------------------------------------------------
  async function guarded(statusId, action) {
    try { await action(); } catch (error) { tellError(statusId, "Could not load: ", error); }
  }

  for (const form of actForms()) {
    form.addEventListener("input", () => forget(form));  // a changed request is a new request
    form.addEventListener("change", () => { forget(form); showHolds(form); });
    if (form.id === "threshold-form") {
      form.addEventListener("submit", (event) => { event.preventDefault(); submitThreshold(form); });
    } else {
      form.addEventListener("submit", (event) => { event.preventDefault(); submitMove(form); });
    }
  }
  document.getElementById("stock-location").addEventListener("change", () => guarded("stock-status", loadStock));
  document.getElementById("stock-low").addEventListener("change", () => guarded("stock-status", loadStock));
  const ledgerForm = document.getElementById("ledger-form");
  ledgerForm.addEventListener("submit", (event) => { event.preventDefault(); guarded("ledger-status", () => loadLedger(false)); });
  ledgerForm.addEventListener("change", (event) => {
    if (event.target.tagName === "SELECT") guarded("ledger-status", () => loadLedger(false));
  });
  document.getElementById("filter-clear").addEventListener("click", () => {
    ledgerForm.reset();
    guarded("ledger-status", () => loadLedger(false));
  });
  document.getElementById("ledger-more").addEventListener("click", () => guarded("ledger-status", () => loadLedger(true)));
  pickDate.value = tomorrow();
  pickDate.addEventListener("change", () => guarded("pick-status", loadPicks));
  document.getElementById("pick-today").addEventListener("click", () => { pickDate.value = localDate(); guarded("pick-status", loadPicks); });
  document.getElementById("pick-tomorrow").addEventListener("click", () => { pickDate.value = tomorrow(); guarded("pick-status", loadPicks); });

  async function start() {
    const [partList, locationList, techList] = await Promise.all([all("/parts"), all("/stock-locations"), all("/technicians")]);
    partList.forEach((p) => parts.set(p.id, p));
    locationList.forEach((l) => locations.set(l.id, l));
    techList.forEach((t) => technicians.set(t.id, t.name));
    fillSelects();
    await guarded("alerts-status", loadStock);
    await Promise.all([guarded("ledger-status", () => loadLedger(false)), guarded("pick-status", loadPicks)]);
  }
  guarded("alerts-status", start);
})();
