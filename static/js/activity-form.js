// The activity form with JavaScript on: the chosen type's own fields appear at once, the
// type presets its usual dimension, response area and themes, each date shows the input for
// its precision, and the long lists can be filtered.
// Without JavaScript the server renders only the chosen type's fieldset (with the presets),
// and the "Show the fields for this type" button re-renders the form (keeping what was typed).
// No inline scripts: this file is the form's only script (CSP script-src 'self'); the preset
// table arrives as data in <script type="application/json" id="activity-presets">.
(function () {
  "use strict";

  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function checkedType(form) {
    var radio = form.querySelector("[data-type-radio]:checked");
    return radio ? radio.value : "";
  }

  function setUpTypeFields(form, onType) {
    var radios = form.querySelectorAll("[data-type-radio]");
    var holder = form.querySelector("[data-type-fields]");
    if (!radios.length || !holder) return;

    // Bring every type's fieldset into the page (the others arrive as <template>s).
    each(holder.querySelectorAll("template[data-type-template]"), function (template) {
      holder.insertBefore(document.importNode(template.content, true), template);
      template.parentNode.removeChild(template);
    });

    // Switching is instant now: the refresh button goes (so Enter never presses it).
    var refresh = form.querySelector("[data-type-refresh]");
    if (refresh) refresh.parentNode.removeChild(refresh);
    var hint = form.querySelector("[data-no-js-hint]");
    if (hint) hint.textContent = "Its own fields appear below the title.";
    var shown = form.querySelector("[data-shown-type]");
    var noType = holder.querySelector("[data-no-type]");

    function show(type) {
      each(holder.querySelectorAll("fieldset[data-type]"), function (fieldset) {
        var on = fieldset.getAttribute("data-type") === type;
        fieldset.hidden = !on;
        // A disabled fieldset's controls are not sent: another type's fields never post.
        fieldset.disabled = !on;
      });
      if (noType) noType.hidden = Boolean(type);
      if (shown) shown.value = type;
    }

    var current = checkedType(form);
    each(radios, function (radio) {
      radio.addEventListener("change", function () {
        var type = checkedType(form);
        show(type);
        onType(type, current);
        current = type;
      });
    });
    show(current);
  }

  // --- presets: never over a value the person chose --------------------------------------
  function setUpPresets(form) {
    var data = document.getElementById("activity-presets");
    var table = {};
    try { table = JSON.parse(data ? data.textContent : "{}"); } catch (e) { table = {}; }
    var isNew = form.getAttribute("data-presets-mode") === "new";
    var dimension = form.querySelector("#f-dimension");
    var area = form.querySelector("#f-response_area");
    var themes = form.querySelectorAll("input[name=themes]");
    var summary = form.querySelector("[data-preset-summary]");
    // Set by the person (a change event comes only from them, never from this script).
    var touched = { dimension: false, response_area: false, themes: false };
    if (dimension) dimension.addEventListener("change", function () { touched.dimension = true; describe(); });
    if (area) area.addEventListener("change", function () { touched.response_area = true; describe(); });
    each(themes, function (box) {
      box.addEventListener("change", function () { touched.themes = true; describe(); });
    });

    function chosenThemes() {
      var values = [];
      each(themes, function (box) { if (box.checked) values.push(box.value); });
      return values.sort();
    }

    function sameList(a, b) {
      return a.length === b.length && a.slice().sort().join("|") === b.slice().sort().join("|");
    }

    function optionText(select) {
      return select && select.value ? select.options[select.selectedIndex].text : "";
    }

    function describe() {
      if (!summary) return;
      var n = chosenThemes().length;
      var parts = [optionText(dimension), optionText(area)].filter(Boolean);
      if (n) parts.push(n + (n === 1 ? " theme" : " themes"));
      summary.textContent = parts.join(" · ");
    }

    // Filled when empty, or (new record) when it still holds the previous type's preset.
    function fill(type, previous) {
      var wanted = table[type];
      if (!wanted) return;
      var before = isNew && previous && previous !== type ? table[previous] : null;
      [[dimension, "dimension"], [area, "response_area"]].forEach(function (pair) {
        var select = pair[0], name = pair[1];
        if (!select || touched[name]) return;
        if (!select.value || (before && select.value === before[name])) select.value = wanted[name];
      });
      var now = chosenThemes();
      if (!touched.themes && (!now.length || (before && sameList(now, before.themes)))) {
        each(themes, function (box) { box.checked = wanted.themes.indexOf(box.value) !== -1; });
      }
      describe();
    }
    return fill;
  }

  // --- dates: the inputs of the chosen precision, kept in step ---------------------------
  function setUpDate(fieldset) {
    var part = function (name) { return fieldset.querySelector("[data-part=" + name + "]"); };
    var day = part("day"), month = part("month"), year = part("year"), quarter = part("quarter");

    function showParts() {
      var checked = fieldset.querySelector("[data-precision]:checked");
      var precision = checked ? checked.value : "day";
      var wanted = {
        day: ["day"], month: ["month"], quarter: ["year", "quarter"], year: ["year"]
      }[precision] || ["day"];
      each(fieldset.querySelectorAll(".date-part"), function (div) {
        var input = div.querySelector("[data-part]");
        div.hidden = wanted.indexOf(input.getAttribute("data-part")) === -1;
      });
    }

    // A finer date also fills the coarser inputs: choosing a coarser precision keeps it.
    function fromMonth(text) {
      var m = /^(\d{4})-(\d{2})/.exec(text || "");
      if (!m) return;
      year.value = m[1];
      quarter.value = String(Math.floor((parseInt(m[2], 10) - 1) / 3) + 1);
    }
    day.addEventListener("change", function () {
      var m = /^(\d{4}-\d{2})-\d{2}$/.exec(day.value);
      if (m) { month.value = m[1]; fromMonth(m[1]); }
    });
    month.addEventListener("change", function () { fromMonth(month.value); });
    each(fieldset.querySelectorAll("[data-precision]"), function (radio) {
      radio.addEventListener("change", showParts);
    });
    showParts();
  }

  // --- a filter box over a long checkbox list (places, partners): handy on a phone --------
  function setUpFilter(fieldset) {
    var list = fieldset.querySelector(".picker-list");
    if (!list) return;
    var name = fieldset.getAttribute("data-filter-label") || fieldset.getAttribute("data-filterable");
    var id = "filter-" + fieldset.getAttribute("data-filterable");
    var wrap = document.createElement("div");
    wrap.className = "picker-filter";
    var label = document.createElement("label");
    label.setAttribute("for", id);
    label.className = "visually-hidden";
    label.textContent = "Filter the " + name + " by name";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.placeholder = "Type to filter the " + name;
    input.autocomplete = "off";
    wrap.appendChild(label);
    wrap.appendChild(input);
    list.parentNode.insertBefore(wrap, list);

    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase();
      each(list.querySelectorAll("fieldset.group"), function (group) {
        var any = false;
        each(group.querySelectorAll("label"), function (item) {
          var box = item.querySelector("input");
          var match = !words || item.textContent.toLowerCase().indexOf(words) !== -1 ||
            (box && box.checked);
          item.hidden = !match;
          any = any || match;
        });
        group.hidden = !any;
      });
    });
    // Enter in the filter box must not submit the form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
  }

  function init() {
    each(document.querySelectorAll("[data-activity-form]"), function (form) {
      var fill = setUpPresets(form);
      setUpTypeFields(form, fill);
      each(form.querySelectorAll("[data-date-field]"), setUpDate);
      each(form.querySelectorAll("[data-filterable]"), setUpFilter);
      // A required field in a collapsed section: open the section so the browser can point at it.
      form.addEventListener("invalid", function (event) {
        var section = event.target.closest ? event.target.closest("details") : null;
        if (section) section.open = true;
      }, true);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
