// The wording editor: buttons that insert a placeholder where the admin is typing (the subject or the message).
// Without JavaScript the buttons stay hidden and placeholders are typed by hand. CSP-safe: no inline handlers.
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
  function ready() {
    document.querySelectorAll("[data-insert]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { insert(button.getAttribute("data-insert")); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
