// Rathaus: solves a form's proof-of-work challenge (ALTCHA-style,
// self-hosted; internal/platform/pow) while the citizen fills in the form:
// the form names the challenge's address in data-pow, the solution goes
// into its hidden field "altcha". Without this script the form still works:
// each module has a path without it (appointments: the booking is held and
// confirmed by e-mail; forms: the visitor is told to wait or sign in).
(function () {
  "use strict";
  var form = document.querySelector("form[data-pow]");
  if (!form || !window.fetch || !window.crypto || !window.crypto.subtle || !window.TextEncoder) {
    return;
  }
  var field = form.querySelector("input[name=altcha]");
  var status = document.getElementById("pow-status");
  var enc = new TextEncoder();
  var solved = false;
  var sending = false;

  function hex(buf) {
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) {
      s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    }
    return s;
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  // Hashes a batch of numbers in parallel; resolves with the match or -1.
  function batch(c, from, to) {
    var jobs = [];
    for (var n = from; n <= to; n++) {
      jobs.push(window.crypto.subtle.digest("SHA-256", enc.encode(c.salt + n)));
    }
    return Promise.all(jobs).then(function (hashes) {
      for (var i = 0; i < hashes.length; i++) {
        if (hex(hashes[i]) === c.challenge) {
          return from + i;
        }
      }
      return -1;
    });
  }

  function search(c, from) {
    if (from > c.maxnumber) {
      return Promise.resolve(-1);
    }
    var to = Math.min(from + 999, c.maxnumber);
    return batch(c, from, to).then(function (n) {
      return n >= 0 ? n : search(c, to + 1);
    });
  }

  say(form.getAttribute("data-pow-working"));
  var started = Date.now();
  var done = fetch(form.getAttribute("data-pow"), { credentials: "same-origin", cache: "no-store" })
    .then(function (r) { return r.json(); })
    .then(function (c) {
      return search(c, 0).then(function (n) {
        if (n < 0) {
          throw new Error("no solution");
        }
        field.value = btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature }));
        solved = true;
        form.setAttribute("data-pow-ms", String(Date.now() - started));
        say(form.getAttribute("data-pow-done"));
      });
    })
    .catch(function () {
      say(form.getAttribute("data-pow-failed"));
    });

  form.addEventListener("submit", function (e) {
    if (solved || sending) {
      return;
    }
    e.preventDefault();
    sending = true;
    done.then(function () { form.submit(); });
  });
})();
