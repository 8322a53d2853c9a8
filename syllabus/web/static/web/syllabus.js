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
  // After an action (a POST and its redirect) the page opens with its message: focus it, so keyboard and screen
  // reader users start at the outcome. Not when the page has an error summary (which takes the focus itself),
  // nor when the address points somewhere (#fragment) or something already has the focus: it never steals focus.
  function focusMessages() {
    var box = document.querySelector("[data-messages]");
    if (!box || document.querySelector("[data-error-summary]") || window.location.hash) {
      return;
    }
    if (document.activeElement && document.activeElement !== document.body) {
      return;
    }
    box.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusMessages);
  } else {
    focusMessages();
  }
})();
