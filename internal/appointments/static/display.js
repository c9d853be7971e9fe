// Rathaus call display: live updates through Server-Sent Events. Without
// this script the page reloads itself (Refresh header) and shows the same.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.EventSource) {
    return;
  }
  var list = root.querySelector("[data-calls]");
  var waiting = root.querySelector("[data-waiting]");
  var wait = root.querySelector("[data-wait]");
  var source = new EventSource(root.getAttribute("data-live"));
  source.addEventListener("display", function (ev) {
    var d;
    try {
      d = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    if (waiting) {
      waiting.textContent = String(d.waiting);
    }
    if (wait) {
      wait.textContent = String(d.estimated_wait_minutes);
    }
    if (!list) {
      return;
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    d.calls.forEach(function (c) {
      var tr = document.createElement("tr");
      tr.className = "kern-table__row";
      [c.Number, c.Counter, c.At].forEach(function (text, i) {
        var cell = document.createElement(i === 0 ? "th" : "td");
        cell.className = "kern-table__cell";
        if (i === 0) {
          cell.setAttribute("scope", "row");
        }
        cell.textContent = text;
        tr.appendChild(cell);
      });
      list.appendChild(tr);
    });
  });
})();
