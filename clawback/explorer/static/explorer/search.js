// The Explorer search page: small conveniences on top of plain GET forms (everything works
// without this file).  Listeners sit on the document, so content swapped in by htmx needs no
// wiring.
(function () {
  "use strict";

  // Lets search.css hide the buttons that only no-script browsers need ("Show").
  document.documentElement.classList.add("js");

  // The chart's pivot picker shows its chart as soon as another pivot is picked.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
    }
  });
})();
