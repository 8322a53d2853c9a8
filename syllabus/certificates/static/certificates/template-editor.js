// The certificate template editor: the live preview. The form's "Update preview" button posts the form into the
// preview frame (formaction + formtarget); this posts it the same way 600 ms after the last change, so the preview
// follows the typing. Without JavaScript the button does it. CSP-safe: a static file, no inline handler.
(function () {
  "use strict";
  var DELAY_MS = 600;

  function start() {
    var form = document.querySelector("[data-template-editor]");
    var button = form && form.querySelector("[data-preview-button]");
    if (!form || !button || typeof form.requestSubmit !== "function") {
      return;
    }
    var timer = null;
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        form.requestSubmit(button);
      }, DELAY_MS);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    // After a refused save the frame shows the saved template: show what is in the form instead.
    if (form.dataset.previewOnLoad !== undefined) {
      form.requestSubmit(button);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
