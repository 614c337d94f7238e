// What FieldLog keeps on this device, in IndexedDB through `idb` (static/vendor/idb):
// - drafts: what was typed into an activity form, per user and per form, so a closed
//   page, a restarted phone or an expired session loses nothing (static/js/autosave.js);
// - outbox: activities saved without a connection, waiting to be sent in order, each with
//   its idempotency key so a resend never makes a second record (static/js/outbox.js).
// Every record carries the user id from <body data-user>; sign-out deletes that user's.
(function () {
  "use strict";

  var DB_NAME = "fieldlog";
  var PAGES_CACHE = "fieldlog-pages"; // the service worker's copy of the form page (static/sw.js)
  var DRAFT_DAYS = 30; // a draft nobody reopened in a month is dropped
  var SIGNED_OUT = "fieldlog.signedOut"; // the user id that just signed out (localStorage)
  var WAITING = "fieldlog.waiting."; // + user id: how many records wait, read synchronously

  var user = document.body ? document.body.getAttribute("data-user") || "" : "";
  var dbPromise = null;

  function open() {
    if (!window.idb || !window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
    if (!dbPromise) {
      dbPromise = window.idb.openDB(DB_NAME, 1, {
        upgrade: function (db) {
          var drafts = db.createObjectStore("drafts", { keyPath: "id" });
          drafts.createIndex("user", "user");
          var outbox = db.createObjectStore("outbox", { keyPath: "key" });
          outbox.createIndex("user", "user");
        },
      });
    }
    return dbPromise;
  }

  function forUser(storeName, who) {
    return open().then(function (db) {
      return db.getAllFromIndex(storeName, "user", who);
    });
  }

  // Forms the server has (their drafts may outlive a page that left before IndexedDB
  // finished deleting them): never restored, deleted when next seen.
  var SAVED_FORMS = "fieldlog.savedForms";

  function savedForms() {
    try {
      return JSON.parse(localStorage.getItem(SAVED_FORMS) || "[]");
    } catch (e) {
      return [];
    }
  }

  function markSaved(id) {
    var ids = savedForms();
    if (ids.indexOf(id) === -1) ids.push(id);
    try {
      localStorage.setItem(SAVED_FORMS, JSON.stringify(ids.slice(-100)));
    } catch (e) {
      /* the IndexedDB delete that follows is then the only one */
    }
  }

  function isSaved(row) {
    return row && savedForms().indexOf(row.id) !== -1;
  }

  var drafts = {
    id: function (formKey, who) {
      return (who || user) + "|" + formKey;
    },
    get: function (formKey) {
      return open()
        .then(function (db) {
          return db.get("drafts", drafts.id(formKey));
        })
        .then(function (row) {
          if (!isSaved(row)) return row;
          drafts.remove(formKey);
          return undefined;
        });
    },
    put: function (formKey, record) {
      record.id = drafts.id(formKey);
      if (isSaved(record)) return Promise.resolve();
      record.user = user;
      record.formKey = formKey;
      return open().then(function (db) {
        return db.put("drafts", record);
      });
    },
    remove: function (formKey) {
      return open().then(function (db) {
        return db.delete("drafts", drafts.id(formKey));
      });
    },
    // The server has this form now: its draft goes, and never comes back.
    settled: function (formKey) {
      markSaved(drafts.id(formKey));
      return drafts.remove(formKey);
    },
    // This user's drafts, newest first; those older than DRAFT_DAYS are deleted on the way.
    all: function () {
      var oldest = Date.now() - DRAFT_DAYS * 24 * 3600 * 1000;
      return forUser("drafts", user).then(function (rows) {
        var kept = [];
        rows.forEach(function (row) {
          if (row.savedAt < oldest || isSaved(row)) drafts.remove(row.formKey);
          else kept.push(row);
        });
        return kept.sort(function (a, b) {
          return b.savedAt - a.savedAt;
        });
      });
    },
  };

  function countWaiting(rows) {
    var n = rows.filter(function (row) {
      return row.state !== "sent";
    }).length;
    try {
      if (n) localStorage.setItem(WAITING + user, String(n));
      else localStorage.removeItem(WAITING + user);
    } catch (e) {
      /* private mode: the sign-out warning then asks IndexedDB too late, and says nothing */
    }
    return rows;
  }

  var outbox = {
    // This user's records, oldest first: the order they are sent in.
    all: function () {
      return forUser("outbox", user).then(function (rows) {
        return countWaiting(
          rows.sort(function (a, b) {
            return a.queuedAt - b.queuedAt;
          })
        );
      });
    },
    get: function (key) {
      return open().then(function (db) {
        return db.get("outbox", key);
      });
    },
    put: function (record) {
      record.user = user;
      return open()
        .then(function (db) {
          return db.put("outbox", record);
        })
        .then(outbox.all);
    },
    remove: function (key) {
      return open()
        .then(function (db) {
          return db.delete("outbox", key);
        })
        .then(outbox.all);
    },
    // Synchronous, for the sign-out warning (a confirm() cannot wait for IndexedDB).
    waitingCount: function () {
      try {
        return Number(localStorage.getItem(WAITING + user) || 0);
      } catch (e) {
        return 0;
      }
    },
  };

  // Everything this device keeps for `who`: drafts, outbox and the cached form page.
  function forget(who) {
    var jobs = [];
    if (window.caches) jobs.push(caches.delete(PAGES_CACHE));
    try {
      localStorage.removeItem(WAITING + who);
      localStorage.removeItem("fieldlog.formKept." + who); // static/js/outbox.js
      var unsaved = JSON.parse(localStorage.getItem(UNSAVED) || "null");
      if (unsaved && unsaved.user === who) localStorage.removeItem(UNSAVED);
    } catch (e) {
      /* nothing stored */
    }
    jobs.push(
      open().then(function (db) {
        var tx = db.transaction(["drafts", "outbox"], "readwrite");
        var deletes = ["drafts", "outbox"].map(function (name) {
          return tx
            .objectStore(name)
            .index("user")
            .getAllKeys(who)
            .then(function (keys) {
              return Promise.all(
                keys.map(function (key) {
                  return tx.objectStore(name).delete(key);
                })
              );
            });
        });
        return Promise.all(deletes).then(function () {
          return tx.done;
        });
      })
    );
    return Promise.all(jobs);
  }

  // A new key for a create, made on this device (see app/activities/idempotency.py).
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      })
      .join("");
  }

  // Keys of creates this device has sent (or tried to): a page showing one of them again
  // (a cached copy) gets a new key instead.
  var USED_KEYS = "fieldlog.usedKeys";

  function usedKeys() {
    try {
      return JSON.parse(localStorage.getItem(USED_KEYS) || "[]");
    } catch (e) {
      return [];
    }
  }

  function useKey(key) {
    var keys = usedKeys().filter(function (k) {
      return k !== key;
    });
    keys.push(key);
    try {
      localStorage.setItem(USED_KEYS, JSON.stringify(keys.slice(-200)));
    } catch (e) {
      /* full or private: a cached page may then offer a used key, which the server refuses */
    }
  }

  // A form leaving the page (a save, a closed tab) is kept synchronously in localStorage,
  // then moved into the drafts on the next page of the same user; dropped there if that
  // page is the saved record (the save went through).
  var UNSAVED = "fieldlog.unsaved";

  function keepUnsaved(entry) {
    entry.user = user;
    try {
      localStorage.setItem(UNSAVED, JSON.stringify(entry));
    } catch (e) {
      /* the debounced IndexedDB copy is then the latest one */
    }
  }

  function saved(entry) {
    var params = new URLSearchParams(location.search);
    var shown = (location.pathname.match(/^\/activities\/(\d+)$/) || [])[1];
    if (!shown || !entry.submitted) return false;
    if (entry.recordId) {
      return shown === String(entry.recordId) && /^(updated|unchanged)$/.test(params.get("done") || "");
    }
    return params.get("done") === "created";
  }

  function settleUnsaved() {
    var entry = null;
    try {
      entry = JSON.parse(localStorage.getItem(UNSAVED) || "null");
    } catch (e) {
      entry = null;
    }
    if (!entry || !user || entry.user !== user) return Promise.resolve();
    localStorage.removeItem(UNSAVED);
    window.FieldLogDevice.lastSubmitted = entry.submitted ? entry : null;
    if (saved(entry)) {
      // a refused record reopened from the outbox and now saved leaves the outbox too
      var key = entry.formKey.indexOf("new:") === 0 ? entry.formKey.slice(4) : null;
      return Promise.all([drafts.settled(entry.formKey), key ? outbox.remove(key) : null]);
    }
    return drafts.put(entry.formKey, entry.record);
  }

  // The signed-out user's copies go on the first page after sign-out (the sign-in page):
  // the sign-out form posts natively, so nothing here has to finish before it leaves.
  var ready = Promise.resolve();
  try {
    var signedOut = localStorage.getItem(SIGNED_OUT);
    if (signedOut && signedOut !== user) {
      ready = forget(signedOut).then(function () {
        localStorage.removeItem(SIGNED_OUT);
      });
    } else if (signedOut) {
      localStorage.removeItem(SIGNED_OUT);
    }
    // Another person signed in without signing out first: the form page cached for the
    // previous one must not be shown to this one.
    var last = localStorage.getItem("fieldlog.user");
    if (user && last && last !== user && window.caches) {
      localStorage.removeItem("fieldlog.formKept." + user);
      ready = ready.then(function () {
        return caches.delete(PAGES_CACHE);
      });
    }
    if (user) localStorage.setItem("fieldlog.user", user);
  } catch (e) {
    /* no localStorage: nothing was marked */
  }
  ready = ready.then(settleUnsaved).then(
    function () {
      document.documentElement.setAttribute("data-device-ready", "");
    },
    function () {
      document.documentElement.setAttribute("data-device-ready", "");
    }
  );

  window.FieldLogDevice = {
    user: user,
    ready: ready,
    drafts: drafts,
    outbox: outbox,
    forget: forget,
    newKey: newKey,
    useKey: useKey,
    keyUsed: function (key) {
      return usedKeys().indexOf(key) !== -1;
    },
    keepUnsaved: keepUnsaved,
    markSignedOut: function () {
      try {
        localStorage.setItem(SIGNED_OUT, user);
      } catch (e) {
        /* see forget() */
      }
    },
  };
})();
