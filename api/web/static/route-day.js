"use strict";
// The technician's day as the route page holds it: the published route, the visits recorded on its stops (and
// the departures reported), the parts used on them and what the van holds. Loaded from the API in one go and
// kept in localStorage, so the page can still show it when the network drops.
//
// Every tap is an action in an outbox (localStorage too) with its own Idempotency-Key, made when the tap
// happens: its effect shows on the card at once, and the outbox is sent in order whenever the network is
// there. A send whose answer was lost is sent again with the same key, and the API records it once.
const RouteDay = (() => {
  const {api, localDate, localIso} = Dispatch;

  // "2026-11-30", 1 -> "2026-12-01", counted on the local calendar (not UTC midnight)
  function shift(iso, days) {
    const [y, m, d] = iso.split("-").map(Number);
    return localDate(new Date(y, m - 1, d + days));
  }

  const newKey = () => (crypto.randomUUID ? crypto.randomUUID()
    : Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2));

  function open(technicianId) {
    const van = "VAN-" + technicianId;
    const prefix = "dispatch.route." + technicianId + ".";
    const OUTBOX = "dispatch.outbox." + technicianId;  // not under `prefix`: the days' clean-up leaves it alone
    // {route, visits: Map order -> visit, departed: Map order -> time, used: Map order -> [{part_id, quantity}],
    //  van: Map part -> qty, names}
    let day = null;

    const outbox = () => JSON.parse(localStorage.getItem(OUTBOX) || "[]");
    const keep = (items) => localStorage.setItem(OUTBOX, JSON.stringify(items));

    async function fetchDay(date) {
      const route = await api("/me/route?date=" + date);
      const range = "&since=" + date + "T00:00:00&until=" + shift(date, 1) + "T00:00:00";
      const [visits, events, stock, parts, moves] = await Promise.all([
        api("/visits?limit=500&date=" + date),
        api("/days/" + date + "/events"),
        api("/stock?limit=500&location_id=" + encodeURIComponent(van)),
        api("/parts?limit=500"),
        api("/stock/movements?limit=500&kind=consume&technician_id=" + encodeURIComponent(technicianId) + range),
      ]);
      return {route, visits, departed: departures(events), van: stock.items.map((s) => [s.part_id, s.quantity]),
              names: parts.items.map((p) => [p.id, p.name]), moves: moves.items};
    }

    const departures = (events) => events.filter((e) => e.event === "departed").map((e) => [e.order_id, e.time]);

    // what an action changes on the phone's copy of the day (the API will say the same once it has it)
    function effect(action) {
      const b = action.body;
      if (action.kind === "part") {
        if (!day.used.has(action.order_id)) day.used.set(action.order_id, []);
        day.used.get(action.order_id).push({part_id: b.part_id, quantity: b.quantity});
        day.van.set(b.part_id, (day.van.get(b.part_id) || 0) - b.quantity);
        return;
      }
      if (!b.order_id) return;
      if (b.event === "departed") { day.departed.set(b.order_id, b.time); return; }
      const v = Object.assign({order_id: b.order_id}, day.visits.get(b.order_id) || {});
      if (b.event === "arrived") v.arrived_at = v.arrived_at || b.time;
      if (b.event === "started") v.started_at = v.started_at || b.time;
      if (b.event === "done" || b.event === "unresolved") {
        if (v.done_at) return;  // finished already: the API refuses the second finish too
        Object.assign(v, {done_at: b.time, resolved: b.event === "done", reason: b.reason || null});
        if (b.customer_score) v.customer_score = b.customer_score;
        if (b.note) v.notes = b.note;
      }
      day.visits.set(b.order_id, v);
    }

    // the taps not yet sent, over data fresh from the API (parts too only when the van and moves are fresh)
    function replay(withParts) {
      for (const action of outbox()) {
        if (action.date === day.route.date && (withParts || action.kind !== "part")) effect(action);
      }
    }

    function adopt(raw, fresh = false) {
      const names = new Map(raw.names);
      for (const s of raw.route.stops) for (const p of s.parts) if (!names.has(p.part_id)) names.set(p.part_id, p.name);
      const used = new Map();
      for (const m of raw.moves) {
        if (!used.has(m.order_id)) used.set(m.order_id, []);
        used.get(m.order_id).push({part_id: m.part_id, quantity: m.quantity});
      }
      day = {route: raw.route, visits: new Map(raw.visits.map((v) => [v.order_id, v])),
             departed: new Map(raw.departed || []), used, van: new Map(raw.van), names};
      if (fresh) replay(true);  // a copy saved on the phone holds its taps already
    }

    function save() {
      if (!day) return;
      const raw = {route: day.route, visits: [...day.visits.values()], departed: [...day.departed],
                   van: [...day.van], names: [...day.names],
                   moves: [...day.used].flatMap(([order_id, ps]) => ps.map((p) => Object.assign({order_id}, p)))};
      localStorage.setItem(prefix + day.route.date, JSON.stringify({raw, at: localIso()}));
      // days more than a week old are of no use offline: they go, so the cache does not grow for ever
      const oldest = shift(localDate(), -7);
      for (const key of Object.keys(localStorage)) {
        if (key.startsWith(prefix) && key.slice(prefix.length) < oldest) localStorage.removeItem(key);
      }
    }

    // the day as last saved on this phone, with when (local time): null when there is none
    function cached(date) {
      const entry = JSON.parse(localStorage.getItem(prefix + date) || "null");
      if (!entry) return null;
      // an entry of the page before this one holds the route alone, stamped in UTC
      const raw = entry.raw || (entry.route && {route: entry.route, visits: [], van: [], names: [], moves: []});
      if (!raw) return null;
      return {raw, at: /Z$/.test(entry.at) ? localIso(new Date(entry.at)) : entry.at};
    }

    // todo, en-route, on-site, in-service, done or unresolved (finished, the order needs another visit)
    const state = (orderId) => {
      const v = day.visits.get(orderId);
      if (v && v.done_at) return v.resolved === false || (v.resolved == null && v.fixed_first_time === false) ? "unresolved" : "done";
      if (v && v.started_at) return "in-service";
      if (v && v.arrived_at) return "on-site";
      if (day.departed.has(orderId)) return "en-route";
      return "todo";
    };

    // a tap: its effect at once, then into the outbox to be sent in order
    function tap(kind, orderId, body) {
      const action = {key: newKey(), kind, date: day.route.date, order_id: orderId, body};
      effect(action);
      save();
      keep(outbox().concat([action]));
      return action;
    }

    // an event of the day at the phone's time ("done" carries the outcome, the score and the note)
    const report = (orderId, event, fields = {}) =>
      tap("event", orderId, Object.assign({time: localIso(), event, order_id: orderId}, fields));
    // parts out of the van onto the stop's order
    const usePart = (orderId, partId, quantity) => tap("part", orderId, {part_id: partId, quantity});

    async function send(action) {
      const headers = {"Idempotency-Key": action.key};
      if (action.kind === "event") return api("/events", {method: "POST", body: action.body, headers});
      // a part goes onto the stop's visit, which the API made from the stop's first step
      let visit = day && day.visits.get(action.order_id);
      if (!visit || visit.id === undefined) {
        const visits = await api("/visits?limit=500&date=" + action.date);
        visit = visits.find((v) => v.order_id === action.order_id);
      }
      if (!visit || visit.id === undefined) {
        throw Object.assign(new Error("Record the arrival at this stop before the parts used."), {status: 422, items: []});
      }
      return api("/visits/" + visit.id + "/parts", {method: "POST", body: action.body, headers});
    }

    // sends the outbox in order, one at a time; stops at the first action the network did not take (it is
    // sent again, same key, next time); an action the API refuses leaves the outbox, its refusal returned
    let sending = null;
    function flush() {
      if (sending) return sending.then(() => flush());
      sending = (async () => {
        const result = {sent: 0, refused: [], offline: false, waiting: 0};
        for (;;) {
          const [action] = outbox();
          if (!action) break;
          if (navigator.onLine === false) { result.offline = true; break; }
          try {
            await send(action);
            result.sent += 1;
          } catch (error) {
            if (error.status === undefined || error.status >= 500 || error.status === 401 || error.status === 429) {
              result.offline = error.status === undefined;
              result.error = error;
              break;
            }
            result.refused.push({action, error});
          }
          keep(outbox().filter((a) => a.key !== action.key));
        }
        result.waiting = outbox().length;
        return result;
      })();
      return sending.finally(() => { sending = null; });
    }

    // the visits and departures as the API has them now (another phone, the office), the taps not yet sent on top
    async function catchUp() {
      if (!day) return;
      const date = day.route.date;
      const [visits, events] = await Promise.all([api("/visits?limit=500&date=" + date), api("/days/" + date + "/events")]);
      if (!day || day.route.date !== date) return;
      day.visits = new Map(visits.map((v) => [v.order_id, v]));
      day.departed = new Map(departures(events));
      replay(false);
      save();
    }

    return {
      fetchDay, adopt, save, cached, state, report, usePart, flush, catchUp,
      clear() { day = null; },
      get route() { return day && day.route; },
      visit: (orderId) => day.visits.get(orderId),
      departedAt: (orderId) => day.departed.get(orderId),
      used: (orderId) => day.used.get(orderId) || [],
      inVan: (partId) => day.van.get(partId) || 0,
      vanParts: () => [...day.van.keys()].filter((p) => day.van.get(p) > 0),
      partName: (id) => (day && day.names.get(id)) || id,
      waiting: (orderId) => outbox().filter((a) => !orderId || a.order_id === orderId).length,
    };
  }

  return {open, shift};
})();
