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

  // Rankings: the rank boxes stay the source of truth; moving a row renumbers them all.
  document.querySelectorAll("[data-ranking]").forEach(function (list) {
    function rows() { return Array.prototype.slice.call(list.children); }
    function renumber() {
      rows().forEach(function (row, i) { row.querySelector(".rank-input").value = i + 1; });
    }
    function move(row, direction, focusButton) {
      var sibling = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
      if (!sibling) return;
      if (direction === "up") list.insertBefore(row, sibling);
      else list.insertBefore(sibling, row);
      renumber();
      if (focusButton) row.querySelector('[data-move="' + direction + '"]').focus();
    }
    rows().forEach(function (row) {
      row.querySelector(".ranking-moves").hidden = false;
      row.draggable = true;
      row.querySelectorAll("[data-move]").forEach(function (button) {
        button.addEventListener("click", function () { move(row, button.dataset.move, true); });
      });
      row.addEventListener("keydown", function (event) {
        if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
        event.preventDefault();
        move(row, event.key === "ArrowUp" ? "up" : "down", false);
        event.target.focus();
      });
      row.addEventListener("dragstart", function (event) {
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.dataset.option);
      });
      row.addEventListener("dragend", function () {
        row.classList.remove("dragging");
        renumber();
      });
    });
    list.addEventListener("dragover", function (event) {
      var dragging = list.querySelector(".dragging");
      if (!dragging) return;
      event.preventDefault();
      var after = rows().find(function (row) {
        var box = row.getBoundingClientRect();
        return row !== dragging && event.clientY < box.top + box.height / 2;
      });
      list.insertBefore(dragging, after || null);
    });
    list.addEventListener("drop", function (event) {
      event.preventDefault();
      renumber();
    });
  });

  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
