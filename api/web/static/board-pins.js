"use strict";
// The board's pin form: pin an order to a technician and re-plan.
(() => {
  const {el} = Dispatch;
  const replanButton = document.getElementById("replan");

  function fill(plan) {
    const ids = plan.routes.flatMap((r) => r.stops.map((s) => s.order_id)).concat(plan.unassigned.map((u) => u.order_id));
    document.getElementById("pin-order").replaceChildren(...ids.sort().map((id) => el("option", {value: id, text: id})));
  }

  Board.on("reference", () => {
    document.getElementById("pin-technician").replaceChildren(
      ...Board.technicians.map((x) => el("option", {value: x.id, text: x.id + " · " + x.name})));
  });
  Board.on("plan", (plan) => fill(plan));
  Board.on("clear", () => document.getElementById("pin-order").replaceChildren());
  Board.on("running", (on) => {
    replanButton.disabled = on || !Board.current || Board.current.status !== "done";
  });

  document.getElementById("pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!Board.current || Board.running) return;
    replanButton.disabled = true;
    const pins = {[document.getElementById("pin-order").value]: document.getElementById("pin-technician").value};
    Board.replan({pins}).catch(() => {});
  });
})();
