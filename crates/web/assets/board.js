// The opportunity board: drag a card onto another column (or pick its stage on the card) to
// move the deal. The move is the deal's stage form, asked for JSON: a refused move shows the
// gate's message and the card stays where it was; a done one reloads the columns' sums.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) return;
  var message = document.getElementById("board-message");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var dragged = null;

  function show(text, ok) {
    message.textContent = text;
    message.className = "flash board-message " + (ok ? "ok" : "error");
    message.setAttribute("role", ok ? "status" : "alert");
    message.hidden = false;
  }

  function refresh() {
    return fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("board");
        if (fresh) board.innerHTML = fresh.innerHTML;
      });
  }

  function move(id, stage, form) {
    var body = new URLSearchParams();
    body.set("stage", stage);
    body.set("csrf_token", csrf);
    board.setAttribute("aria-busy", "true");
    return fetch("/opportunities/" + encodeURIComponent(id) + "/stage", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrf },
      body: body
    })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        show(answer.message || "", !!answer.ok);
        if (answer.link && answer.link.href) {
          // A close needs its review: the way to the review form.
          var a = document.createElement("a");
          a.href = answer.link.href;
          a.className = "review-link";
          a.textContent = answer.link.text || answer.link.href;
          message.appendChild(document.createTextNode(" "));
          message.appendChild(a);
        }
        if (!answer.ok && form) {
          // Snap the picker back to the card's own column.
          var column = form.closest(".board-column");
          if (column) form.querySelector("select").value = column.dataset.stage;
        }
        return answer.ok ? refresh() : null;
      })
      .catch(function () { show(message.dataset.failed || "Error", false); })
      .then(function () { board.removeAttribute("aria-busy"); });
  }

  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".deal-card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.id);
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    board.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });
  board.addEventListener("dragover", function (e) {
    var column = e.target.closest && e.target.closest(".board-column");
    if (!column || !dragged) return;
    e.preventDefault();
    column.classList.add("drop-target");
  });
  board.addEventListener("dragleave", function (e) {
    var column = e.target.closest && e.target.closest(".board-column");
    if (column && !column.contains(e.relatedTarget)) column.classList.remove("drop-target");
  });
  board.addEventListener("drop", function (e) {
    var column = e.target.closest && e.target.closest(".board-column");
    if (!column || !dragged) return;
    e.preventDefault();
    column.classList.remove("drop-target");
    var from = dragged.closest(".board-column");
    if (from === column) return;
    move(dragged.dataset.id, column.dataset.stage);
  });
  board.addEventListener("submit", function (e) {
    var form = e.target.closest && e.target.closest(".card-move");
    if (!form) return;
    e.preventDefault();
    var card = form.closest(".deal-card");
    move(card.dataset.id, form.querySelector("select").value, form);
  });
})();
