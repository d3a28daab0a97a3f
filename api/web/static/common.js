// Shared by every page: the token in sessionStorage, calls to the JSON API, the role guard.
"use strict";
const Dispatch = (() => {
  const API = document.body.dataset.api;
  const TOKEN = "dispatch.token";
  const USER = "dispatch.user";
  const NOTICE = "dispatch.notice";
  const LANDING = {dispatcher: "/board", planner: "/board", technician: "/route", storekeeper: "/stock"};
  const PAGE = {"/board": "the dispatcher board", "/route": "your route", "/stock": "the stock page"};
  const FOR = {dispatcher: "dispatchers and planners", technician: "technicians", storekeeper: "storekeepers"};

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
      let detail = response.statusText;
      try {
        const data = await response.json();
        detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail || data);
      } catch (_) { /* not JSON: keep the status text */ }
      const error = new Error(detail);
      error.status = response.status;
      throw error;
    }
    if (options.raw) return response;
    return response.status === 204 ? null : response.json();
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
    const allowed = role === "dispatcher" ? ["dispatcher", "planner"] : [role];
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
    node.textContent = text;
    node.classList.toggle("error", isError);
  }

  showNotice();

  return {api, guard, logout, localDate, localIso, hhmm, el, say, TOKEN, USER, LANDING};
})();
