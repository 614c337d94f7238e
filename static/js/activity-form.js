// The activity form with JavaScript on: the chosen type's own fields appear at once.
// Without JavaScript the server renders only the chosen type's fieldset, and the
// "Show the fields for this type" button re-renders the form (keeping what was typed).
// No inline scripts: this file is the form's only script (CSP script-src 'self').
(function () {
  "use strict";

  function setUpTypeFields(form) {
    var select = form.querySelector("[data-type-select]");
    var holder = form.querySelector("[data-type-fields]");
    if (!select || !holder) return;

    // Bring every type's fieldset into the page (the others arrive as <template>s).
    Array.prototype.forEach.call(
      holder.querySelectorAll("template[data-type-template]"),
      function (template) {
        holder.insertBefore(document.importNode(template.content, true), template);
        template.parentNode.removeChild(template);
      }
    );

    // Switching is instant now: the refresh button goes (so Enter never presses it).
    var refresh = form.querySelector("[data-type-refresh]");
    if (refresh) refresh.parentNode.removeChild(refresh);
    var hint = form.querySelector("[data-no-js-hint]");
    if (hint) hint.textContent = "The fields of the chosen type appear at the end of the form.";
    var shown = form.querySelector("[data-shown-type]");
    var noType = holder.querySelector("[data-no-type]");

    function show(type) {
      Array.prototype.forEach.call(
        holder.querySelectorAll("fieldset[data-type]"),
        function (fieldset) {
          var on = fieldset.getAttribute("data-type") === type;
          fieldset.hidden = !on;
          // A disabled fieldset's controls are not sent: another type's fields never post.
          fieldset.disabled = !on;
        }
      );
      if (noType) noType.hidden = Boolean(type);
      if (shown) shown.value = type;
    }

    select.addEventListener("change", function () {
      show(select.value);
    });
    show(select.value);
  }

  // A filter box over a long checkbox list (locations, partners): handy on a phone.
  function setUpFilter(fieldset) {
    var list = fieldset.querySelector(".picker-list");
    if (!list) return;
    var name = fieldset.getAttribute("data-filterable");
    var id = "filter-" + name;
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
      Array.prototype.forEach.call(list.querySelectorAll("fieldset.group"), function (group) {
        var any = false;
        Array.prototype.forEach.call(group.querySelectorAll("label"), function (item) {
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
    Array.prototype.forEach.call(document.querySelectorAll("[data-activity-form]"), function (form) {
      setUpTypeFields(form);
      Array.prototype.forEach.call(form.querySelectorAll("[data-filterable]"), setUpFilter);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
