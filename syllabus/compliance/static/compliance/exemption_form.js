// The exemption request form (compliance/exemptions/new.html): show only the date that applies to the kind chosen —
// the new due date for an extension, the end date for an exemption. Progressive: without JavaScript both are shown
// and the server ignores the one that does not apply. CSP-safe: no inline handlers, no eval.
(function () {
  "use strict";

  function update(form) {
    var chosen = form.querySelector('[name="kind"]:checked');
    var kind = chosen ? chosen.value : "";
    form.querySelectorAll("[data-for-kind]").forEach(function (input) {
      var box = input.closest(".field");
      if (box) {
        box.hidden = kind !== "" && input.getAttribute("data-for-kind") !== kind;
      }
    });
  }

  function init() {
    var form = document.querySelector("[data-exemption-form]");
    if (!form) {
      return;
    }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "kind") {
        update(form);
      }
    });
    update(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
