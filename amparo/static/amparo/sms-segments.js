/* Live SMS segment count under each alert text box on the respond page: GSM-7 or UCS-2,
   characters and parts. Moved out of the template so the Content-Security-Policy can
   forbid inline scripts. */
(function () {
  var basic = "@£$¥èéùìòÇ\nØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\r";
  var ext = "\f^{}\\[~]|€";
  function count(t) {
    var n = 0, gsm = true;
    for (var i = 0; i < t.length; i++) {
      if (basic.indexOf(t[i]) >= 0) { n += 1; } else if (ext.indexOf(t[i]) >= 0) { n += 2; } else { gsm = false; break; }
    }
    if (gsm) { return [n, n === 0 ? 0 : (n <= 160 ? 1 : Math.ceil(n / 153)), "GSM-7"]; }
    n = t.length;
    return [n, n <= 70 ? 1 : Math.ceil(n / 67), "UCS-2"];
  }
  document.querySelectorAll("textarea[data-segments]").forEach(function (box) {
    var out = document.querySelector('[data-seg-for="' + box.id + '"] .seg-live');
    if (!out) { return; }
    box.addEventListener("input", function () {
      var c = count(box.value);
      out.textContent = c[2] + " · " + c[0] + " · " + c[1] + " SMS";
    });
  });
})();
