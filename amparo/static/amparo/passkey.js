/*
 * Amparo: passkeys (WebAuthn) as a second factor. No third-party code, no build step.
 *
 * A section with data-passkey="register" (amparo/twofactor/templates/twofactor/
 * _passkey_setup.html) or data-passkey="authenticate" (_passkey_verify.html) carries:
 *   data-options-url, data-verify-url   the JSON endpoints (amparo/twofactor/views_passkey.py)
 *   data-next                           where to go afterwards (the server checks it)
 *   data-error-*, data-working          every sentence shown, translated by the template
 * and contains the page's CSRF token in a hidden input (the CSRF cookie is HttpOnly),
 * a button [data-passkey-start] (hidden until this script finds passkey support), a
 * note [data-passkey-unsupported] (shown unless it does), a [role=alert] element for
 * errors and a [role=status] element for progress.
 *
 * The server sends options as JSON with binary values in base64url; the browser API
 * wants ArrayBuffers, and its answer goes back as base64url again.
 */
(function () {
  "use strict";

  var sections = document.querySelectorAll("[data-passkey]");
  if (!sections.length) {
    return;
  }
  var supported = !!(
    window.PublicKeyCredential &&
    window.navigator.credentials &&
    window.fetch &&
    window.Promise &&
    window.atob &&
    window.btoa
  );

  function base64urlToBuffer(text) {
    var base64 = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function bufferToBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var descriptor = { type: item.type, id: base64urlToBuffer(item.id) };
      if (item.transports) {
        descriptor.transports = item.transports;
      }
      return descriptor;
    });
  }

  function creationOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = base64urlToBuffer(options.challenge);
    publicKey.user = Object.assign({}, options.user, { id: base64urlToBuffer(options.user.id) });
    publicKey.excludeCredentials = descriptors(options.excludeCredentials);
    return { publicKey: publicKey };
  }

  function requestOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = base64urlToBuffer(options.challenge);
    publicKey.allowCredentials = descriptors(options.allowCredentials);
    return { publicKey: publicKey };
  }

  function credentialToJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: bufferToBase64url(credential.rawId),
      type: credential.type,
      response: { clientDataJSON: bufferToBase64url(response.clientDataJSON) },
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
    };
    if (credential.authenticatorAttachment) {
      out.authenticatorAttachment = credential.authenticatorAttachment;
    }
    if (response.attestationObject) {
      out.response.attestationObject = bufferToBase64url(response.attestationObject);
      if (response.getTransports) {
        out.response.transports = response.getTransports();
      }
    }
    if (response.authenticatorData) {
      out.response.authenticatorData = bufferToBase64url(response.authenticatorData);
      out.response.signature = bufferToBase64url(response.signature);
      if (response.userHandle) {
        out.response.userHandle = bufferToBase64url(response.userHandle);
      }
    }
    return out;
  }

  function setup(section) {
    if (section.hasAttribute("data-passkey-ready")) {
      return; // the script is included once per section; each section is set up once
    }
    section.setAttribute("data-passkey-ready", "");
    var mode = section.getAttribute("data-passkey");
    var button = section.querySelector("[data-passkey-start]");
    var note = section.querySelector("[data-passkey-unsupported]");
    var alertBox = section.querySelector("[role=alert]");
    var statusBox = section.querySelector("[role=status]");
    var tokenField = section.querySelector("input[name=csrfmiddlewaretoken]");
    var labelField = section.querySelector("input[name=label]");
    if (!button || !alertBox || !tokenField) {
      return;
    }
    if (!supported) {
      button.hidden = true;
      if (note) {
        note.hidden = false;
      }
      return;
    }
    button.hidden = false;
    if (note) {
      note.hidden = true;
    }

    function text(name) {
      return (
        section.getAttribute("data-error-" + name) ||
        section.getAttribute("data-error-generic") ||
        ""
      );
    }

    function showError(message) {
      if (statusBox) {
        statusBox.textContent = "";
      }
      alertBox.textContent = message;
      alertBox.hidden = false;
      button.disabled = false;
    }

    function post(url, body) {
      return window
        .fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRFToken": tokenField.value,
          },
          body: JSON.stringify(body),
        })
        .then(function (response) {
          return response.json().then(
            function (data) {
              return data;
            },
            function () {
              return { ok: false, message: text("generic") };
            }
          );
        });
    }

    // A refusal from the server: show its sentence, and follow it when it sends the
    // person somewhere (to confirm their second factor again before adding a passkey).
    function ServerRefusal(data) {
      this.data = data;
    }

    function checked(data) {
      if (!data || !data.ok) {
        throw new ServerRefusal(data || {});
      }
      return data;
    }

    function fail(error) {
      if (error instanceof ServerRefusal) {
        showError(error.data.message || text("generic"));
        if (error.data.redirect) {
          window.location.assign(error.data.redirect);
        }
        return;
      }
      var name = error && error.name;
      if (name === "NotAllowedError" || name === "AbortError") {
        showError(text("cancelled"));
      } else if (name === "InvalidStateError") {
        showError(text("exists"));
      } else if (name === "SecurityError" || name === "NotSupportedError") {
        showError(text("unavailable"));
      } else if (name === "TypeError") {
        showError(text("network"));
      } else {
        showError(text("generic"));
      }
    }

    button.addEventListener("click", function () {
      alertBox.textContent = "";
      alertBox.hidden = true;
      if (statusBox) {
        statusBox.textContent = section.getAttribute("data-working") || "";
      }
      button.disabled = true;
      var next = section.getAttribute("data-next") || "";
      var label = labelField ? labelField.value : "";
      var optionsUrl = section.getAttribute("data-options-url");
      var verifyUrl = section.getAttribute("data-verify-url");
      post(optionsUrl, { next: next })
        .then(checked)
        .then(function (data) {
          if (mode === "register") {
            return window.navigator.credentials.create(creationOptions(data.options));
          }
          return window.navigator.credentials.get(requestOptions(data.options));
        })
        .then(function (credential) {
          var body = { credential: credentialToJSON(credential), next: next };
          if (mode === "register") {
            body.label = label;
          }
          return post(verifyUrl, body);
        })
        .then(checked)
        .then(function (data) {
          if (data.redirect) {
            window.location.assign(data.redirect);
          } else {
            window.location.reload();
          }
        })
        .catch(fail);
    });
  }

  for (var i = 0; i < sections.length; i++) {
    setup(sections[i]);
  }
})();
