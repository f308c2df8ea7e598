// The dispatch board: poll the JSON feed every couple of seconds and update in place.
// Without JavaScript the page works as is, with its Refresh link. Every text comes
// from the server already in the page's language (the feed carries the words, not
// codes); it goes in through textContent only.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch) return;
  var url = board.getAttribute("data-feed");
  var every = Math.min(parseInt(board.getAttribute("data-poll"), 10) || 2000, 2000);
  var live = document.getElementById("board-live");
  var failedLabel = board.getAttribute("data-label-failed") || "";

  function field(section, name) {
    return section.querySelector('[data-field="' + name + '"]');
  }

  function setField(section, name, value) {
    var el = field(section, name);
    if (!el) return;
    if ((value === "" || value === null) && el.hasAttribute("data-label-none")) {
      value = el.getAttribute("data-label-none");
    }
    el.textContent = value === null ? "" : String(value);
  }

  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function row(r) {
    var li = document.createElement("li");
    li.className = "st-" + r.status;
    li.setAttribute("data-recipient", r.id);
    var parts = [span("r-name", r.name), span("r-status", r.status_label)];
    if (r.eta_label) parts.push(span("r-eta", r.eta_label));
    parts.push(span("r-tier", r.tier_label));
    if (r.failed_label) parts.push(span("board-fail", failedLabel + " " + r.failed_label));
    parts.forEach(function (p, i) {
      if (i) li.appendChild(document.createTextNode(" "));
      li.appendChild(p);
    });
    return li;
  }

  function apply(data) {
    var missing = false;
    data.alerts.forEach(function (a) {
      var section = document.getElementById("alert-" + a.id);
      if (!section) { missing = true; return; }
      var f = a.figures;
      ["target", "going", "arrived", "declined", "silent", "asked", "state_text",
       "sending_text", "eta_text", "next_step_text", "failures_text"].forEach(function (k) {
        setField(section, k, f[k]);
      });
      if (f.attorneys_confirmed !== null) {
        setField(section, "attorneys_confirmed", f.attorneys_confirmed);
        var enough = field(section, "legal_enough");
        if (enough) {
          enough.className = f.legal_enough ? "legal-ok" : "legal-short";
          enough.textContent = enough.getAttribute(f.legal_enough ? "data-label-yes" : "data-label-no");
        }
      }
      var list = section.querySelector(".board-rows");
      if (list && a.rows) {
        var frag = document.createDocumentFragment();
        a.rows.forEach(function (r) { frag.appendChild(row(r)); });
        list.replaceChildren(frag);
      }
    });
    if (missing) window.location.reload(); // a new alert for this incident: render it server-side
  }

  function poll(again) {
    // The people's rows only while a list is open: no names are decrypted for nobody.
    var open = board.querySelector("details.board-people[open]") !== null;
    var feed = open ? url : url + (url.indexOf("?") < 0 ? "?" : "&") + "people=0";
    fetch(feed, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) {
          apply(data);
          if (live) live.hidden = false;
          // other parts of the board (board_escalation.js) update from the same feed
          document.dispatchEvent(new CustomEvent("board:feed", { detail: data }));
        }
      })
      .catch(function () { if (live) live.hidden = true; })
      .then(function () { if (again) window.setTimeout(function () { poll(true); }, every); });
  }
  // Opening a folded list shows its people as they are now, not as at page load.
  board.addEventListener("toggle", function (e) {
    if (e.target.open && e.target.classList.contains("board-people")) poll(false);
  }, true);
  window.setTimeout(function () { poll(true); }, every);
})();
