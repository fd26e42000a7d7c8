// watchkeeper dashboard: copy buttons on commands, and a quick filter over table rows.
// Progressive: every page works without this script; it only adds conveniences.
"use strict";

function addCopyButtons() {
  document.querySelectorAll("pre.cmd").forEach(function (pre) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy this command");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.textContent.trim()).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Copy failed: select the text"; }
      );
    });
    pre.insertAdjacentElement("afterend", button);
  });
}

function addQuickFilters() {
  document.querySelectorAll("input.quick-filter").forEach(function (input) {
    const table = document.getElementById(input.dataset.target);
    if (!table) { return; }
    input.addEventListener("input", function () {
      const needle = input.value.trim().toLowerCase();
      table.querySelectorAll("tbody tr").forEach(function (row) {
        row.hidden = needle !== "" && !row.textContent.toLowerCase().includes(needle);
      });
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  addCopyButtons();
  addQuickFilters();
});
