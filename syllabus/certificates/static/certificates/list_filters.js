// The Issued certificates filters: "Expiring within (days)" only means something with the status "Expiring soon",
// so it is shown only then. An enhancement: without JavaScript the field is always shown (and its help says when it
// applies). CSP-safe: a static file, no inline handler.
(function () {
  "use strict";

  function update(form) {
    var status = form.querySelector('select[name="status"]');
    var days = form.querySelector("[data-expiring-days]");
    if (status && days) {
      var off = status.value !== "expiring";
      days.hidden = off;
      // Not sent while hidden, so the address and "Clear the filters" only show the filters in use.
      days.querySelectorAll("input").forEach(function (input) {
        input.disabled = off;
      });
    }
  }

  function start() {
    document.querySelectorAll("form[data-certificate-filters]").forEach(function (form) {
      update(form);
      form.addEventListener("change", function (event) {
        if (event.target instanceof HTMLSelectElement && event.target.name === "status") {
          update(form);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
