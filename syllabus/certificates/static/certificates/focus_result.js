// The badge verification page, after a check: the focus moves to the result, so keyboard and screen reader users
// start at the verdict rather than at the top of the page (a live region is not read out when a page loads).
// Never when the page has an error summary (it takes the focus itself) or something already has the focus.
// CSP-safe: a static file, no inline handler.
(function () {
  "use strict";

  function focusResult() {
    var result = document.querySelector("[data-focus-on-load]");
    if (!result || document.querySelector("[data-error-summary]")) {
      return;
    }
    if (document.activeElement && document.activeElement !== document.body) {
      return;
    }
    result.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusResult);
  } else {
    focusResult();
  }
})();
