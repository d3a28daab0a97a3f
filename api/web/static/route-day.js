"use strict";
// The technician's day as the route page holds it: the published route, the visits recorded on its stops, the
// parts used on them and what the van holds. Loaded from the API in one go, written back as the technician
// works, and kept in localStorage so the page can still show it when the network drops.
const RouteDay = (() => {
  const {api, localDate, localIso} = Dispatch;

  // "2026-11-30", 1 -> "2026-12-01", counted on the local calendar (not UTC midnight)
  function shift(iso, days) {
    const [y, m, d] = iso.split("-").map(Number);
    return localDate(new Date(y, m - 1, d + days));
  }

  function open(technicianId) {
    const van = "VAN-" + technicianId;
    const prefix = "dispatch.route." + technicianId + ".";
    // {route, visits: Map order -> visit, used: Map order -> [{part_id, quantity}], van: Map part -> qty, names}
    let day = null;

    async function fetchDay(date) {
      const route = await api("/me/route?date=" + date);
      const range = "&since=" + date + "T00:00:00&until=" + shift(date, 1) + "T00:00:00";
      const [visits, stock, parts, moves] = await Promise.all([
        api("/visits?limit=500&date=" + date),
        api("/stock?limit=500&location_id=" + encodeURIComponent(van)),
        api("/parts?limit=500"),
        api("/stock/movements?limit=500&kind=consume&technician_id=" + encodeURIComponent(technicianId) + range),
      ]);
      return {route, visits, van: stock.items.map((s) => [s.part_id, s.quantity]),
              names: parts.items.map((p) => [p.id, p.name]), moves: moves.items};
    }

    function adopt(raw) {
      const names = new Map(raw.names);
      for (const s of raw.route.stops) for (const p of s.parts) if (!names.has(p.part_id)) names.set(p.part_id, p.name);
      const used = new Map();
      for (const m of raw.moves) {
        if (!used.has(m.order_id)) used.set(m.order_id, []);
        used.get(m.order_id).push({part_id: m.part_id, quantity: m.quantity});
      }
      day = {route: raw.route, visits: new Map(raw.visits.map((v) => [v.order_id, v])), used,
             van: new Map(raw.van), names};
    }

    function save() {
      if (!day) return;
      const raw = {route: day.route, visits: [...day.visits.values()], van: [...day.van], names: [...day.names],
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

    const state = (orderId) => {
      const v = day.visits.get(orderId);
      if (v && v.done_at) return "done";
      if (v && v.arrived_at) return "on-site";
      return "todo";
    };

    // a visit exists from the first tap on; later taps update it
    async function saveVisit(orderId, fields) {
      const v = day.visits.get(orderId);
      const saved = v
        ? await api("/visits/" + v.id, {method: "PATCH", body: fields})
        : await api("/visits", {method: "POST", body: Object.assign({order_id: orderId, date: day.route.date}, fields)});
      day.visits.set(orderId, saved);
      save();
      return saved;
    }

    // parts out of the van onto the stop's order; the key makes a retried request count once
    async function usePart(orderId, partId, quantity) {
      const visit = day.visits.get(orderId);
      const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
      await api("/visits/" + visit.id + "/parts", {method: "POST", body: {part_id: partId, quantity},
                                                   headers: {"Idempotency-Key": key}});
      if (!day.used.has(orderId)) day.used.set(orderId, []);
      day.used.get(orderId).push({part_id: partId, quantity});
      day.van.set(partId, (day.van.get(partId) || 0) - quantity);
      save();
    }

    // the visits recorded elsewhere (another phone, the office), so the cards show what is saved
    async function catchUp() {
      try {
        const visits = await api("/visits?limit=500&date=" + day.route.date);
        day.visits = new Map(visits.map((v) => [v.order_id, v]));
        save();
      } catch (_) { /* the refusal is said anyway; Refresh tries again */ }
    }

    return {
      fetchDay, adopt, save, cached, state, saveVisit, usePart, catchUp,
      clear() { day = null; },
      get route() { return day && day.route; },
      visit: (orderId) => day.visits.get(orderId),
      used: (orderId) => day.used.get(orderId) || [],
      inVan: (partId) => day.van.get(partId) || 0,
      vanParts: () => [...day.van.keys()].filter((p) => day.van.get(p) > 0),
      partName: (id) => (day && day.names.get(id)) || id,
    };
  }

  return {open, shift};
})();
