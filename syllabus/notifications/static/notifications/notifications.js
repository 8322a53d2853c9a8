// The preferences page: a channel's "When" choice (at once or daily digest) is greyed out and skipped by the
// keyboard while the channel's box is unticked, since nothing would be sent that way. Without JavaScript the
// choice stays usable and the server ignores it for an unticked channel. CSP-safe: no inline handlers.
(function () {
  "use strict";
  function follow(select) {
    var box = document.getElementById(select.getAttribute("data-follows"));
    if (!box) {
      return;
    }
    function sync() {
      select.disabled = !box.checked;
    }
    box.addEventListener("change", sync);
    sync();
  }
  function ready() {
    document.querySelectorAll("select[data-follows]").forEach(follow);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
