// The wording editor (notifications/admin/template.html). Enhancements only: without JavaScript the page still
// previews on "Update the preview", placeholders are typed by hand, and the error summary is announced by its role.
// CSP-safe: no inline handlers.
// - Buttons insert a placeholder where the admin is typing (the subject or the message).
// - Each live preview (htmx) brings its problems in a <template>; they go into the polite live region only when
//   they changed, so a screen reader hears a new problem once, not again at every pause in typing.
// - After a failed save the focus moves to the error summary, whose links focus their field.
(function () {
  "use strict";
  var last = null;
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if ((el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) && el.hasAttribute("data-wording")) {
      last = el;
    }
  });
  function insert(token) {
    var field = last || document.querySelector("textarea[data-wording]");
    if (!field) {
      return;
    }
    var start = field.selectionStart === null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd === null ? start : field.selectionEnd;
    field.value = field.value.slice(0, start) + token + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + token.length, start + token.length);
    // Typing fires "input", which refreshes the preview (htmx): an insertion should too.
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("htmx:afterSwap", function () {
    var next = document.querySelector("template[data-preview-problems-next]");
    var region = document.querySelector("[data-preview-problems]");
    if (!next || !region) {
      return;
    }
    next.remove();
    if (region.innerHTML.trim() !== next.innerHTML.trim()) {
      region.replaceChildren(next.content.cloneNode(true));
    }
  });
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-error-target]") : null;
    var field = link ? document.getElementById(link.getAttribute("data-error-target")) : null;
    if (!field) {
      return;
    }
    // A jump to a fragment only scrolls: focus the field, with its label in view.
    event.preventDefault();
    (field.closest(".field") || field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });
  function ready() {
    document.querySelectorAll("[data-insert]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { insert(button.getAttribute("data-insert")); });
    });
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
