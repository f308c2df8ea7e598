/* The import page's progress bar: asks how far the import is every second and moves
   the bar; reloads the page when the import ends, to show its counts and problems.
   Without JavaScript the page refreshes itself instead (a <noscript> meta refresh).
   A file, not an inline script, so the Content-Security-Policy can forbid those. */
(function () {
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("import-bar");
  var fields = {
    done: document.getElementById("import-done"),
    percent: document.getElementById("import-percent"),
    created: document.getElementById("count-created"),
    updated: document.getElementById("count-updated")
  };
  var heading = document.getElementById("progress-heading");
  function show(data) {
    if (data.status === "running" && heading) { heading.textContent = heading.getAttribute("data-running-text"); }
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    Object.keys(fields).forEach(function (key) {
      if (fields[key]) { fields[key].textContent = data[key]; }
    });
  }
  function poll() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { setTimeout(poll, 3000); return; }
        show(data);
        if (data.active) { setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
