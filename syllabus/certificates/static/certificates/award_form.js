// The award form shows the course choice or the program choice, whichever "Issued for" says. An enhancement:
// without JavaScript both are shown and the one not chosen is ignored. CSP-safe: no inline code.
(function () {
  "use strict";

  function update(form) {
    var chosen = form.querySelector('input[name="source"]:checked');
    form.querySelectorAll("[data-source]").forEach(function (part) {
      part.hidden = chosen !== null && part.getAttribute("data-source") !== chosen.value;
    });
  }

  function start() {
    document.querySelectorAll("form.award-form").forEach(function (form) {
      update(form);
      form.addEventListener("change", function (event) {
        if (event.target instanceof HTMLInputElement && event.target.name === "source") {
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
