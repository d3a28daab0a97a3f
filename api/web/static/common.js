// Shared by every page: the token in sessionStorage, calls to the JSON API, the role guard.
"use strict";
const Dispatch = (() => {
  const API = document.body.dataset.api;
  const TOKEN = "dispatch.token";
  const USER = "dispatch.user";
  const NOTICE = "dispatch.notice";
  const LANDING = {dispatcher: "/board", planner: "/board", technician: "/route", storekeeper: "/stock",
                   supervisor: "/report"};
  const PAGE = {"/board": "the dispatcher board", "/route": "your route", "/stock": "the stock page",
                "/report": "the service report", "/report/monthly": "the monthly report"};
  const FOR = {dispatcher: "dispatchers and planners", technician: "technicians", storekeeper: "storekeepers",
               supervisor: "supervisors, dispatchers and planners"};
  // who may open a page of each role (the report's figures are read by the office roles too)
  const ALLOWED = {dispatcher: ["dispatcher", "planner"], supervisor: ["supervisor", "dispatcher", "planner"]};

  function token() { return sessionStorage.getItem(TOKEN); }

  // fetch an API path with the bearer token; JSON in and out; throws an Error carrying the API's message
  async function api(path, options = {}) {
    const headers = Object.assign({}, options.headers || {});
    if (token()) headers.Authorization = "Bearer " + token();
    let body = options.body;
    if (body !== undefined && !(body instanceof FormData) && !(body instanceof URLSearchParams)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    const response = await fetch(API + path, {method: options.method || "GET", headers, body});
    if (response.status === 401 && !options.noRedirect) { logout("Your session has ended. Please sign in again."); }
    if (!response.ok) {
      let data = null;
      try { data = await response.json(); } catch (_) { /* not JSON: keep the status text */ }
      throw problem(response.status, response.statusText, data);
    }
    if (options.raw) return response;
    return response.status === 204 ? null : response.json();
  }

  // FastAPI names a field by its path ("body", "time_limit"); people know it by its label
  const FIELD = {time_limit: "search seconds", solution_limit: "stop after solutions", date: "date",
                 quantity: "quantity", part_id: "part", location_id: "location", threshold: "threshold",
                 technician_id: "technician", order_id: "order", pins: "pins", at: "time"};

  function fieldName(loc) {
    const parts = (loc || []).filter((x) => !["body", "query", "path"].includes(x));
    const last = parts.length ? parts[parts.length - 1] : "";
    return FIELD[last] || String(last).replaceAll("_", " ") || "the request";
  }

  // one FastAPI validation item as a sentence: "Search seconds must be at most 600 (you gave 1000)."
  function sentence(item) {
    const name = fieldName(item.loc);
    const ctx = item.ctx || {};
    const given = item.input === undefined || item.input === null || typeof item.input === "object" ? ""
      : " (you gave " + (item.input === "" ? "nothing" : String(item.input)) + ")";
    const rules = {
      less_than_equal: "must be at most " + ctx.le, less_than: "must be below " + ctx.lt,
      greater_than_equal: "must be at least " + ctx.ge, greater_than: "must be above " + ctx.gt,
      missing: "is required", int_parsing: "must be a whole number", float_parsing: "must be a number",
      date_from_datetime_parsing: "must be a date such as 2026-11-30", date_parsing: "must be a date such as 2026-11-30",
      datetime_parsing: "must be a date and time", string_too_long: "is too long",
      string_too_short: "must not be empty",
    };
    let what = rules[item.type];
    if (!what) what = String(item.msg || "is not valid").replace(/^Value error, /, "").replace(/^Input should be/, "should be");
    const text = name + " " + what + given;
    return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
  }

  // an API refusal as an Error whose message is a sentence; `cells` holds an import's bad cells
  function problem(status, statusText, data) {
    let message = statusText || "The request failed";
    let cells = [];
    if (data && typeof data.detail === "string") message = data.detail;
    const items = Array.isArray(data && data.detail) ? data.detail : (data && data.errors) || [];
    if (items.length && items.every((x) => "row" in x)) {
      cells = items;
    } else if (items.length && items.every((x) => "loc" in x || "msg" in x)) {
      message = items.map(sentence).join(" ");
    }
    if (status === 429) message = message.replace(/(\d+) s\b/, (_, s) => Math.ceil(Number(s) / 60) + " min");
    const error = new Error(message);
    error.status = status;
    error.cells = cells;
    error.items = items;  // the API's specific problems as it sent them (e.g. the stock a refusal found)
    return error;
  }

  // an import's bad cells as a table a person can fix the file from
  function cellTable(cells, caption) {
    const head = el("tr", {}, ...["File", "Row", "Column", "Value", "Problem"].map((h) => el("th", {scope: "col", text: h})));
    return el("table", {class: "errors"}, el("caption", {text: caption}), el("thead", {}, head),
      el("tbody", {}, ...cells.map((c) => el("tr", {},
        el("td", {text: c.file || ""}), el("td", {text: c.row === undefined ? "" : String(c.row)}),
        el("td", {text: c.column || ""}), el("td", {text: c.value === undefined || c.value === null ? "" : String(c.value)}),
        el("td", {text: c.message || ""})))));
  }

  // an error into a status node: its sentence, and its bad cells as a table beneath when there are some
  function sayError(id, prefix, error) {
    const node = document.getElementById(id);
    node.classList.add("error");
    node.replaceChildren(prefix + error.message);
    if (error.cells && error.cells.length) {
      node.append(cellTable(error.cells, "Fix these cells in the file and import it again"));
    }
  }

  // go to another page and say there why (the sentence is shown once, by the page that opens next)
  function sendTo(path, why) {
    sessionStorage.setItem(NOTICE, why);
    location.assign(path);
  }

  function showNotice() {
    const why = sessionStorage.getItem(NOTICE);
    const node = document.getElementById("notice");
    if (!why || !node) return;
    sessionStorage.removeItem(NOTICE);
    node.textContent = why;
    node.hidden = false;
  }

  function logout(why = "You have signed out.") {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(USER);
    sendTo("/login", why);
  }

  // pages of one role send everyone else to their own landing page, saying why (the API enforces roles anyway)
  function guard() {
    const role = document.body.dataset.role;
    const here = PAGE[location.pathname] || "this page";
    const user = JSON.parse(sessionStorage.getItem(USER) || "null");
    if (!token() || !user) { sendTo("/login", "Please sign in to open " + here + "."); return null; }
    const allowed = ALLOWED[role] || [role];
    if (!allowed.includes(user.role)) {
      const landing = LANDING[user.role] || "/login";
      sendTo(landing, "You were sent here from " + here + ": it is only for " + (FOR[role] || role + "s") +
             ", and you are signed in as a " + user.role + ". This is " + (PAGE[landing] || "your page") + ".");
      return null;
    }
    const who = document.getElementById("who");
    if (who) who.textContent = (user.full_name || user.username) + " (" + user.role + ")";
    const out = document.getElementById("logout");
    if (out) out.addEventListener("click", () => logout());
    return user;
  }

  function pad(n) { return String(n).padStart(2, "0"); }
  // the service speaks naive local datetimes (the plan's clock), so the pages do too
  function localDate(d = new Date()) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function localIso(d = new Date()) {
    return localDate(d) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  function hhmm(iso) { return iso ? iso.slice(11, 16) : ""; }
  // 45 -> "45 min", 125 -> "2 h 05 min"
  function duration(minutes) {
    const m = Math.round(minutes);
    return m < 60 ? m + " min" : Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  function say(id, text, isError = false) {
    const node = document.getElementById(id);
    node.replaceChildren(text);
    node.classList.toggle("error", isError);
  }

  showNotice();

  return {api, guard, logout, localDate, localIso, hhmm, duration, el, say, sayError, sentence, TOKEN, USER, LANDING};
})();
