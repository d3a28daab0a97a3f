"use strict";
// The board's KPIs and its unassigned and late lists, as a dispatcher reads them: hours, %, names, local times;
// the lists are tables that sort (click a column header) and filter (priority, text), with row actions; each
// row of both lists shows the plan's fixes for it (board-fixes.js).
(() => {
  const {hhmm, el, duration} = Dispatch;
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const SLA_HOURS = {P1: 4, P2: 8, P3: 24, P4: 72};  // the policy's defaults, for a plan that does not record them
  // the plan's rule names (unassigned_by_reason keys) in words
  const REASON_WORDS = {
    "fully booked": "every qualified technician is fully booked",
    "max orders": "every qualified technician has reached their max orders",
    "required skill": "no technician has the skills",
    "van stock": "no qualified van holds the parts",
    "shift": "too long for any qualified technician's shift",
    "appointment window": "window out of reach of every qualified technician's shift",
    "pinned technician": "the pinned technician cannot take it",
  };
  const SOLVER_WORDS = {
    optimal: "the best plan possible (proved)",
    feasible: "the best plan found within the search limit",
    infeasible: "no search result; orders were placed one by one",
  };

  // --- formatting ---------------------------------------------------------------------------------------
  function local(iso) { return new Date(iso.length === 10 ? iso + "T00:00:00" : iso); }
  function weekdayTime(d) { return DAYS[d.getDay()] + " " + String(d.getHours()).padStart(2, "0") + ":" +
                                   String(d.getMinutes()).padStart(2, "0"); }
  function hours(minutes) { return (Math.round(minutes / 6) / 10).toLocaleString("en-GB") + " h"; }
  function pct(share) { return Math.round(share * 100) + " %"; }
  function num(v, digits = 0) { return Number(v).toLocaleString("en-GB", {maximumFractionDigits: digits}); }

  function techName(id) {
    const t = Board.technicians.find((x) => x.id === id);
    return t ? t.name : id;
  }
  function customerOf(order) {
    const c = order && Board.customers.get(order.customer_id);
    return c ? c.name : (order ? order.customer_id : "");
  }
  // the plan's own deadline for a stop; otherwise the policy's hours, tightened by the customer's contract
  function deadlineOf(order, plan, stop) {
    if (stop && stop.deadline) return local(stop.deadline);
    if (!order) return null;
    const sla = (plan.policy && plan.policy.sla_hours) || SLA_HOURS;
    const contract = (Board.customers.get(order.customer_id) || {}).sla_hours || {};
    const hours = Math.min(sla[order.priority] ?? SLA_HOURS[order.priority], contract[order.priority] ?? Infinity);
    return new Date(local(order.created_at).getTime() + hours * 3600e3);
  }

  // --- KPIs ---------------------------------------------------------------------------------------------
  function drawKpis(plan) {
    const k = plan.kpis;
    const lateByPriority = {};
    for (const r of plan.routes) {
      for (const s of r.stops) {
        const o = Board.orders.get(s.order_id);
        if (o && s.late_minutes > 0) lateByPriority[o.priority] = (lateByPriority[o.priority] || 0) + s.late_minutes;
      }
    }
    const onTime = Object.values(k.by_priority || {}).reduce((a, p) => a + p.on_time, 0);
    const tiles = [
      ["Orders served", num(k.served) + " of " + num(k.orders)],
      ["Served on time", num(onTime) + " (" + pct(k.served ? onTime / k.served : 0) + ")"],
      ["Late, all visits", hours(k.total_late_minutes) + (k.max_late_minutes > 0 ? ", worst " +
                                                          duration(k.max_late_minutes) : "")],
      ["Travel", num(k.travel_km) + " km · " + hours(k.travel_minutes)],
      ["Mean utilization", pct(k.mean_utilization)],
      ["Technicians used", num(k.technicians_used) + " of " + num(k.technicians)],
    ];
    const box = document.getElementById("kpis");
    const priorities = Object.entries(k.by_priority || {}).sort();
    const util = Object.entries(k.utilization || {}).sort();
    const reasons = Object.entries(k.unassigned_by_reason || {}).sort((a, b) => b[1] - a[1]);
    box.replaceChildren(
      el("dl", {class: "kpi-tiles"}, ...tiles.flatMap(([name, value]) =>
        [el("div", {"data-kpi": name}, el("dt", {text: name}), el("dd", {text: value}))])),
      el("div", {class: "kpi-col table-scroll", tabindex: "0", role: "region",
                 "aria-label": "Service by priority, scrolls sideways"},
        el("table", {class: "kpi-priority", id: "kpi-priority"},
          el("caption", {text: "Service by priority"}),
          el("thead", {}, el("tr", {}, ...["Priority", "Orders", "Served", "On time", "Late", "Late hours",
                                           "Unserved"].map((h) => el("th", {scope: "col", text: h})))),
          el("tbody", {}, ...priorities.map(([p, v]) => el("tr", {"data-priority": p},
            el("th", {scope: "row", text: p}), el("td", {text: num(v.orders)}), el("td", {text: num(v.served)}),
            el("td", {text: num(v.on_time)}), el("td", {text: num(v.late)}),
            el("td", {text: hours(lateByPriority[p] || 0)}), el("td", {text: num(v.unserved)})))))),
      el("div", {class: "kpi-col"},
        el("h3", {id: "util-h", text: "Utilization per technician"}),
        util.length ? "" : el("p", {text: "Nobody works this day."}),
        el("ul", {class: "util", id: "utilization", "aria-labelledby": "util-h"}, ...util.map(([id, share]) =>
          el("li", {"data-technician": id},
            el("span", {class: "util-name", text: techName(id) + " (" + id + ")"}),
            el("span", {class: "util-bar", "aria-hidden": "true"},
               el("span", {style: "width:" + Math.min(100, Math.round(share * 100)) + "%"})),
            el("span", {class: "util-pct", text: pct(share)}))))),
      el("div", {class: "kpi-col"},
        el("h3", {id: "reasons-h", text: "Unassigned, by reason"}),
        reasons.length
          ? el("ul", {class: "reasons", id: "unassigned-reasons", "aria-labelledby": "reasons-h"},
               ...reasons.map(([rule, n]) => el("li", {"data-rule": rule},
                 el("strong", {text: num(n) + (n === 1 ? " order" : " orders")}),
                 ": " + (REASON_WORDS[rule] || rule))))
          : el("p", {id: "unassigned-reasons", text: "Every order is assigned."}),
        el("p", {class: "solver", id: "solver-status", text: k.solver
          ? "Solver: " + (SOLVER_WORDS[k.solver.status] || k.solver.status) + ", after " +
            num(k.solver.wall_time_s, 1) + " s and " + num(k.solver.solutions_found) + " improving solutions."
          : ""})));
  }

  // --- sortable, filterable tables ----------------------------------------------------------------------
  // spec: {id, columns: [{key, label, value(row) for sorting, cell(row) -> node or text, sortable}], empty}
  function sortableTable(spec) {
    const table = document.getElementById(spec.id);
    const priority = document.getElementById(spec.id + "-priority");
    const text = document.getElementById(spec.id + "-text");
    const count = document.getElementById(spec.id + "-count");
    const state = {rows: [], key: spec.sortKey, dir: spec.sortDir || 1, shown: false};

    function draw() {
      if (!state.shown) { table.replaceChildren(); count.textContent = ""; return; }
      const p = priority.value;
      const needle = text.value.trim().toLowerCase();
      const col = spec.columns.find((c) => c.key === state.key);
      const rows = state.rows.filter((r) => (!p || r.priority === p) && (!needle || r.search.includes(needle)))
        .sort((a, b) => {
          const x = col.value(a), y = col.value(b);
          return (x < y ? -1 : x > y ? 1 : 0) * state.dir || (a.orderId < b.orderId ? -1 : 1);
        });
      const head = el("tr", {}, ...spec.columns.map((c) => {
        const sorted = c.key === state.key;
        const th = el("th", {scope: "col", "aria-sort": sorted ? (state.dir > 0 ? "ascending" : "descending") : null});
        if (!c.sortable) { th.append(c.label); return th; }
        th.append(el("button", {type: "button", class: "sort", "data-sort": c.key,
                                onclick: () => {
                                  state.dir = state.key === c.key ? -state.dir : 1;
                                  state.key = c.key;
                                  draw();
                                  table.querySelector('button[data-sort="' + c.key + '"]').focus();
                                }},
                                c.label, el("span", {class: "sort-mark", "aria-hidden": "true",
                                                     text: sorted ? (state.dir > 0 ? " ▲" : " ▼") : ""})));
        return th;
      }));
      const body = rows.map((r) => el("tr", {"data-order": r.orderId, "data-priority": r.priority,
                                             "aria-current": r.orderId === Board.selected ? "true" : null},
        ...spec.columns.map((c, i) => {
          const content = c.cell(r);
          return i === 0 ? el("th", {scope: "row"}, content) : el("td", {class: c.className || null}, content);
        })));
      if (!body.length) {
        body.push(el("tr", {}, el("td", {colspan: String(spec.columns.length),
                                         text: state.rows.length ? "No row matches the filter." : spec.empty})));
      }
      table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
      count.textContent = state.rows.length ? "(" + (rows.length === state.rows.length ? rows.length
        : rows.length + " of " + state.rows.length) + ")" : "";
    }

    priority.addEventListener("change", draw);
    text.addEventListener("input", draw);
    return {
      show(rows) { state.rows = rows; state.shown = true; draw(); },
      clear() { state.rows = []; state.shown = false; draw(); },
      redraw: draw,
    };
  }

  function actions(orderId, pin) {
    // the hidden words name the row's order to a screen reader; the visible words stay the start of the name
    const box = el("span", {class: "actions"},
      el("button", {type: "button", class: "secondary", onclick: () => Board.select(orderId, "lists")},
         "Select", el("span", {class: "sr-only", text: " order " + orderId})));
    if (pin) {
      box.append(el("button", {type: "button", class: "secondary",
                               onclick: () => Board.pinForm && Board.pinForm(orderId)},
                    "Pin to…", el("span", {class: "sr-only", text: " (order " + orderId + ")"})));
    }
    return box;
  }

  const priorityCol = {key: "priority", label: "Priority", sortable: true, value: (r) => r.priority + r.orderId,
                       cell: (r) => el("span", {class: "prio prio-" + r.priority, text: r.priority})};
  const customerCol = {key: "customer", label: "Customer", sortable: true, value: (r) => r.customer.toLowerCase(),
                       cell: (r) => r.customer};
  const deadlineCol = {key: "deadline", label: "Deadline", sortable: true, value: (r) => r.deadline ? +r.deadline : 0,
                       className: "deadline", cell: (r) => r.deadline ? weekdayTime(r.deadline) : "—"};

  // the plan's one-change fixes of the row, in words with their actions (board-fixes.js)
  const fixesCol = {key: "fixes", label: "What would fix it", value: () => 0, className: "fixes-cell",
                    cell: (r) => Board.fixList ? Board.fixList(r) : "—"};

  const unassigned = sortableTable({id: "unassigned", sortKey: "priority", empty: "Every order is assigned.",
    columns: [
      {key: "order", label: "Order", sortable: true, value: (r) => r.orderId, cell: (r) => r.orderId},
      priorityCol, customerCol, deadlineCol,
      {key: "reason", label: "Why it is not planned", sortable: true, value: (r) => r.reason, cell: (r) => r.reason,
       className: "reason"},
      fixesCol,
      {key: "actions", label: el("span", {class: "sr-only", text: "Actions"}), value: () => 0,
       cell: (r) => actions(r.orderId, true)},
    ]});

  // the latest first
  const late = sortableTable({id: "late", sortKey: "late", sortDir: -1, empty: "No late visits.",
    columns: [
      {key: "order", label: "Order", sortable: true, value: (r) => r.orderId, cell: (r) => r.orderId},
      priorityCol, customerCol,
      {key: "technician", label: "Technician", sortable: true, value: (r) => r.technician,
       cell: (r) => r.technician},
      {key: "start", label: "Starts", sortable: true, value: (r) => r.start, cell: (r) => hhmm(r.start)},
      deadlineCol,
      {key: "late", label: "Lateness", sortable: true, value: (r) => r.lateMinutes, className: "lateness",
       cell: (r) => el("span", {}, duration(r.lateMinutes) + " late",
         ...(r.before ? [el("br"), el("small", {text: "deadline passed " + weekdayTime(r.deadline) +
                                                        ", before the day began"})] : []))},
      fixesCol,
      {key: "actions", label: el("span", {class: "sr-only", text: "Actions"}), value: () => 0,
       cell: (r) => actions(r.orderId, false)},
    ]});

  // plans made before the reasons were reworded name the insertion's cost in solver units: said in words here
  function plain(reason) {
    return reason.replace(/; cheapest insertion: (\S+?)(?: \(adding [\d,.]+ to the plan's cost\))? would break (.*)$/,
      (_, tech, what) => "; fitting it in at the best place, on " + tech + "'s route, would " +
        (what === "a higher-priority visit" ? "push out a higher-priority visit" : "break " + what));
  }

  function drawLists(plan) {
    const dayStart = local(plan.date);
    unassigned.show(plan.unassigned.map((u) => {
      const o = Board.orders.get(u.order_id);
      const customer = customerOf(o);
      const reason = plain(u.reason);
      return {orderId: u.order_id, priority: o ? o.priority : "", customer, deadline: deadlineOf(o, plan),
              reason, fixes: u.fixes, search: (customer + " " + reason + " " + u.order_id).toLowerCase()};
    }));
    late.show(plan.routes.flatMap((r) => r.stops.filter((s) => s.late_minutes > 0).map((s) => {
      const o = Board.orders.get(s.order_id);
      const customer = customerOf(o);
      const deadline = deadlineOf(o, plan, s);
      const technician = techName(r.technician_id) + " (" + r.technician_id + ")";
      return {orderId: s.order_id, priority: o ? o.priority : "", customer, deadline, technician, start: s.start,
              lateMinutes: s.late_minutes, before: deadline !== null && deadline < dayStart, fixes: s.fixes, late: true,
              search: (customer + " " + technician + " " + s.order_id).toLowerCase()};
    })));
  }

  // the order chosen in any view is marked in both tables (without scrolling the page away from that view)
  function highlight(orderId) {
    for (const row of document.querySelectorAll("#unassigned tbody tr[data-order], #late tbody tr[data-order]")) {
      if (row.dataset.order === orderId) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  }

  Board.on("plan", (plan) => { drawKpis(plan); drawLists(plan); });
  Board.on("select", highlight);
  Board.on("clear", () => {
    document.getElementById("kpis").replaceChildren(el("p", {class: "muted", text: "No plan on screen."}));
    unassigned.clear();
    late.clear();
  });
  Board.format = {duration, hours, weekdayTime, customerOf, techName};
})();
