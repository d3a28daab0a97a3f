"use strict";
// The technician's phone page: today's stops of the published plan, visits, parts, the day as .ics.
// The last loaded route is kept in localStorage, so the page still shows it when the network drops.
(() => {
  const {api, guard, localDate, localIso, hhmm, say} = Dispatch;
  const user = guard();
  if (!user) return;
  const dateInput = document.getElementById("route-date");
  dateInput.value = new URLSearchParams(location.search).get("date") || localDate();
  const cacheKey = () => "dispatch.route." + user.technician_id + "." + dateInput.value;
  let visits = new Map();   // order id -> visit
  let vanParts = [];        // part ids in my van

  async function load() {
    let route;
    try {
      route = await api("/me/route?date=" + dateInput.value);
      localStorage.setItem(cacheKey(), JSON.stringify({route, at: new Date().toISOString()}));
      const v = await api("/visits?date=" + dateInput.value);
      visits = new Map(v.map((x) => [x.order_id, x]));
      const stock = await api("/stock?limit=500&location_id=VAN-" + encodeURIComponent(user.technician_id));
      vanParts = stock.items.filter((s) => s.quantity > 0).map((s) => s.part_id);
      say("route-status", route.stops.length + (route.stops.length === 1 ? " stop" : " stops") + " · plan " + route.plan_id);
    } catch (error) {
      const cached = JSON.parse(localStorage.getItem(cacheKey()) || "null");
      if (!cached) { say("route-status", "Could not load the route: " + error.message, true); return; }
      route = cached.route;
      say("route-status", "Offline: showing the route loaded at " + cached.at.slice(11, 16) + " UTC", true);
    }
    render(route);
  }

  function visitText(v) {
    if (!v) return "Not started.";
    if (v.done_at) return "Done at " + hhmm(v.done_at) + (v.customer_score ? ", score " + v.customer_score : "");
    if (v.arrived_at) return "Arrived at " + hhmm(v.arrived_at);
    return "Not started.";
  }

  // a visit exists from the first tap (arrived, done or a part) on; later taps update it
  async function ensureVisit(orderId, fields) {
    const v = visits.get(orderId);
    const saved = v
      ? await api("/visits/" + v.id, {method: "PATCH", body: fields})
      : await api("/visits", {method: "POST", body: Object.assign({order_id: orderId, date: dateInput.value},
                                                                  fields)});
    visits.set(orderId, saved);
    return saved;
  }

  function render(route) {
    const list = document.getElementById("stops");
    const template = document.getElementById("stop-template");
    list.replaceChildren(...route.stops.map((s) => {
      const li = template.content.firstElementChild.cloneNode(true);
      const id = "stop-" + s.order_id;
      li.id = id;
      li.dataset.order = s.order_id;
      li.setAttribute("aria-labelledby", id + "-title");
      const title = li.querySelector(".stop-title");
      title.id = id + "-title";
      title.textContent = s.seq + ". " + s.customer_name + " · " + s.order_id + " (" + s.priority + ")";
      li.querySelector(".eta").textContent = "ETA " + hhmm(s.eta) + " · " + s.duration_min + " min" +
        (s.late_minutes > 0 ? " · " + Math.round(s.late_minutes) + " min late" : "");
      li.querySelector(".address").textContent = s.address || (s.lat.toFixed(5) + ", " + s.lon.toFixed(5));
      const maps = li.querySelector(".maps");
      maps.href = "geo:" + s.lat + "," + s.lon + "?q=" + s.lat + "," + s.lon + encodeURIComponent(" (" + s.order_id + ")");
      maps.setAttribute("aria-label", "Open stop " + s.seq + " in the map app");
      const phone = li.querySelector(".phone-link");
      if (s.phone) phone.href = "tel:" + s.phone; else li.querySelector(".call").remove();
      li.querySelector(".parts").textContent = s.parts.length
        ? "Bring: " + s.parts.map((p) => p.quantity + " × " + p.name + " (" + p.part_id + ")").join(", ")
        : "No parts to bring.";
      const state = li.querySelector(".visit-state");
      state.textContent = visitText(visits.get(s.order_id));
      const score = li.querySelector(".score");
      score.id = id + "-score";
      const act = (fields) => async () => {
        try { state.textContent = visitText(await ensureVisit(s.order_id, fields())); }
        catch (error) { state.textContent = "Not saved: " + error.message; }
      };
      li.querySelector(".arrived").addEventListener("click", act(() => ({arrived_at: localIso()})));
      li.querySelector(".done").addEventListener("click", act(() => {
        const fields = {done_at: localIso()};
        if (!visits.get(s.order_id)) fields.arrived_at = fields.done_at;
        if (score.value) fields.customer_score = Number(score.value);
        return fields;
      }));
      const part = li.querySelector(".part");
      const ids = [...new Set(s.parts.map((p) => p.part_id).concat(vanParts))];
      part.replaceChildren(...ids.map((p) => Object.assign(document.createElement("option"), {value: p, text: p})));
      li.querySelector(".part-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const visit = visits.get(s.order_id) || await ensureVisit(s.order_id, {arrived_at: localIso()});
          const quantity = Number(li.querySelector(".qty").value);
          await api("/visits/" + visit.id + "/parts", {method: "POST", body: {part_id: part.value, quantity},
                                                        headers: {"Idempotency-Key": crypto.randomUUID ?
                                                                  crypto.randomUUID() : String(Date.now())}});
          state.textContent = "Recorded " + quantity + " × " + part.value + ". " + visitText(visits.get(s.order_id));
        } catch (error) { state.textContent = "Part not recorded: " + error.message; }
      });
      return li;
    }));
  }

  // the calendar file needs the bearer token, so it is fetched and handed to the browser as a download
  document.getElementById("ics").addEventListener("click", async () => {
    try {
      const response = await api("/me/route.ics?date=" + dateInput.value, {raw: true});
      const url = URL.createObjectURL(await response.blob());
      const a = Object.assign(document.createElement("a"), {href: url, download: "route-" + dateInput.value + ".ics"});
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (error) { say("route-status", "Could not download: " + error.message, true); }
  });
  document.getElementById("refresh").addEventListener("click", load);
  dateInput.addEventListener("change", load);
  load();
})();
