// Take action on the Explorer results: conveniences on top of plain form posts (the flow works
// without this file).  Ticks or unticks a whole page from the header checkbox, and says how
// many messages are selected.  Listeners sit on the document, so results swapped in by htmx
// need no wiring.
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="ids"][form="take-action-form"]'));
  }

  function update() {
    var form = document.getElementById("take-action-form");
    var counter = document.getElementById("selected-count");
    var page = document.getElementById("select-page");
    if (!form || !counter) {
      return;
    }
    var boxes = rows();
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    if (page) {
      page.hidden = false;
      page.checked = boxes.length > 0 && ticked === boxes.length;
      page.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    if (form.dataset.selectAll === "1") {
      var total = parseInt(form.dataset.total, 10);
      counter.textContent = (total - (boxes.length - ticked)) + " of " + total + " selected";
    } else {
      counter.textContent = ticked ? ticked + " selected" : "";
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-page") {
      rows().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "select-page" || target.name === "ids") {
      update();
    }
  });
  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSettle", update);
})();
