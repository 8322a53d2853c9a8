// "Copy link" beside a certificate's share address. An enhancement: without JavaScript (or without the clipboard
// API) the button stays hidden and the read-only field can be selected and copied by hand.
// CSP-safe: no inline code; the buttons name their field with data-copy-from.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }

  function reveal() {
    document.querySelectorAll("button[data-copy-from]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button[data-copy-from]") : null;
    if (!button) {
      return;
    }
    var id = button.getAttribute("data-copy-from");
    var field = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!field) {
      return;
    }
    navigator.clipboard.writeText(field.value).then(
      function () {
        if (status) {
          status.textContent = button.getAttribute("data-copied") || "Link copied.";
        }
      },
      function () {
        // Refused (permissions): select the text so the person can copy it themselves.
        field.focus();
        field.select();
      }
    );
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reveal);
  } else {
    reveal();
  }
})();
