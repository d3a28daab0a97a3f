"use strict";
// The route page's service worker (served as /route-sw.js, scope /route): the page, its scripts and styles and
// the last route the API served are kept, so the page opens cold with no network and shows the last route.
// Everything is network first: online, the phone always gets the current page and route; the copies are for
// when the network is not there. Nothing but GETs is touched: the page's own outbox sends the taps.
const SHELL_CACHE = "dispatch-route-shell-v1";
const DATA_CACHE = "dispatch-route-data";  // the page deletes it on sign-out
const SHELL = ["/route", "/static/app.css", "/static/common.js", "/static/route.css", "/static/route-day.js",
               "/static/route.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("dispatch-route-shell") && n !== SHELL_CACHE)
      .map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// the route of one signed-in person is kept apart from another's: its key carries a digest of the token
async function dataKey(request) {
  const auth = request.headers.get("Authorization") || "";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(auth));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const url = new URL(request.url);
  url.searchParams.set("sw-user", hex.slice(0, 32));
  return url.toString();
}

async function networkFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(key);
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/route") {
    event.respondWith(networkFirst(request, SHELL_CACHE, "/route"));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(networkFirst(request, SHELL_CACHE, url.pathname));
  } else if (url.pathname.endsWith("/me/route")) {
    event.respondWith(dataKey(request).then((key) => networkFirst(request, DATA_CACHE, key)));
  }
});
