// The dispatch board: poll the JSON feed every couple of seconds and update in place.
// Without JavaScript the page works as is, with its Refresh link.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch) return;
  var url = board.getAttribute("data-feed");
  var every = Math.min(parseInt(board.getAttribute("data-poll"), 10) || 2000, 2000);
  var live = document.getElementById("board-live");
  var labels = {
    eta: board.getAttribute("data-eta") || "ETA %s min",
  };

  function setField(section, name, value) {
    var el = section.querySelector('[data-field="' + name + '"]');
    if (el) el.textContent = value;
  }

  function row(r) {
    var li = document.createElement("li");
    li.className = "st-" + r.status;
    li.setAttribute("data-recipient", r.id);
    var name = document.createElement("span");
    name.className = "r-name";
    name.textContent = r.name;
    var st = document.createElement("span");
    st.className = "r-status";
    st.textContent = r.status_label;
    li.appendChild(name);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(st);
    if (r.eta_minutes !== null) {
      var eta = document.createElement("span");
      eta.className = "r-eta";
      eta.textContent = labels.eta.replace("%s", r.eta_minutes);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(eta);
    }
    var tier = document.createElement("span");
    tier.className = "r-tier";
    tier.textContent = "· " + r.tier;
    li.appendChild(document.createTextNode(" "));
    li.appendChild(tier);
    if (r.failed_channels.length) {
      var f = document.createElement("span");
      f.className = "board-fail";
      f.textContent = "✕ " + r.failed_channels.join(", ");
      li.appendChild(document.createTextNode(" "));
      li.appendChild(f);
    }
    return li;
  }

  function apply(data) {
    var missing = false;
    data.alerts.forEach(function (a) {
      var section = document.getElementById("alert-" + a.id);
      if (!section) { missing = true; return; }
      var f = a.figures;
      ["target", "going", "arrived", "declined", "silent"].forEach(function (k) {
        setField(section, k, f[k]);
      });
      if (f.attorneys_confirmed !== null) {
        setField(section, "attorneys_confirmed", f.attorneys_confirmed);
        var enough = section.querySelector('[data-field="legal_enough"]');
        if (enough) {
          enough.className = f.legal_enough ? "legal-ok" : "legal-short";
          enough.textContent = enough.getAttribute(f.legal_enough ? "data-yes" : "data-no");
        }
      }
      var fails = Object.keys(f.failures).map(function (ch) { return ch + ": " + f.failures[ch]; });
      setField(section, "failures", fails.length ? "✕ " + fails.join(", ") : "");
      var list = section.querySelector(".board-rows");
      if (list) {
        var frag = document.createDocumentFragment();
        a.rows.forEach(function (r) { frag.appendChild(row(r)); });
        list.replaceChildren(frag);
      }
    });
    if (missing) window.location.reload(); // a new alert for this incident: render it server-side
  }

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
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
      .then(function () { window.setTimeout(tick, every); });
  }
  window.setTimeout(tick, every);
})();
