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
  // Lookup results: picking one fills the hidden id field and the visible label.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-pick-id]");
    if (!button) return;
    var field = document.getElementById("f-" + button.getAttribute("data-pick-field"));
    var search = document.querySelector('[data-lookup-for="f-' + button.getAttribute("data-pick-field") + '"]');
    if (field) field.value = button.getAttribute("data-pick-id");
    if (search) {
      search.value = button.getAttribute("data-pick-label");
      // The picked name is not a new query: drop an answer still on its way, and ask
      // nothing when the field gets the focus again until the text changes.
      search.setAttribute("data-picked", search.value);
      if (window.htmx) window.htmx.trigger(search, "htmx:abort");
    }
    var list = button.closest(".lookup-results");
    if (list) list.remove();
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
  // Choosing a list view opens it (its own filters, columns and sort).
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-navigate]");
    if (!select) return;
    window.location.href = select.getAttribute("data-navigate") + encodeURIComponent(select.value);
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
