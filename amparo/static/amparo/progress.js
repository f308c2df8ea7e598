/* A progress bar (templates/progress_bar.html: an import, an export being prepared):
   each box with a data-progress-url asks how far its work is every second and moves its
   bar and its [data-progress-field] counts; the page reloads when the work ends, to
   show what came of it. Without JavaScript the page refreshes itself instead (a
   <noscript> meta refresh). A file, not an inline script, so the
   Content-Security-Policy can forbid those. */
(function () {
  if (!window.fetch) { return; }
  function watch(box) {
    var bar = box.querySelector("progress");
    var heading = box.querySelector("[data-running-text]");
    function show(data) {
      if ((data.status === "running" || data.done > 0) && heading) { heading.textContent = heading.getAttribute("data-running-text"); }
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
      Object.keys(data).forEach(function (key) {
        box.parentNode.querySelectorAll("[data-progress-field='" + key + "']").forEach(function (el) {
          el.textContent = data[key];
        });
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
  }
  document.querySelectorAll("[data-progress-url]").forEach(watch);
})();
