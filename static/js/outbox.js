// Works offline: registers the service worker (/sw.js), keeps the form page ready for
// the phone's next time without signal, and sends what was saved on this device while
// offline (static/js/autosave.js puts it in the outbox) once the connection returns —
// on the `online` event and on every page load — in order, each with its idempotency
// key, so a resend answers with the record already made. Each record shows its result:
// sent (a link to it), refused (the server's reason and a link to reopen it in the
// form), or still waiting (no connection, or the session ended: sign in again).
//
// The records are posted as the form posts them (same fields, a fresh CSRF token read
// from the form page), so the server checks them exactly as it checks the form.
(function () {
  "use strict";

  var device = window.FieldLogDevice;
  var region = document.querySelector("[data-device-outbox]");
  var KEEP_FORM_EVERY_MS = 10 * 60 * 1000;
  var signInNeeded = false;
  var sending = false;

  // --- the service worker ----------------------------------------------------------------
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      /* not served over HTTPS, or refused: the app works online as before */
    });
    keepFormReady();
  }

  function keepFormReady() {
    var form = document.body.getAttribute("data-offline-form");
    if (!form || navigator.onLine === false) return;
    var stamp = "fieldlog.formKept." + device.user;
    var last = Number(localStorage.getItem(stamp) || 0);
    if (Date.now() - last < KEEP_FORM_EVERY_MS) return;
    // after device.ready: a page cache being deleted (another person) goes first
    device.ready.then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (!registration.active) return;
      registration.active.postMessage({ type: "keep-form" });
      localStorage.setItem(stamp, String(Date.now()));
    });
  }

  if (!device || !device.user) return;

  // --- what the region shows -------------------------------------------------------------
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function link(href, text) {
    var a = el("a", text);
    a.href = href;
    return a;
  }

  function field(entry, name) {
    var found = entry.fields.filter(function (p) {
      return p[0] === name;
    })[0];
    return found ? found[1] : "";
  }

  function item(entry) {
    var li = el("li", null, "device-item device-" + entry.state);
    li.setAttribute("data-outbox-item", entry.key);
    li.setAttribute("data-state", entry.state);
    var title = el("strong", entry.title || "(no title)");
    li.appendChild(title);
    var start = field(entry, "start");
    if (start) li.appendChild(el("span", " · " + start, "device-when"));
    var status = el("span", null, "device-state");
    if (entry.state === "sent") {
      status.appendChild(document.createTextNode("Sent: "));
      status.appendChild(link(entry.activityUrl, "open the record"));
    } else if (entry.state === "refused") {
      status.textContent = "Not saved: " + entry.message;
      li.appendChild(status);
      var reopen = link("/activities/new?draft=" + encodeURIComponent(entry.key), "Open it in the form to correct it");
      reopen.className = "device-action";
      li.appendChild(reopen);
      return li;
    } else if (entry.state === "sending") {
      status.textContent = "Sending…";
    } else {
      status.textContent = "Waiting to send";
    }
    li.appendChild(status);
    return li;
  }

  function render(entries) {
    if (!region) return entries;
    region.textContent = "";
    if (!entries.length) {
      region.hidden = true;
      return entries;
    }
    var waiting = entries.filter(function (e) {
      return e.state === "waiting" || e.state === "sending";
    }).length;
    var refused = entries.filter(function (e) {
      return e.state === "refused";
    }).length;
    var heading = waiting
      ? "Saved on this device — waiting to send"
      : refused
        ? "Saved on this device — not accepted by the server"
        : "Sent from this device";
    var h = el("h2", heading);
    h.id = "device-outbox-title";
    region.appendChild(h);
    var why = "";
    if (waiting && signInNeeded) why = "Your session has ended: sign in again, and they will be sent.";
    else if (waiting && navigator.onLine === false) why = "No connection: they will be sent when it returns. Keep this phone signed in.";
    else if (waiting) why = "Sending now.";
    if (why) region.appendChild(el("p", why, "device-why"));
    var list = el("ul", null, "device-list");
    entries.forEach(function (entry) {
      list.appendChild(item(entry));
    });
    region.appendChild(list);
    if (signInNeeded) {
      var p = el("p");
      p.appendChild(link("/login?next=" + encodeURIComponent(location.pathname + location.search), "Sign in again"));
      region.appendChild(p);
    }
    region.hidden = false;
    region.setAttribute("data-waiting", String(waiting));
    return entries;
  }

  function refresh() {
    return device.outbox.all().then(render);
  }

  // --- sending ---------------------------------------------------------------------------
  function parse(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  function isSignIn(response) {
    return new URL(response.url, location.href).pathname === "/login";
  }

  // A CSRF token from the form page, fetched now: it also tells whether the session lives.
  function freshToken() {
    return fetch("/activities/new", { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (isSignIn(response)) return null;
      if (!response.ok) throw new Error("form page " + response.status);
      return response.text().then(function (html) {
        var input = parse(html).querySelector("input[name=csrftoken]");
        if (!input) throw new Error("no token");
        return input.value;
      });
    });
  }

  function reason(response) {
    return response.text().then(function (html) {
      var page = parse(html);
      var parts = [];
      ["[role=alert]", ".problem", ".error-summary", "main h1 + p"].forEach(function (selector) {
        Array.prototype.forEach.call(page.querySelectorAll(selector), function (node) {
          // each heading, paragraph and list item on its own, so sentences stay apart
          var blocks = node.querySelectorAll("h2, h3, p, li");
          Array.prototype.forEach.call(blocks.length ? blocks : [node], function (block) {
            var text = block.textContent.replace(/\s+/g, " ").trim();
            if (text && parts.indexOf(text) === -1) parts.push(text);
          });
        });
      });
      var text = parts
        .map(function (part) {
          return /[.!?:]$/.test(part) ? part : part + ".";
        })
        .join(" ");
      return text.slice(0, 600) || "The server refused it (" + response.status + ").";
    });
  }

  function sendOne(entry, token) {
    var body = new URLSearchParams();
    entry.fields.forEach(function (pair) {
      body.append(pair[0], pair[1]);
    });
    body.set("csrftoken", token);
    body.set("_action", "save");
    return fetch(entry.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }).then(function (response) {
      var url = new URL(response.url, location.href);
      var made = url.pathname.match(/^\/activities\/(\d+)$/);
      if (isSignIn(response)) {
        signInNeeded = true;
        return "stop";
      }
      if (response.ok && made) {
        entry.state = "sent";
        entry.activityUrl = url.pathname;
        entry.sentAt = Date.now();
        return device.outbox.put(entry).then(function () {
          return device.drafts.settled("new:" + entry.key);
        });
      }
      if (response.status >= 500) return "stop";
      return reason(response).then(function (message) {
        entry.state = "refused";
        entry.message = message;
        // Reopening it shows what was typed, from a draft (static/js/autosave.js).
        return device.drafts
          .put("new:" + entry.key, { fields: entry.fields, savedAt: entry.queuedAt, url: "/activities/new", title: entry.title, kind: "new" })
          .then(function () {
            return device.outbox.put(entry);
          });
      });
    });
  }

  function sendAll() {
    if (sending || navigator.onLine === false) return refresh();
    sending = true;
    signInNeeded = false;
    return device.outbox
      .all()
      .then(function (entries) {
        var due = entries.filter(function (e) {
          return e.state === "waiting" || e.state === "sending";
        });
        if (!due.length) return entries;
        return freshToken().then(function (token) {
          if (token === null) {
            signInNeeded = true;
            return;
          }
          // In order: the next goes only when the one before has an answer.
          return due.reduce(function (chain, entry) {
            return chain.then(function (stop) {
              if (stop === "stop") return stop;
              entry.state = "sending";
              return device.outbox
                .put(entry)
                .then(render)
                .then(function () {
                  return sendOne(entry, token);
                })
                .catch(function () {
                  return "stop"; // no connection after all: try again later
                })
                .then(function (result) {
                  if (result !== "stop") return result;
                  entry.state = "waiting";
                  return device.outbox.put(entry).then(function () {
                    return "stop";
                  });
                });
            });
          }, Promise.resolve());
        });
      })
      .catch(function () {
        /* the form page could not be fetched: try again on the next page or `online` */
      })
      .then(function () {
        sending = false;
        return refresh();
      });
  }

  // Results already shown on an earlier page go; waiting and refused ones stay.
  function dropShown() {
    return device.outbox.all().then(function (entries) {
      return Promise.all(
        entries.map(function (entry) {
          if (entry.state !== "sent") return null;
          if (entry.shown) return device.outbox.remove(entry.key);
          entry.shown = true;
          return device.outbox.put(entry);
        })
      );
    });
  }

  function queue(entry) {
    entry.state = "waiting";
    entry.queuedAt = Date.now();
    return device.outbox.put(entry).then(render).then(function () {
      if (navigator.onLine !== false) return sendAll();
    });
  }

  window.FieldLogOutbox = { queue: queue, sendAll: sendAll };

  // --- sign-out --------------------------------------------------------------------------
  // The form posts natively (nothing has to finish first); the sign-in page that follows
  // deletes this user's copies (static/js/device-store.js). Warn if any wait to be sent.
  document.addEventListener(
    "submit",
    function (event) {
      var target = event.target;
      if (!target || target.getAttribute("action") !== "/logout") return;
      var n = device.outbox.waitingCount();
      if (n) {
        var what = n === 1 ? "1 activity saved on this device has" : n + " activities saved on this device have";
        var ok = window.confirm(
          what + " not been sent yet. Signing out deletes " + (n === 1 ? "it" : "them") +
            " from this phone. Sign out anyway?"
        );
        if (!ok) {
          event.preventDefault();
          return;
        }
      }
      device.markSignedOut();
    },
    true
  );

  window.addEventListener("online", function () {
    keepFormReady();
    sendAll();
  });
  window.addEventListener("offline", refresh);

  device.ready.then(dropShown).then(sendAll).catch(function () {
    /* no IndexedDB: nothing can have been kept */
  });
})();
