// Passkeys for Rathaus, as progressive enhancement: the passkey sections of
// the sign-in and account pages are hidden in the HTML and shown only here,
// when the browser supports WebAuthn. Everything else works without script.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) {
    return;
  }

  function decode(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  function encode(buf) {
    if (!buf) {
      return undefined;
    }
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function ids(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: decode(c.id) });
    });
  }

  function creationOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = decode(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: decode(pk.user.id) });
    pk.excludeCredentials = ids(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = decode(pk.challenge);
    pk.allowCredentials = ids(pk.allowCredentials);
    return { publicKey: pk, mediation: o.mediation };
  }

  function credentialJSON(c) {
    var r = c.response;
    var out = { id: c.id, rawId: encode(c.rawId), type: c.type, response: { clientDataJSON: encode(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = encode(r.attestationObject);
      if (r.getTransports) {
        out.response.transports = r.getTransports();
      }
    } else {
      out.response.authenticatorData = encode(r.authenticatorData);
      out.response.signature = encode(r.signature);
      out.response.userHandle = encode(r.userHandle);
    }
    return out;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      if (!resp.ok) {
        throw new Error("HTTP " + resp.status);
      }
      return resp.json();
    });
  }

  var flows = {
    login: function (section) {
      return post("/anmelden/passkey/optionen").then(function (o) {
        return navigator.credentials.get(requestOptions(o.options)).then(function (c) {
          return post("/anmelden/passkey", { handle: o.handle, credential: credentialJSON(c), return_to: section.getAttribute("data-return-to") || "" });
        });
      });
    },
    register: function () {
      return post("/konto/passkeys/optionen").then(function (o) {
        return navigator.credentials.create(creationOptions(o.options)).then(function (c) {
          return post("/konto/passkeys", { handle: o.handle, credential: credentialJSON(c) });
        });
      });
    }
  };

  var sections = document.querySelectorAll("[data-passkey]");
  Array.prototype.forEach.call(sections, function (section) {
    var flow = flows[section.getAttribute("data-passkey")];
    var button = section.querySelector("[data-passkey-start]");
    var status = section.querySelector("[data-passkey-status]");
    if (!flow || !button) {
      return;
    }
    section.hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey-hint]"), function (hint) {
      hint.hidden = true;
    });
    button.addEventListener("click", function () {
      button.disabled = true;
      if (status) {
        status.textContent = "";
      }
      flow(section).then(function (res) {
        window.location.assign(res.redirect);
      }).catch(function () {
        button.disabled = false;
        if (status) {
          status.textContent = button.getAttribute("data-failed");
        }
      });
    });
  });
})();
