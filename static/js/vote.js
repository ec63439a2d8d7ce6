// Progressive enhancement of the voting form: it works without this file.
(function () {
  "use strict";

  // Top-k items: say how many are chosen and stop a (k+1)th tick; the server checks too.
  document.querySelectorAll("[data-max-choices]").forEach(function (fieldset) {
    var k = parseInt(fieldset.dataset.maxChoices, 10);
    var boxes = fieldset.querySelectorAll("input[type=checkbox]");
    var count = fieldset.querySelector(".choice-count");
    function update() {
      var chosen = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
      boxes.forEach(function (box) { box.disabled = !box.checked && chosen >= k; });
      if (count) count.textContent = chosen + " / " + k;
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  });

  // Rankings start unranked: a tap ranks one option, never all of them in the
  // order shown (which would anchor the panelist on that order). The rank boxes
  // stay the source of truth; ranked options are listed first, in rank order.
  document.querySelectorAll("[data-ranking]").forEach(function (list) {
    // What moved where, said to screen readers in the live region after the list.
    var status = list.parentElement.querySelector("[data-ranking-status]");
    function say(row) {
      var ranked = isRanked(row);
      status.textContent = status.dataset[ranked ? "ranked" : "unranked"]
        .replace("{option}", row.querySelector(".ranking-label").textContent)
        .replace("{rank}", box(row).value)
        .replace("{count}", rows().filter(isRanked).length);
    }
    function rows() { return Array.prototype.slice.call(list.children); }
    function box(row) { return row.querySelector(".rank-input"); }
    function isRanked(row) { return box(row).value.trim() !== ""; }
    function rankOf(row) {
      var rank = parseInt(box(row).value, 10);
      return isNaN(rank) ? Infinity : rank;
    }
    function sort() {
      rows().sort(function (a, b) {
        if (isRanked(a) !== isRanked(b)) return isRanked(a) ? -1 : 1;
        if (isRanked(a) && rankOf(a) !== rankOf(b)) return rankOf(a) - rankOf(b);
        return a.dataset.position - b.dataset.position;
      }).forEach(function (row) { list.appendChild(row); });
    }
    // Ranks 1..k for the ranked options, in the order the list shows them.
    function renumber() {
      var rank = 0;
      rows().forEach(function (row) {
        if (isRanked(row)) box(row).value = ++rank;
      });
      sort();
      refresh();
      box(rows()[0]).dispatchEvent(new Event("change", { bubbles: true }));
    }
    function refresh() {
      var ranked = rows().filter(isRanked).length;
      rows().forEach(function (row, i) {
        var on = isRanked(row);
        row.classList.toggle("unranked", !on);
        row.querySelector("[data-rank]").hidden = on;
        row.querySelector("[data-unrank]").hidden = !on;
        var up = row.querySelector('[data-move="up"]');
        var down = row.querySelector('[data-move="down"]');
        up.hidden = down.hidden = !on;
        up.disabled = i === 0;
        down.disabled = i >= ranked - 1;
      });
    }
    function focusIn(row, preferred) {
      var target = row.querySelector(preferred);
      if (!target || target.hidden || target.disabled) target = row.querySelector("[data-unrank]:not([hidden]), [data-rank]:not([hidden])");
      if (target) target.focus();
    }
    function swap(row, direction) {
      var sibling = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
      if (!sibling || !isRanked(sibling)) return;
      var mine = box(row).value;
      box(row).value = box(sibling).value;
      box(sibling).value = mine;
      sort();
      renumber();
    }
    rows().forEach(function (row) {
      row.querySelector(".ranking-moves").hidden = false;
      row.draggable = true;
      row.querySelector("[data-rank]").addEventListener("click", function () {
        box(row).value = rows().filter(isRanked).length + 1;
        renumber();
        say(row);
        focusIn(row, '[data-move="up"]');
      });
      row.querySelector("[data-unrank]").addEventListener("click", function () {
        box(row).value = "";
        renumber();
        say(row);
        focusIn(row, "[data-rank]");
      });
      row.querySelectorAll("[data-move]").forEach(function (button) {
        button.addEventListener("click", function () {
          swap(row, button.dataset.move);
          say(row);
          focusIn(row, '[data-move="' + button.dataset.move + '"]');
        });
      });
      row.addEventListener("keydown", function (event) {
        if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown") || !isRanked(row)) return;
        event.preventDefault();
        var up = event.key === "ArrowUp";
        swap(row, up ? "up" : "down");
        say(row);
        // An arrow button that the move disabled (the first or last rank) cannot keep the focus: the other one takes it.
        if (event.target.disabled) focusIn(row, '[data-move="' + (up ? "down" : "up") + '"]');
        else event.target.focus();
      });
      // A typed rank moves its option to its place once the box is left.
      box(row).addEventListener("change", function (event) {
        if (!event.isTrusted) return;
        sort();
        refresh();
      });
      row.addEventListener("dragstart", function (event) {
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.dataset.option);
      });
      // Dropped right after a ranked option (or first), an option is ranked
      // there; dropped among the unranked ones, it is unranked.
      row.addEventListener("dragend", function () {
        row.classList.remove("dragging");
        var above = row.previousElementSibling;
        var rankedHere = !above || isRanked(above);
        box(row).value = rankedHere ? 0 : "";
        renumber();
        say(row);
      });
    });
    list.addEventListener("dragover", function (event) {
      var dragging = list.querySelector(".dragging");
      if (!dragging) return;
      event.preventDefault();
      var after = rows().find(function (row) {
        var area = row.getBoundingClientRect();
        return row !== dragging && event.clientY < area.top + area.height / 2;
      });
      list.insertBefore(dragging, after || null);
    });
    list.addEventListener("drop", function (event) { event.preventDefault(); });
    refresh();
  });

  // Drafts save themselves a few seconds after each change, and leaving the
  // page with changes not yet saved asks first. A submitted ballot is not
  // saved behind the panelist's back: it changes when they press the button.
  var form = document.querySelector(".vote-form:not([data-preview])");
  if (form) {
    var status = form.querySelector(".save-status");
    var delay = form.dataset.autosave ? parseFloat(form.dataset.autosave) * 1000 : null;
    var edits = 0;
    var saved = 0;
    var timer = null;
    var inFlight = false;
    var leaving = false;
    var say = function (key, suffix) {
      if (status) status.textContent = status.dataset[key] + (suffix || "");
    };
    var save = function () {
      if (inFlight) { timer = setTimeout(save, delay); return; }
      inFlight = true;
      var sent = edits;
      var data = new FormData(form);
      data.set("action", "draft");
      data.set("autosave", "1");
      say("saving");
      fetch(window.location.href, { method: "POST", body: data, credentials: "same-origin", redirect: "manual" })
        .then(function (response) {
          if (response.ok) {
            saved = Math.max(saved, sent);
            var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
            say(saved === edits ? "saved" : "unsaved", saved === edits ? " " + time + "." : "");
          } else {
            say({ 401: "signedOut", 400: "invalid", 403: "closed" }[response.status] || "failed");
          }
        })
        .catch(function () { say("failed"); })
        .then(function () { inFlight = false; });
    };
    var changed = function () {
      edits += 1;
      if (!delay) return;
      say("unsaved");
      clearTimeout(timer);
      timer = setTimeout(save, delay);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", function (event) {
      // Text boxes report every keystroke as "input" already.
      if (event.target.tagName !== "TEXTAREA") changed();
    });
    form.addEventListener("submit", function () {
      leaving = true;
      clearTimeout(timer);
    });
    window.addEventListener("beforeunload", function (event) {
      if (leaving || saved === edits) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
