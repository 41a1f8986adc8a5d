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
    if (search) search.value = button.getAttribute("data-pick-label");
    var list = button.closest(".lookup-results");
    if (list) list.remove();
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
})();
