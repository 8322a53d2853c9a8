// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Forms with data-confirm ask before submitting (destructive actions). CSP-safe: no inline handlers.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  // Auto-submit filter forms when a select changes (the submit button stays for keyboard and no-JS use).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.form && el.form.dataset.autosubmit !== undefined) {
      el.form.requestSubmit();
    }
  });
})();
