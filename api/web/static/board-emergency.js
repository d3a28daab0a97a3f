"use strict";
// An emergency: the dispatcher enters the order (POST /orders), sees the best places for it in the plan on
// screen as the day stands (GET /plans/{id}/recommend) and assigns it to one (POST /plans/{id}/assign: a new
// plan, shown and ready to publish) or asks for a re-plan of the day from now instead.
(() => {
  const {api, el, hhmm, duration, say, sayError} = Dispatch;
  const openButton = document.getElementById("emergency");
  const dialog = document.getElementById("emergency-dialog");
  const form = document.getElementById("emergency-form");
  const results = document.getElementById("em-results");
  const field = (id) => document.getElementById("em-" + id);
  const ID = /^[A-Za-z0-9_.:-]{1,64}$/;

  let created = null;  // the OrderRead of the emergency created by this form (a retry does not create it twice)
  let planId = null;  // the plan the recommendations were asked of
  let moment = null;  // the moment of the day they were made at (the assignment is made at the same)
  let autoPlace = true;  // the place still follows the customer's (not typed or picked)

  // a plan of several days takes no emergency: recommendations and assignments work on one day
  function canUse() {
    const c = Board.current;
    return !!c && c.status === "done" && !Board.running && !(c.plan && c.plan.dates && c.plan.dates.length > 1);
  }
  function update() { openButton.disabled = !canUse(); }
  Board.on("running", update);
  Board.on("plan", update);
  Board.on("clear", update);

  function nameOf(id) {
    const t = Board.technicians.find((x) => x.id === id);
    return t ? t.name : id;
  }
  function techName(id) { return nameOf(id) === id ? id : nameOf(id) + " (" + id + ")"; }

  // a free id: E, the date and time of the board's moment, and a number if that one is taken
  function suggestId() {
    const at = Board.at() || Dispatch.localIso();
    const base = "E" + at.slice(2, 10).replaceAll("-", "") + "-" + at.slice(11, 16).replace(":", "");
    let id = base;
    for (let n = 2; Board.orders.has(id); n++) id = base + "-" + n;
    return id;
  }

  function fillCustomers() {
    const select = field("customer");
    const keep = select.value;
    const list = [...Board.customers.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
    select.replaceChildren(el("option", {value: "", text: "Choose the customer"}),
      ...list.map((c) => el("option", {value: c.id, text: c.name + " (" + c.id + ")"})));
    select.value = list.some((c) => c.id === keep) ? keep : "";
  }

  function fillSkills() {
    const skills = [...new Set(Board.technicians.flatMap((t) => t.skills))].sort();
    const checked = new Set([...document.querySelectorAll("#em-skills input:checked")].map((b) => b.value));
    field("skills").replaceChildren(...(skills.length ? skills.map((s) => el("label", {class: "em-skill"},
      el("input", {type: "checkbox", value: s, checked: checked.has(s)}), " " + s))
      : [el("span", {text: "No technician lists a skill."})]));
  }

  function placeFromCustomer() {
    const c = Board.customers.get(field("customer").value);
    if (!c || !autoPlace) return;
    if (c.lat !== null && c.lat !== undefined) field("lat").value = String(c.lat);
    if (c.lon !== null && c.lon !== undefined) field("lon").value = String(c.lon);
    field("address").value = c.address || "";
  }

  function reset() {
    created = null;
    planId = null;
    autoPlace = true;
    form.hidden = false;
    results.hidden = true;
    form.reset();
    field("id").value = suggestId();
    field("status").replaceChildren();
    field("status").classList.remove("error");
    fillCustomers();
    fillSkills();
    for (const input of form.querySelectorAll("input, select")) input.disabled = false;
  }

  openButton.addEventListener("click", () => {
    if (!canUse()) return;
    reset();
    dialog.showModal();
    field("customer").focus();
  });
  field("cancel").addEventListener("click", () => dialog.close());
  field("close").addEventListener("click", () => dialog.close());
  field("customer").addEventListener("change", placeFromCustomer);
  for (const id of ["lat", "lon", "address"]) field(id).addEventListener("input", () => { autoPlace = false; });

  field("pick").addEventListener("click", async () => {
    if (!Board.pickOnMap) return;
    dialog.close();
    const latlng = await Board.pickOnMap();
    if (latlng) {
      autoPlace = false;
      field("lat").value = latlng.lat.toFixed(5);
      field("lon").value = latlng.lng.toFixed(5);
    }
    dialog.showModal();
    field("lat").focus();
  });

  // the form's body, or a sentence naming the field that is not right
  function body() {
    const id = field("id").value.trim();
    if (!ID.test(id)) throw new Error("Order id must be 1 to 64 letters, digits or . _ : - (you gave " + (id || "nothing") + ").");
    const customer = field("customer").value;
    if (!customer) throw new Error("Customer is required.");
    const lat = Number(field("lat").value), lon = Number(field("lon").value);
    if (field("lat").value === "" || !(lat >= -90 && lat <= 90)) throw new Error("Latitude must be between -90 and 90.");
    if (field("lon").value === "" || !(lon >= -180 && lon <= 180)) throw new Error("Longitude must be between -180 and 180.");
    const minutes = Number(field("duration").value);
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > 1440) {
      throw new Error("Duration must be a whole number of minutes from 0 to 1440.");
    }
    const out = {id, customer_id: customer, lat, lon, priority: field("priority").value,
                 required_skills: [...document.querySelectorAll("#em-skills input:checked")].map((b) => b.value),
                 duration_min: minutes};
    const needed = Number(field("needed").value);
    if (needed > 1) out.technicians_needed = needed;
    const address = field("address").value.trim();
    if (address) out.address = address;
    const notes = field("notes").value.trim();
    if (notes) out.notes = notes;
    // a board looking at a fixed moment of the day (?at=) starts the response clock there; else the server's now
    if (Board.atFixed) out.created_at = Board.at();
    return out;
  }

  // "+12.5 (travel +2.5, response deadline +10)": what placing it there costs. Serving the order saves its
  // unserved cost wherever it goes (the "unserved" part of a place that bumps nobody), so that saving is left
  // out; a place that bumps a less urgent order shows what leaving that one out costs.
  function parts(p) { return p.cost_delta || p.added_cost || {}; }
  function costWords(p, saving) {
    const all = parts(p);
    const sign = (v) => (v > 0 ? "+" : v < 0 ? "−" : "±") + Math.abs(Math.round(v * 10) / 10);
    const shown = Object.entries(all).filter(([k]) => k !== "total" && k !== "unserved");
    const bump = (all.unserved || 0) - saving;
    if (p.bumps && Math.abs(bump) >= 0.05) shown.push(["leaving out " + p.bumps, bump]);
    const total = shown.reduce((a, [, v]) => a + v, 0);
    const detail = shown.filter(([, v]) => Math.abs(v) >= 0.05).map(([k, v]) => k + " " + sign(v));
    return el("span", {}, el("strong", {text: sign(total)}),
              detail.length ? el("small", {class: "em-detail", text: detail.join(", ")}) : "");
  }

  // a placement's technicians, the lead first: an order for several technicians has a crew
  function members(p) { return [p.technician_id, ...(p.crew || []).map((m) => m.technician_id)]; }
  function whoWords(p) { return members(p).map(techName).join(" + "); }

  // where each goes: "stop 3" alone; of a crew, each member's stop and arrival (they start together at the ETA)
  function stopCell(p) {
    const bump = p.bumps ? ", instead of " + p.bumps : "";
    if (!(p.crew && p.crew.length)) return el("td", {class: "stop", text: "stop " + (p.position + 1) + bump});
    const line = (id, position, arrival, lead) => el("span", {class: "em-member", "data-technician": id},
      id + (lead ? " (lead)" : "") + ": stop " + (position + 1) + ", ",
      el("span", {class: "em-arrives", text: "arrives " + hhmm(arrival)}));
    return el("td", {class: "stop"}, line(p.technician_id, p.position, p.arrival, true),
              ...p.crew.map((m) => line(m.technician_id, m.position, m.arrival, false)),
              bump ? el("small", {class: "em-detail", text: bump.slice(2)}) : "");
  }

  function drawPlacements(answer) {
    const list = answer.placements || [];
    const order = created;
    const crew = (order.technicians_needed || 1) > 1 ? " for " + order.technicians_needed + " technicians" : "";
    // no place: the service's reason as it gives it (too few technicians with the skills, no room at one start...)
    const why = answer.reason ? ": " + answer.reason.replace(/\.?$/, ".")
      : " without breaking a rule: re-plan the day instead.";
    field("results-summary").textContent = list.length
      ? order.id + " (" + order.priority + crew + ", " + (Board.customers.get(order.customer_id) || {}).name +
        "): the " + (list.length === 1 ? "only place" : list.length + " best places") + " as the day stands at " +
        hhmm(answer.at) + ", cheapest first." +
        (crew ? " Each crew starts together at the ETA; the lead brings the parts." : "")
      : "Nobody can take " + order.id + crew + " as the day stands at " + hhmm(answer.at) + why;
    field("results-summary").dataset.reason = answer.reason || "";
    const plain = list.find((p) => !p.bumps);
    const saving = plain ? parts(plain).unserved || 0 : 0;
    document.querySelector("#em-placements tbody").replaceChildren(...list.map((p, i) => {
      const late = Math.round(p.late_minutes || 0);
      const ids = members(p);
      return el("tr", {"data-technician": p.technician_id, "data-rank": String(i + 1),
                       "data-crew": ids.length > 1 ? ids.join("+") : null},
        el("th", {scope: "row"}, ids.length > 1
          ? el("span", {}, el("span", {class: "em-crew", text: ids.join(" + ")}),
               el("small", {class: "em-detail", text: ids.map(nameOf).join(" + ")}))
          : techName(p.technician_id)),
        stopCell(p),
        el("td", {class: "eta", text: hhmm(p.eta)}),
        el("td", {class: "late", text: late > 0 ? duration(late) + " late" : "on time"}),
        el("td", {class: "cost"}, costWords(p, saving)),
        el("td", {}, el("button", {type: "button", class: "em-assign", onclick: () => assign(p)},
          "Assign", el("span", {class: "sr-only", text: " to " + whoWords(p)}))));
    }));
    form.hidden = true;
    results.hidden = false;
    const first = results.querySelector("button.em-assign") || field("replan");
    first.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = field("status");
    const button = field("create");
    if (button.disabled) return;
    button.disabled = true;
    try {
      const data = body();
      status.classList.remove("error");
      if (!created || created.id !== data.id) {
        say("em-status", "Creating " + data.id + "…");
        created = await api("/orders", {method: "POST", body: data});
        Board.orders.set(created.id, created);
      }
      planId = Board.current.id;
      say("em-status", "Finding the best places for " + created.id + "…");
      const at = Board.at();
      const answer = await api("/plans/" + planId + "/recommend?order_id=" + encodeURIComponent(created.id) +
                               (at ? "&at=" + encodeURIComponent(at) : "") + "&top=5");
      moment = answer.at;
      status.replaceChildren();
      drawPlacements(answer);
    } catch (error) {
      sayError("em-status", created ? created.id + " is created, but " : "Not created: ", error);
    } finally {
      button.disabled = false;
    }
  });

  async function assign(p) {
    for (const b of results.querySelectorAll("button")) b.disabled = true;
    try {
      say("em-results-summary", "Assigning " + created.id + " to " + whoWords(p) + "…");
      const body = {order_id: created.id, technician_id: p.technician_id, position: p.position, at: moment};
      // the row's own crew: without it the service takes the cheapest crew with this lead, maybe another row's
      if (p.crew && p.crew.length) body.crew = p.crew.map((m) => m.technician_id);
      const read = await api("/plans/" + planId + "/assign", {method: "POST", body});
      dialog.close();
      const order = created.id;
      await Board.view(read.id);
      Board.select(order, "lists");
      const where = p.crew && p.crew.length
        ? " (crew, starting together), " + members(p).map((id, i) => id + " stop " +
            ((i ? p.crew[i - 1].position : p.position) + 1)).join(", ")
        : " as stop " + (p.position + 1);
      Board.say(Board.describe(read) + " — " + order + " assigned to " + whoWords(p) + where + ", ETA " +
                hhmm(p.eta) + ". Publish to send it to the technicians.");
    } catch (error) {
      sayError("em-results-summary", "Not assigned: ", error);
    } finally {
      for (const b of results.querySelectorAll("button")) b.disabled = false;
    }
  }

  field("replan").addEventListener("click", async () => {
    dialog.close();
    const order = created && created.id;
    Board.say("Re-planning the day from " + (Board.at() ? hhmm(Board.at()) : "now") + " with " + order + "…");
    try {
      const read = await Board.replan({at: Board.at()});
      if (read && read.plan) {
        const route = read.plan.routes.find((r) => r.stops.some((s) => s.order_id === order));
        Board.say(Board.describe(read) + " — " + order + (route ? " goes to " + techName(route.technician_id)
          : " is not placed: see the unassigned orders") + ". Publish to send the new plan to the technicians.",
                  !route);
      }
    } catch (_) { /* Board.replan said why */ }
  });

  Board.on("reference", () => { if (!dialog.open) { fillCustomers(); fillSkills(); } });
})();
