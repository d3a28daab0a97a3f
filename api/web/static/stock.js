"use strict";
// The storekeeper's view: stock per location with low-stock alerts, and the ledger filtered.
(() => {
  const {api, guard, el, say} = Dispatch;
  if (!guard()) return;

  // every page of a paged list (the API gives at most 500 a page)
  async function all(path) {
    const items = [];
    for (let offset = 0; ; offset += 500) {
      const page = await api(path + (path.includes("?") ? "&" : "?") + "limit=500&offset=" + offset);
      items.push(...page.items);
      if (items.length >= page.total || !page.items.length) return items;
    }
  }

  const locationSelect = document.getElementById("stock-location");

  async function loadStock() {
    const location = locationSelect.value;
    const query = location ? "?location_id=" + encodeURIComponent(location) : "";
    const [stock, alerts] = await Promise.all([all("/stock" + query), all("/stock/alerts" + query)]);
    document.querySelector("#stock-table tbody").replaceChildren(...stock.map((s) =>
      el("tr", {class: s.below_threshold ? "low" : null, "data-location": s.location_id, "data-part": s.part_id},
         el("td", {text: s.location_id}), el("td", {text: s.part_id}),
         el("td", {class: "qty", text: String(s.quantity)}),
         el("td", {text: s.low_stock_threshold === null ? "—" : String(s.low_stock_threshold)}),
         el("td", {text: s.below_threshold ? "LOW" : ""}))));
    document.getElementById("alerts").replaceChildren(...(alerts.length ? alerts.map((s) =>
      el("li", {}, el("strong", {text: s.part_id}), " at " + s.location_id + ": " + s.quantity +
         " left (threshold " + s.low_stock_threshold + ")")) : [el("li", {text: "No part is below its threshold."})]));
    if (locationSelect.options.length === 1) {
      const ids = [...new Set(stock.map((s) => s.location_id))].sort();
      locationSelect.append(...ids.map((id) => el("option", {value: id, text: id})));
    }
  }

  async function loadLedger() {
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(document.getElementById("ledger-form"))) {
      if (String(value).trim()) query.set(name, String(value).trim());
    }
    const rows = await all("/stock/movements?" + query.toString());
    say("ledger-status", rows.length + " movements");
    document.querySelector("#ledger-table tbody").replaceChildren(...rows.map((m) =>
      el("tr", {"data-kind": m.kind},
         ...[m.at.replace("T", " ").slice(0, 16), m.kind, m.part_id, String(m.quantity), m.from_location_id,
             m.to_location_id, m.order_id, m.technician_id, m.reason].map((v) => el("td", {text: v || ""})))));
  }

  async function guarded(action) {
    try { await action(); } catch (error) { say("ledger-status", "Error: " + error.message, true); }
  }
  locationSelect.addEventListener("change", () => guarded(loadStock));
  document.getElementById("ledger-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(loadLedger);
  });
  guarded(loadStock);
  guarded(loadLedger);
})();
