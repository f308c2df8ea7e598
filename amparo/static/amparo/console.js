/* The dispatcher console, live: polls the JSON feed every 2 s and re-renders the list,
   today's clusters and the map. Vanilla JS; without it the page still works (Refresh link).
   Every text goes in through textContent: reports are hostile input. */
(function () {
  "use strict";
  var list = document.getElementById("incident-list");
  if (!list || !window.fetch) { return; }
  var POLL_MS = 2000;
  var feedUrl = list.getAttribute("data-feed-url");
  var version = list.getAttribute("data-version");
  var latest = parseInt(list.getAttribute("data-latest") || "0", 10);
  var emptyText = (document.getElementById("console-empty") || {}).textContent || "";
  var emptyFoldedText = (document.getElementById("console-empty-folded") || {}).textContent || emptyText;
  var live = document.getElementById("console-live");
  var sound = document.getElementById("console-sound");
  var audio = null;
  var map = null;
  var markers = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function timeEl(t) {
    var node = el("time", "", t.text);
    if (t.iso) { node.setAttribute("datetime", t.iso); }
    return node;
  }

  function rowEl(row) {
    var li = el("li", "incident st-" + row.status + (row.low_trust ? " low-trust" : ""));
    li.setAttribute("data-id", row.id);
    var a = el("a", "incident-link");
    a.href = row.url;
    a.appendChild(el("span", "badge st", row.status_label));
    a.appendChild(document.createTextNode(" "));
    a.appendChild(el("strong", "place", row.place_label));
    li.appendChild(a);
    var times = el("span", "times");
    times.appendChild(timeEl(row.first));
    times.appendChild(document.createTextNode(" – "));
    times.appendChild(timeEl(row.last));
    li.appendChild(times);
    li.appendChild(el("span", "counts", row.reports_label + " · " + row.sources_label));
    if (row.cluster) { li.appendChild(el("span", "badge cluster", row.cluster_label)); }
    if (row.low_trust) { li.appendChild(el("span", "badge low", row.low_trust_label)); }
    if (row.public_note) { li.appendChild(el("span", "note", row.public_note)); }
    return li;
  }

  function renderList(data) {
    var frag = document.createDocumentFragment();
    data.rows.forEach(function (row) { frag.appendChild(rowEl(row)); });
    if (!data.rows.length) {
      var folded = data.folded && data.folded.count;
      frag.appendChild(el("li", "empty", folded ? emptyFoldedText : emptyText));
    }
    list.replaceChildren(frag);
    var total = document.getElementById("console-total");
    if (total) { total.textContent = "(" + data.total + ")"; }
  }

  /* Single reports from the public, folded into one group after the list. */
  function renderFolded(data) {
    var section = document.getElementById("console-folded");
    var ul = document.getElementById("folded-list");
    var folded = data.folded;
    if (!section || !ul) { return; }
    if (!folded || !folded.count) { section.hidden = true; return; }
    var frag = document.createDocumentFragment();
    folded.rows.forEach(function (row) { frag.appendChild(rowEl(row)); });
    ul.replaceChildren(frag);
    var label = document.getElementById("folded-label");
    if (label) { label.textContent = folded.label; }
    var link = document.getElementById("folded-open");
    if (link) { link.textContent = folded.url_label; link.href = folded.url; }
    section.hidden = false;
  }

  function renderClusters(data) {
    var section = document.getElementById("console-clusters");
    var ul = document.getElementById("cluster-list");
    if (!section || !ul) { return; }
    var frag = document.createDocumentFragment();
    data.clusters.forEach(function (c) {
      var li = el("li");
      li.appendChild(el("span", "badge cluster", c.label));
      li.appendChild(document.createTextNode(" " + c.text + ": " + c.towns));
      frag.appendChild(li);
    });
    ul.replaceChildren(frag);
    section.hidden = data.clusters.length === 0;
  }

  function initMap() {
    // Tiles only when a tile server is configured; otherwise the page's own outline.
    var box = document.getElementById("console-map");
    if (!box || box.getAttribute("data-mode") === "outline" || !window.L) { return; }
    var tiles = box.getAttribute("data-tile-url");
    if (!tiles) { return; }
    box.hidden = false;
    try {
      map = window.L.map(box, { attributionControl: true }).setView([42.2, -72.6], 9);
      // If the tile server is unreachable the markers stay on the plain background.
      window.L.tileLayer(tiles, {
        maxZoom: 18,
        attribution: box.getAttribute("data-tile-attribution") || ""
      }).addTo(map);
      markers = window.L.layerGroup().addTo(map);
    } catch (e) {
      box.hidden = true;
      map = null;
    }
  }

  var SVG = "http://www.w3.org/2000/svg";

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }

  function renderOutline(outline) {
    // The plain outline (no tile server): circles and town names, redrawn from the feed.
    var group = document.getElementById("console-map-points");
    var label = document.getElementById("console-map-label");
    if (!group || !outline) { return; }
    var frag = document.createDocumentFragment();
    outline.points.forEach(function (p) {
      var circle = svgEl("circle", { "class": "pt pt-" + p.kind, cx: p.x, cy: p.y, r: p.r });
      circle.appendChild(svgEl("title", {}, p.title));
      frag.appendChild(circle);
      if (p.show_label) {
        frag.appendChild(svgEl("text", { "class": "pt-label", x: p.lx, y: p.ly }, p.label));
      }
    });
    group.replaceChildren(frag);
    if (label) { label.textContent = outline.label; }
  }

  function renderMap(rows) {
    if (!map || !markers) { return; }
    markers.clearLayers();
    var points = [];
    rows.forEach(function (row) {
      if (row.lat === null || row.lng === null) { return; }
      var confirmed = row.status === "confirmed" || row.status === "responding";
      var marker = window.L.circleMarker([row.lat, row.lng], {
        radius: 6 + Math.min(row.sources, 6),
        color: confirmed ? "#b00020" : (row.cluster ? "#3a2a7a" : "#555"),
        weight: 2,
        fillOpacity: 0.5
      });
      var link = el("a", "", row.status_label + " · " + row.place_label);
      link.href = row.url;
      marker.bindPopup(link);
      marker.addTo(markers);
      points.push([row.lat, row.lng]);
    });
    if (points.length) { map.fitBounds(points, { maxZoom: 12, padding: [20, 20] }); }
  }

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return; }
      audio = audio || new Ctx();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
    } catch (e) { /* no sound: the list still updates */ }
  }

  function apply(data) {
    if (data.latest_report > latest && sound && sound.checked) { beep(); }
    latest = Math.max(latest, data.latest_report);
    if (data.version !== version) {
      version = data.version;
      list.setAttribute("data-version", version);
      renderList(data);
      renderFolded(data);
      renderClusters(data);
      renderMap(data.rows);
      renderOutline(data.map);
    }
  }

  function poll() {
    fetch(feedUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        apply(data);
        if (live) { live.hidden = false; }
      })
      .catch(function () { if (live) { live.hidden = true; } })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  if (sound) {
    // A user gesture unlocks WebAudio in browsers that require one.
    sound.addEventListener("change", function () { if (sound.checked) { beep(); } });
  }
  initMap();
  var initial = document.getElementById("console-rows");
  if (initial) {
    try { renderMap(JSON.parse(initial.textContent)); } catch (e) { /* map only */ }
  }
  window.setTimeout(poll, POLL_MS);
})();
