// The course details pages (catalog/authoring/_error_summary.html). An enhancement: without JavaScript the summary
// is still at the top of the page (role="alert") and its links still jump to the fields.
// - When the page comes back with errors, the focus moves to the summary, so keyboard and screen reader users start
//   there instead of at the top of a long page (the cover upload is far below the fold).
// - A link in the summary focuses its field (a jump to a fragment only scrolls), showing the field's label too.
// CSP-safe: no inline code.
(function () {
  "use strict";

  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-error-target]") : null;
    if (!link) {
      return;
    }
    var field = document.getElementById(link.getAttribute("data-error-target"));
    if (!field) {
      return;
    }
    event.preventDefault();
    var wrapper = field.closest(".field") || field;
    wrapper.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
