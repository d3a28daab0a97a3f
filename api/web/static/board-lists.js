"use strict";
// The board's KPIs and its unassigned and late lists.
(() => {
  const {hhmm, el} = Dispatch;

  function drawLists(plan) {
    document.getElementById("unassigned").replaceChildren(...(plan.unassigned.length ? plan.unassigned.map((u) =>
      el("li", {"data-order": u.order_id}, el("strong", {text: u.order_id}), " — " + u.reason +
         (u.rule ? " (" + u.rule + ")" : ""))) : [el("li", {text: "Every order is assigned."})]));
    const late = plan.routes.flatMap((r) => r.stops.filter((s) => s.late_minutes > 0)
      .map((s) => el("li", {"data-order": s.order_id}, el("strong", {text: s.order_id}),
                     " — " + r.technician_id + ", ETA " + hhmm(s.arrival) + ", " + Math.round(s.late_minutes) +
                     " min late (arrives after the window or response deadline)")));
    document.getElementById("late").replaceChildren(...(late.length ? late : [el("li", {text: "No late visits."})]));
    const kpis = document.getElementById("kpis");
    kpis.replaceChildren();
    for (const [k, v] of Object.entries(plan.kpis)) {
      if (v !== null && typeof v === "object") continue;
      kpis.append(el("dt", {text: k.replaceAll("_", " ")}),
                  el("dd", {text: typeof v === "number" ? String(Math.round(v * 100) / 100) : String(v)}));
    }
  }

  Board.on("plan", (plan) => drawLists(plan));
  Board.on("clear", () => {
    for (const id of ["unassigned", "late", "kpis"]) document.getElementById(id).replaceChildren();
  });
})();
