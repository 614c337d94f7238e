// Autosave for the activity form: what is typed is kept on this device as it is typed
// (static/js/device-store.js), per user and per form (a new form by its idempotency key,
// an edit by record and version), and put back when the form is opened again — after
// the page was closed, the phone restarted, the session expired or the server refused
// the save — with a notice and a Discard button. A copy goes once the server has it.
//
// The form is read and written generically (every named control, as FormData sees
// it), so this keeps working whatever the form's layout; after restoring, `input` and
// `change` events let the form's own script catch up (show the chosen type's fields).
//
// Saving without a connection puts the form in the outbox (static/js/outbox.js).
(function () {
  "use strict";

  var device = window.FieldLogDevice;
  var form = document.querySelector("form[data-activity-form]");
  if (!device || !device.user || !form) return;

  var DEBOUNCE_MS = 400;
  var SKIP = { csrftoken: true, _action: true };
  var keyInput = form.querySelector("input[name=idempotency_key]");
  var versionInput = form.querySelector("input[name=version]");
  var isNew = Boolean(keyInput);
  var recordId = (form.getAttribute("action").match(/\/activities\/(\d+)\/edit/) || [])[1];
  var formUrl = isNew ? "/activities/new" : "/activities/" + recordId + "/edit";
  var params = new URLSearchParams(location.search);

  function formKey() {
    return isNew ? "new:" + keyInput.value : "edit:" + recordId + ":" + (versionInput ? versionInput.value : "");
  }

  function named(el) {
    return el.name && !SKIP[el.name] && !/^(submit|button|reset|file|image)$/.test(el.type || "");
  }

  // [name, value] pairs, as the form would post them (disabled controls left out).
  function read() {
    var pairs = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!named(el) || el.matches(":disabled")) return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.type === "select-multiple") {
        Array.prototype.forEach.call(el.selectedOptions, function (opt) {
          pairs.push([el.name, opt.value]);
        });
        return;
      }
      pairs.push([el.name, el.value]);
    });
    return pairs;
  }

  function fire(el) {
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // Put `pairs` back. Controls enabled by another control's change (the chosen type's
  // fieldset) are filled on the next pass; passes stop when nothing changes.
  function write(pairs) {
    for (var pass = 0; pass < 4; pass++) {
      var values = {};
      pairs.forEach(function (pair) {
        (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
      });
      var used = {};
      var changed = false;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!named(el) || el.matches(":disabled")) return;
        var wanted = values[el.name] || [];
        var differs = false;
        if (el.type === "checkbox" || el.type === "radio") {
          var on = wanted.indexOf(el.value) !== -1;
          differs = el.checked !== on;
          el.checked = on;
        } else if (el.type === "select-multiple") {
          Array.prototype.forEach.call(el.options, function (opt) {
            var sel = wanted.indexOf(opt.value) !== -1;
            differs = differs || opt.selected !== sel;
            opt.selected = sel;
          });
        } else {
          var index = used[el.name] || 0;
          used[el.name] = index + 1;
          var value = index < wanted.length ? wanted[index] : "";
          differs = el.value !== value;
          if (differs) el.value = value;
        }
        if (differs) {
          changed = true;
          if (el.type !== "hidden") fire(el);
        }
      });
      if (!changed) return;
    }
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function titleOf(pairs) {
    var found = pairs.filter(function (p) {
      return p[0] === "title";
    })[0];
    return found ? found[1] : "";
  }

  function record(pairs) {
    return { fields: pairs, savedAt: Date.now(), url: formUrl, title: titleOf(pairs), kind: isNew ? "new" : "edit" };
  }

  // --- saving as it is typed -------------------------------------------------------------
  var pristine = null; // the form as it was shown (after any restore): no draft for that
  var currentKey = null;
  var timer = null;

  function save() {
    clearTimeout(timer);
    timer = null;
    var pairs = read();
    var key = formKey();
    if (key !== currentKey) {
      if (currentKey) device.drafts.remove(currentKey);
      currentKey = key;
    }
    if (same(pairs, pristine)) return device.drafts.remove(key);
    return device.drafts.put(key, record(pairs));
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(save, DEBOUNCE_MS);
  }

  // The page may be leaving (a save, a closed tab): IndexedDB may not finish in time, so
  // the form goes to localStorage at once and into the drafts on the next page.
  function keepNow(submitted) {
    clearTimeout(timer);
    timer = null;
    var pairs = read();
    if (same(pairs, pristine) && !submitted) return;
    device.keepUnsaved({ formKey: formKey(), recordId: recordId || null, submitted: submitted, record: record(pairs) });
  }

  // --- the notice after restoring --------------------------------------------------------
  function notice(savedAt, discard) {
    var box = document.createElement("div");
    box.className = "device-notice";
    box.setAttribute("role", "status");
    box.setAttribute("data-restored-notice", "");
    var text = document.createElement("p");
    var at = new Date(savedAt);
    var hhmm = ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
    text.textContent = "Restored what you typed on this device at " + hhmm + ".";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary outline small";
    button.textContent = "Discard";
    button.addEventListener("click", discard);
    box.appendChild(text);
    box.appendChild(button);
    form.parentNode.insertBefore(box, form);
  }

  function restore(draft, fromKey) {
    write(draft.fields);
    pristine = null;
    notice(draft.savedAt, function () {
      device.drafts.remove(fromKey).then(function () {
        location.replace(formUrl);
      });
    });
  }

  // A key this device already sent (a cached copy of the page carries the key it had
  // when it was cached) is replaced, so the new activity is not mistaken for that one.
  function freshKeyIfUsed() {
    if (isNew && device.keyUsed(keyInput.value)) keyInput.value = device.newKey();
  }

  // --- saving without a connection -------------------------------------------------------
  function queueOffline() {
    var pairs = read();
    var key = keyInput.value;
    device.useKey(key);
    return window.FieldLogOutbox.queue({ key: key, action: "/activities/new", fields: pairs, title: titleOf(pairs) })
      .then(function () {
        return device.drafts.remove(formKey());
      })
      .then(function () {
        form.reset();
        keyInput.value = device.newKey();
        Array.prototype.forEach.call(form.elements, function (el) {
          if (el.tagName === "SELECT") fire(el);
        });
        pristine = read();
        currentKey = formKey();
        window.scrollTo(0, 0);
      });
  }

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.name === "_action" && submitter.value !== "save") return;
    if (isNew) device.useKey(keyInput.value);
    if (isNew && navigator.onLine === false && window.FieldLogOutbox) {
      event.preventDefault();
      queueOffline();
      return;
    }
    if (!isNew && navigator.onLine === false) {
      // A change to a record needs the server (its version is checked there): keep it here.
      event.preventDefault();
      save();
      offlineEditNotice();
      return;
    }
    keepNow(true);
  });

  function offlineEditNotice() {
    if (document.querySelector("[data-offline-edit-notice]")) return;
    var box = document.createElement("div");
    box.className = "device-notice";
    box.setAttribute("role", "alert");
    box.setAttribute("data-offline-edit-notice", "");
    var text = document.createElement("p");
    text.textContent =
      "No connection: your changes are kept on this device. Press Save again when the connection returns.";
    box.appendChild(text);
    form.parentNode.insertBefore(box, form);
    window.addEventListener("online", function () {
      if (box.parentNode) box.parentNode.removeChild(box);
    });
  }

  function start() {
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    window.addEventListener("pagehide", function () {
      if (timer) keepNow(false);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && timer) save();
    });
    form.setAttribute("data-autosave", "on");
  }

  // --- on load: what to put back ---------------------------------------------------------
  function load() {
    var shown = read();
    var unsent = params.get("unsent");
    var wanted = params.get("draft");
    // The service worker could not send the form (static/sw.js): into the outbox with it.
    if (isNew && unsent) {
      return device.drafts.get("new:" + unsent).then(function (draft) {
        history.replaceState(null, "", formUrl);
        freshKeyIfUsed();
        pristine = read();
        currentKey = formKey();
        if (!draft || !window.FieldLogOutbox) return;
        return window.FieldLogOutbox.queue({ key: unsent, action: "/activities/new", fields: draft.fields, title: titleOf(draft.fields) }).then(function () {
          return device.drafts.remove("new:" + unsent);
        });
      });
    }
    if (isNew && wanted) {
      return device.drafts.get("new:" + wanted).then(function (draft) {
        if (draft) {
          restore(draft, "new:" + wanted);
          currentKey = formKey();
        } else {
          freshKeyIfUsed();
          pristine = read();
          currentKey = formKey();
        }
      });
    }
    return device.drafts.get(formKey()).then(function (own) {
      if (own) {
        // This very form again (shown again after a refused save, or a cached copy).
        // (shown as typed, or not: either way not yet saved, so the copy stays)
        if (!same(own.fields, shown)) restore(own, formKey());
        else pristine = null;
        freshKeyIfUsed();
        currentKey = formKey();
        if (currentKey !== own.formKey) {
          device.drafts.remove(own.formKey);
          save();
        }
        return;
      }
      // The server refused the save and showed the form again, with what was posted and
      // perhaps a new key (that key had made another record): this page is that form.
      var posted = device.lastSubmitted;
      // What it shows is not saved: the device copy stays until it is.
      if (posted && form.parentNode.querySelector(".problem, [role=alert]")) {
        pristine = null;
        freshKeyIfUsed();
        currentKey = posted.formKey;
        return save();
      }
      freshKeyIfUsed();
      if (!isNew) {
        pristine = shown;
        currentKey = formKey();
        return;
      }
      // A blank new form: the newest unsent new-activity draft of this user comes back.
      return device.drafts.all().then(function (all) {
        var latest = all.filter(function (d) {
          return d.kind === "new";
        })[0];
        if (latest) restore(latest, latest.formKey);
        else pristine = read();
        currentKey = formKey();
      });
    });
  }

  device.ready
    .then(load)
    .catch(function () {
      /* no IndexedDB (private mode): the form still works, without a device copy */
    })
    .then(start);
})();
