/* The player's outline: sections other than the current one open on demand.

   Each closed section's title is a link to its first activity (what happens without JavaScript). With htmx, the
   first click loads the section's activities below its heading from the outline's data-section-url (the
   section's uid in place of data-section-placeholder: one address for the page rather than one per section, as
   a course may have 500 sections); later clicks fold and unfold them here without asking the server again.
   role=button and aria-expanded are set only once this script runs, so they never claim a behaviour the page
   does not have. */
(function () {
  "use strict";

  function listOf(toggle) {
    return toggle.closest("[data-section-url]");
  }

  function init() {
    if (!window.htmx) return;
    for (const toggle of document.querySelectorAll("[data-section-url] [data-outline-toggle]")) {
      toggle.setAttribute("role", "button");
      toggle.setAttribute("aria-expanded", "false");
    }
  }

  function open(toggle) {
    const uid = toggle.getAttribute("data-outline-toggle");
    const list = listOf(toggle);
    const item = toggle.closest("li");
    if (!uid || !list || !item) return;
    // The loaded list is labelled by the section's heading (aria-labelledby="outline-<uid>").
    const heading = toggle.closest("h3");
    if (heading && !heading.id) heading.id = "outline-" + uid;
    const container = document.createElement("div");
    container.id = "outline-items-" + uid;
    container.className = "player-lazy";
    container.setAttribute("data-outline-items", "");
    item.appendChild(container);
    // Pointed at only once it exists: aria-controls must name an element on the page.
    toggle.setAttribute("aria-controls", container.id);
    const url = list.getAttribute("data-section-url").replace(list.getAttribute("data-section-placeholder"), uid);
    toggle.setAttribute("data-loading", "");
    window.htmx.ajax("GET", url, { target: container, swap: "innerHTML" }).then(
      function () {
        toggle.removeAttribute("data-loading");
        toggle.setAttribute("data-loaded", "");
        toggle.setAttribute("aria-expanded", "true");
      },
      function () {
        // The server did not answer: follow the link instead (the section's first activity).
        toggle.removeAttribute("data-loading");
        container.remove();
        window.location.href = toggle.href;
      }
    );
  }

  document.addEventListener("click", function (event) {
    const toggle = event.target instanceof Element ? event.target.closest("[data-outline-toggle][role=button]") : null;
    if (!toggle) return;
    event.preventDefault();
    if (toggle.hasAttribute("data-loading")) return;
    if (!toggle.hasAttribute("data-loaded")) {
      open(toggle);
      return;
    }
    const container = document.getElementById(toggle.getAttribute("aria-controls") || "");
    if (!container) return;
    const expanded = toggle.getAttribute("aria-expanded") === "true";
    container.hidden = expanded;
    toggle.setAttribute("aria-expanded", expanded ? "false" : "true");
  });

  // A link given role=button answers the space bar as a button does.
  document.addEventListener("keydown", function (event) {
    if (event.key !== " ") return;
    const toggle = event.target instanceof Element ? event.target.closest("[data-outline-toggle][role=button]") : null;
    if (!toggle) return;
    event.preventDefault();
    toggle.click();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
