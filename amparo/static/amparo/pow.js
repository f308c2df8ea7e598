/*
 * Amparo: proof of work for the public forms (no third-party code, no build step).
 *
 * A form with data-pow-bits="D" carries a signed challenge in the hidden field
 * "pow_challenge". This script looks for a decimal nonce such that
 * SHA-256(challenge + nonce) begins with D zero bits (about 2^D hashes, a second or
 * so on a cheap phone), using the browser's SubtleCrypto, and puts it in the hidden
 * field "pow_nonce". It starts as soon as the page loads, while the person fills the
 * form; if they press the button first, sending waits for it.
 *
 * Without JavaScript, or where SubtleCrypto is missing (plain http on a LAN address),
 * the nonce stays empty and the server takes the slower path for forms without one.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-pow-bits]");
  if (!form || !window.crypto || !window.crypto.subtle || !window.TextEncoder || !window.Promise) {
    return;
  }
  var challengeField = form.querySelector('input[name="pow_challenge"]');
  var nonceField = form.querySelector('input[name="pow_nonce"]');
  var bits = parseInt(form.getAttribute("data-pow-bits"), 10);
  var status = document.getElementById(form.getAttribute("data-pow-status") || "");
  if (!challengeField || !nonceField || !(bits >= 0 && bits <= 32)) {
    return;
  }
  var BATCH = 256;
  var LIMIT = Math.pow(2, bits + 8); // give up long after the expected 2^bits tries
  var encoder = new TextEncoder();
  var challenge = challengeField.value;

  function leadingZeroBits(buffer) {
    var bytes = new Uint8Array(buffer);
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) {
        count += 8;
        continue;
      }
      return count + Math.clz32(bytes[i]) - 24;
    }
    return count;
  }

  function search(start) {
    if (start > LIMIT) {
      return Promise.reject(new Error("no nonce found"));
    }
    var digests = [];
    for (var n = start; n < start + BATCH; n++) {
      digests.push(window.crypto.subtle.digest("SHA-256", encoder.encode(challenge + n)));
    }
    return Promise.all(digests).then(function (results) {
      for (var i = 0; i < results.length; i++) {
        if (leadingZeroBits(results[i]) >= bits) {
          return String(start + i);
        }
      }
      return search(start + BATCH);
    });
  }

  var solved = search(0).then(
    function (nonce) {
      nonceField.value = nonce;
      return nonce;
    },
    function () {
      return ""; // the server treats the form as sent without JavaScript
    }
  );

  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending || nonceField.value) {
      return;
    }
    event.preventDefault();
    sending = true;
    if (status) {
      status.textContent = form.getAttribute("data-pow-working") || "";
    }
    var button = form.querySelector('button[type="submit"]');
    if (button) {
      button.disabled = true;
    }
    solved.then(function () {
      HTMLFormElement.prototype.submit.call(form);
    });
  });
})();
