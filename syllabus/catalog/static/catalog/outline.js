// The outline editor (catalog/authoring/outline.html). Everything here is an enhancement: without JavaScript the
// Move up / Move down buttons post their forms and the page reloads.
// - Drag and drop with SortableJS (vendored): after a drop, the whole order goes to the server in one POST and the
//   outline is swapped with the server's version (htmx), so what you see is what was saved.
// - After htmx swaps the outline, the focus goes back to the button that was pressed, on the item it moved (the
//   server names it in data-focus); the sentence saying where the item went is in the live region.
// - Buttons at the edges (first item's Move up...) are aria-disabled, not disabled, so they keep the focus;
//   pressing one says why nothing moves instead of posting.
// CSP-safe: no inline code, no style attributes (Sortable sets styles through the CSSOM, which the CSP allows).
(function () {
  "use strict";

  function outlineRoot() {
    return document.getElementById("outline");
  }

  function announce(text, isError) {
    var status = document.getElementById("outline-status");
    if (!status || !text) {
      return;
    }
    var span = document.createElement("span");
    span.className = isError ? "status-error" : "status-ok";
    span.textContent = text;
    status.replaceChildren(span);
  }

  function titleOf(element) {
    var item = element.closest("[data-title]");
    return item ? item.getAttribute("data-title") : "";
  }

  // Edge buttons: capture phase on the document, so htmx's own submit listener on the form never sees the event.
  document.addEventListener(
    "submit",
    function (event) {
      var button = event.submitter;
      if (!button || button.getAttribute("aria-disabled") !== "true") {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      var root = outlineRoot();
      var template = root && root.getAttribute(button.dataset.move === "up" ? "data-first-text" : "data-last-text");
      if (template) {
        announce(template.replace("%(title)s", titleOf(button)), false);
      }
    },
    true
  );

  function currentOrder(root) {
    var sections = root.querySelectorAll("[data-section-uid]");
    return Array.prototype.map.call(sections, function (section) {
      var activities = section.querySelectorAll("[data-activity-uid]");
      return {
        section: section.getAttribute("data-section-uid"),
        activities: Array.prototype.map.call(activities, function (activity) {
          return activity.getAttribute("data-activity-uid");
        }),
      };
    });
  }

  function csrfToken(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function onDrop(event) {
    if (event.from === event.to && event.oldIndex === event.newIndex) {
      return;
    }
    var root = outlineRoot();
    if (!root || !window.htmx) {
      return;
    }
    announce(root.getAttribute("data-saving-text"), false);
    window.htmx.ajax("POST", root.getAttribute("data-reorder-url"), {
      source: root,
      target: root,
      swap: "innerHTML",
      values: {
        order: JSON.stringify(currentOrder(root)),
        moved: event.item.getAttribute("data-title") || "",
        csrfmiddlewaretoken: csrfToken(root),
      },
    });
  }

  function enableDragAndDrop(root) {
    if (!window.Sortable || !root.getAttribute("data-reorder-url")) {
      return;
    }
    root.querySelectorAll(".drag-handle").forEach(function (handle) {
      handle.hidden = false;
    });
    var sections = root.querySelector("[data-sortable=sections]");
    if (sections) {
      window.Sortable.create(sections, {
        handle: ".section-handle",
        draggable: ".outline-section",
        onEnd: onDrop,
      });
    }
    root.querySelectorAll("[data-sortable=activities]").forEach(function (list) {
      window.Sortable.create(list, {
        group: "activities",
        handle: ".activity-handle",
        draggable: ".outline-activity",
        onEnd: onDrop,
      });
    });
  }

  function focusNamed(root) {
    var body = root.querySelector("[data-focus]");
    var id = body ? body.getAttribute("data-focus") : "";
    var target = id ? document.getElementById(id) : null;
    if (target) {
      target.focus();
    }
  }

  // htmx "settles" attributes of elements that keep their id across a swap (class, style...): it would copy the
  // inline styles Sortable left on a dragged item with setAttribute, which the CSP refuses. Drop them first
  // (removing an attribute is not applying a style).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var root = outlineRoot();
    if (root && event.detail.target === root) {
      root.querySelectorAll("[style]").forEach(function (element) {
        element.removeAttribute("style");
      });
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var root = outlineRoot();
    if (root && event.target === root) {
      focusNamed(root);
      enableDragAndDrop(root);
    }
  });

  function start() {
    var root = outlineRoot();
    if (root) {
      enableDragAndDrop(root);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
