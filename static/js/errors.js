// A page that refused a form says so at its top: a summary of the problems,
// each a link to its field, takes the focus, so that a keyboard or screen-reader
// user hears it and reaches the field in one step (WCAG 3.3.1, 4.1.3). The
// errors stay at their fields too; without JavaScript those are what shows.
// The voting page has a summary of its own (#form-errors) and is left alone.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var main = document.getElementById("main");
    if (!main || document.getElementById("form-errors") || document.getElementById("sign-in-error")) return;
    var problems = [];
    main.querySelectorAll(".invalid-feedback, .alert-danger[data-form-error]").forEach(function (message) {
      var text = message.textContent.trim();
      if (!text) return;
      var group = message.closest(".mb-3, fieldset") || message.parentElement;
      var field = group && group.querySelector("input:not([type=hidden]), select, textarea");
      var label = field && field.labels && field.labels.length ? field.labels[0].textContent.trim() : "";
      problems.push({ text: label ? label.replace(/\*$/, "").trim() + ": " + text : text, field: field });
    });
    if (!problems.length) return;
    var summary = document.createElement("div");
    summary.className = "alert alert-danger error-summary";
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    var title = document.createElement("h2");
    title.className = "h6";
    title.textContent = (problems.length === 1 ? main.dataset.oneProblem : main.dataset.problems || "")
      .replace("{count}", problems.length);
    summary.appendChild(title);
    var list = document.createElement("ul");
    list.className = "mb-0";
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      if (problem.field && problem.field.id) {
        var link = document.createElement("a");
        link.href = "#" + problem.field.id;
        link.className = "alert-link";
        link.textContent = problem.text;
        link.addEventListener("click", function (event) {
          event.preventDefault();
          problem.field.focus();
        });
        item.appendChild(link);
      } else {
        item.textContent = problem.text;
      }
      list.appendChild(item);
    });
    summary.appendChild(list);
    var heading = main.querySelector("h1");
    if (heading) heading.insertAdjacentElement("afterend", summary);
    else main.insertBefore(summary, main.firstChild);
    summary.focus();
  });
})();
