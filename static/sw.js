// FieldLog's service worker, served at /sw.js (app/offline.py) so its scope is the whole
// app. Built on Workbox, vendored in static/vendor/workbox: no module comes from a CDN.
//
// - The app shell (CSS, scripts, icons; the list is filled in by app/offline.py with
//   each file's hash) is precached, so the form works without a connection.
// - The activity form page (/activities/new, with the signed-in user's locations,
//   partners, projects and vocabularies rendered into it) is network-first: fresh when
//   online, the last copy when not. One copy, whatever the query string. Sign-out
//   deletes it (static/js/device-store.js).
// - A form post to /activities/new that cannot reach the server comes back as
//   /activities/new?unsent=<key>: the page then moves the device's copy of what was
//   typed (static/js/autosave.js) into the outbox (static/js/outbox.js).
// - Nothing else is cached: other pages hold what only a signed-in person may see.
/* global workbox, importScripts */
importScripts("/static/vendor/workbox/workbox-sw.js");
workbox.setConfig({ debug: false, modulePathPrefix: "/static/vendor/workbox/" });

var PAGES_CACHE = "fieldlog-pages";
var FORM_PATH = "/activities/new";

workbox.core.setCacheNameDetails({ prefix: "fieldlog" });
self.skipWaiting();
workbox.core.clientsClaim();

workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute(self.__WB_MANIFEST);

// Only a 200 of the blank form is kept: not a redirect to the sign-in page, not an error,
// not a form filled from the address (?type=…, a copy of another record); read back
// whatever the query string (?draft=…, ?unsent=… are read by the page's own script).
var formOnly = {
  cacheWillUpdate: function (param) {
    var response = param.response;
    var blank = new URL(param.request.url).search === "";
    return blank && response && response.status === 200 && !response.redirected ? response : null;
  },
  cacheKeyWillBeUsed: function () {
    return new URL(FORM_PATH, self.location.origin).href;
  },
};

var formStrategy = new workbox.strategies.NetworkFirst({
  cacheName: PAGES_CACHE,
  networkTimeoutSeconds: 8,
  plugins: [formOnly],
});

workbox.routing.registerRoute(function (options) {
  return options.request.mode === "navigate" && options.url.pathname === FORM_PATH;
}, formStrategy);

workbox.routing.registerRoute(
  function (options) {
    return options.request.mode === "navigate" && options.url.pathname === FORM_PATH;
  },
  function (options) {
    var copy = options.request.clone();
    return fetch(options.request).catch(function () {
      return copy.formData().then(
        function (data) {
          var key = String(data.get("idempotency_key") || "");
          var target = FORM_PATH + "?unsent=" + encodeURIComponent(key);
          return Response.redirect(new URL(target, self.location.origin).href, 303);
        },
        function () {
          return Response.error();
        }
      );
    });
  },
  "POST"
);

// Other static files (charts, docs) once fetched: served at once, refreshed behind.
workbox.routing.registerRoute(
  function (options) {
    return options.url.origin === self.location.origin && options.url.pathname.indexOf("/static/") === 0;
  },
  new workbox.strategies.StaleWhileRevalidate({
    cacheName: "fieldlog-static",
    plugins: [new workbox.expiration.ExpirationPlugin({ maxEntries: 40 })],
  })
);

// A page asks for the form to be kept ready (it is then there the first time the phone
// is offline, even if the person never opened it online).
self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "keep-form") return;
  event.waitUntil(
    formStrategy.handleAll({ event: event, request: new Request(FORM_PATH, { credentials: "same-origin" }) })[1]
  );
});
