// dissentwatch analyst app: keyboard shortcuts and live updates. No inline script, no eval,
// DOM built with textContent only, so text from sources can never become markup.
"use strict";
(function () {
  const body = document.body;
  const page = body.dataset.page || "";

  // -- live updates: poll /api/latest and add new events to the page ------------------------
  function poll(list, status) {
    let after = null;
    async function tick() {
      try {
        const url = "/api/latest" + (after ? "?after=" + encodeURIComponent(after) : "");
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const data = await response.json();
        if (after !== null) {
          for (const ev of data.events) addEvent(list, ev);
          if (data.events.length && status) status.textContent = data.events.length + " new";
        }
        after = data.now || after || "";
        body.dataset.polled = "1";  // the clock is set: later events will show up
      } catch (err) { /* the server may be restarting: try again later */ }
    }
    tick();
    window.setInterval(tick, 5000);
  }

  function addEvent(list, ev) {
    const item = document.createElement("li");
    item.className = "fresh";
    item.dataset.event = ev.id;
    const link = document.createElement("a");
    link.href = "/events/" + encodeURIComponent(ev.id);
    link.textContent = ev.type;
    item.appendChild(link);
    item.appendChild(document.createTextNode(" · " + (ev.date || "undated") + " · " + (ev.unit_name || "unit unknown")));
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
    list.insertBefore(item, list.firstChild);
  }

  const latest = document.getElementById("latest");
  if (latest && (page === "dashboard" || page === "review")) poll(latest, document.getElementById("live-status"));

  // -- keyboard shortcuts ----------------------------------------------------------------------
  const rows = () => Array.from(document.querySelectorAll("table[data-rows] tbody tr[data-event]"));
  let current = -1;
  function select(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("selected", i === current));
    all[current].scrollIntoView({ block: "nearest" });
  }
  function selectedRow() { const all = rows(); return current >= 0 ? all[current] : null; }
  function press(scope, action) {
    const button = scope && scope.querySelector('button[data-action="' + action + '"]');
    if (button) button.click();
  }
  let pendingG = false;
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target instanceof HTMLElement && target.closest("input, select, textarea")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    const help = document.getElementById("shortcuts");
    if (pendingG) {
      pendingG = false;
      const go = { d: "/", e: "/events", r: "/review" }[event.key];
      if (go) { window.location.href = go; return; }
    }
    const row = selectedRow();
    switch (event.key) {
      case "g": pendingG = true; return;
      case "?": if (help) help.hidden = !help.hidden; return;
      case "Escape": if (help) help.hidden = true; return;
      case "/": { const box = document.querySelector('header.top input[name="q"]'); if (box) { event.preventDefault(); box.focus(); } return; }
      case "j": select(current + 1); return;
      case "k": select(current - 1); return;
      case "o": case "Enter": if (row) { const a = row.querySelector("a"); if (a) window.location.href = a.href; } return;
      case "c": press(row || document.querySelector(".controls"), "confirm"); return;
      case "x": press(row || document.querySelector(".controls"), "reject"); return;
      case " ": if (row) { const box = row.querySelector('input[type="checkbox"]'); if (box) { event.preventDefault(); box.checked = !box.checked; } } return;
      case "m": { const button = document.getElementById("merge-button"); if (button) button.click(); return; }
      default: return;
    }
  });
  document.querySelectorAll("table[data-rows] tbody tr[data-event]").forEach((row, i) => {
    row.addEventListener("click", () => select(i));
  });
})();
