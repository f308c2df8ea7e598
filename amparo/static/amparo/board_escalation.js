// The board's escalation section (alerts/_board_escalation.html), kept current from the
// board's live feed: board.js fires "board:feed" with each answer of the feed. Without
// JavaScript the section is as rendered, with the page's Refresh link.
(function () {
  "use strict";
  if (window.amparoEscalation) return; // the script is included once per alert
  window.amparoEscalation = true;

  function add(li, cls, text) {
    var el = document.createElement("span");
    el.className = cls;
    el.textContent = text;
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el);
  }

  function item(s) {
    var li = document.createElement("li");
    li.className = "esc-" + s.state;
    li.setAttribute("data-step", s.id);
    var time = document.createElement("time");
    time.setAttribute("datetime", s.at);
    time.textContent = s.time;
    li.appendChild(time);
    add(li, "esc-when", "(" + s.relative + ")");
    add(li, "esc-state", s.state_label);
    add(li, "esc-text", s.text);
    if (s.why) {
      var why = document.createElement("small");
      why.className = "esc-why";
      why.textContent = s.why;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(why);
    }
    return li;
  }

  document.addEventListener("board:feed", function (event) {
    event.detail.alerts.forEach(function (a) {
      var section = document.querySelector('[data-escalation="' + a.id + '"]');
      if (!section) return;
      var f = a.figures;
      var list = section.querySelector(".esc-steps");
      if (list) {
        var frag = document.createDocumentFragment();
        f.escalations.forEach(function (s) { frag.appendChild(item(s)); });
        list.replaceChildren(frag);
      }
      var next = section.querySelector('[data-field="next_escalation"]');
      if (next) {
        next.textContent = f.next_escalation
          ? f.next_escalation.headline + " " + f.next_escalation.text
          : section.getAttribute("data-none");
      }
      var controls = section.querySelector(".esc-controls");
      if (controls) controls.hidden = !f.next_escalation;
    });
  });
})();
