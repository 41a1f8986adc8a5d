// Meridian's small island of script: CSRF header for htmx, confirmations, lookups.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("htmx:configRequest", function (event) {
    if (meta) event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  });
  // Forms with data-confirm ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
  // Copy buttons (data-copy="<id>") put the named element's text on the clipboard; the
  // text stays selectable for browsers that refuse.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    source.select && source.select();
    if (navigator.clipboard) navigator.clipboard.writeText(source.value || source.textContent).catch(function () {});
    var done = button.getAttribute("data-copied");
    if (done) button.textContent = done;
  });
  // Lookups: a combobox (role=combobox) whose suggestions arrive from htmx as a listbox
  // (aria-controls). Up/down move through the options, Enter picks, Escape closes; a pick
  // fills the hidden id field and the visible label and closes the list.
  var listOf = function (box) {
    return document.getElementById(box.getAttribute("aria-controls"));
  };
  var boxOf = function (list) {
    return list && document.querySelector('[role="combobox"][aria-controls="' + list.id + '"]');
  };
  var options = function (list) {
    return list ? Array.prototype.slice.call(list.querySelectorAll('[role="option"]:not([aria-disabled="true"])')) : [];
  };
  var setActive = function (box, option) {
    var list = listOf(box);
    options(list).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      box.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  };
  var closeList = function (box) {
    var list = listOf(box);
    if (list) { list.hidden = true; list.innerHTML = ""; }
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  };
  var pick = function (option) {
    var key = option.getAttribute("data-pick-field");
    var field = document.getElementById("f-" + key);
    var box = document.getElementById("lk-" + key) || boxOf(option.closest('[role="listbox"]'));
    if (field) field.value = option.getAttribute("data-pick-id");
    if (box) {
      box.value = option.getAttribute("data-pick-label");
      box.setAttribute("data-picked", box.value);
      closeList(box);
    }
  };
  // Suggestions asked for before a pick do not reopen the list after it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var box = boxOf(event.detail.target);
    if (box && box.hasAttribute("data-picked") && box.getAttribute("data-picked") === box.value) {
      event.detail.shouldSwap = false;
    }
  });
  // New suggestions: the list is open, nothing active yet.
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll('[role="combobox"][aria-controls]').forEach(function (box) {
      var list = listOf(box);
      var open = !!list && !list.hidden && list.children.length > 0;
      box.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open || !box.getAttribute("aria-activedescendant") || !document.getElementById(box.getAttribute("aria-activedescendant"))) {
        box.removeAttribute("aria-activedescendant");
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.getAttribute || box.getAttribute("role") !== "combobox") return;
    var list = listOf(box);
    var open = !!list && !list.hidden && list.children.length > 0;
    var all = options(list);
    var current = document.getElementById(box.getAttribute("aria-activedescendant") || "");
    var at = all.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open || all.length === 0) return;
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      setActive(box, all[(at + step + all.length) % all.length] || all[0]);
    } else if (event.key === "Enter") {
      if (open && current) { event.preventDefault(); pick(current); }
    } else if (event.key === "Escape") {
      if (open) { event.preventDefault(); closeList(box); }
    }
  });
  // A pointer pick; the press must not take the focus from the combobox first.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest("[data-pick-id]")) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-pick-id]");
    if (option) { pick(option); return; }
    // A click elsewhere closes open lists.
    document.querySelectorAll('[role="combobox"][aria-expanded="true"]').forEach(function (box) {
      if (!box.parentNode.contains(event.target)) closeList(box);
    });
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-picked") &&
        elt.value === elt.getAttribute("data-picked")) event.preventDefault();
  });
  // Clearing a lookup's text clears its id.
  document.addEventListener("input", function (event) {
    var target = event.target;
    var forId = target.getAttribute && target.getAttribute("data-lookup-for");
    if (forId && target.value.trim() === "") {
      var field = document.getElementById(forId);
      if (field) field.value = "";
    }
  });
  // Form fields that matter only for some values of another field (data-when) follow it.
  var followConditions = function (form) {
    form.querySelectorAll("[data-when]").forEach(function (wrapper) {
      var on = form.elements[wrapper.getAttribute("data-when")];
      if (!on || !on.value) return;
      var values = wrapper.getAttribute("data-when-values").split(" ");
      wrapper.hidden = values.indexOf(on.value) < 0;
    });
  };
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.querySelector("[data-when]")) followConditions(form);
  });
  // Choosing a list view opens it (its own filters, columns and sort).
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-navigate]");
    if (!select) return;
    window.location.href = select.getAttribute("data-navigate") + encodeURIComponent(select.value);
  });
  // Choosing a record type shows the form again for that type, keeping what was typed.
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-refresh-form]");
    if (!select || !select.form) return;
    var marker = document.createElement("input");
    marker.type = "hidden";
    marker.name = "_refresh";
    marker.value = "1";
    select.form.appendChild(marker);
    select.form.submit();
  });
  // Check-in: ask the browser where we are; submit with the position, or without it when
  // the user declines or the browser cannot tell (the time is still recorded).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-geolocate") || form.dataset.located) return;
    event.preventDefault();
    var send = function () { form.dataset.located = "1"; form.submit(); };
    if (!navigator.geolocation) { send(); return; }
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.latitude.value = position.coords.latitude;
      form.elements.longitude.value = position.coords.longitude;
      form.elements.accuracy.value = Math.round(position.coords.accuracy);
      send();
    }, send, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });
})();
