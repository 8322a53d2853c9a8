// The program form (compliance/programs/form.html): show only the fields that apply to the choices made —
// the due date or the number of days, courses or the statement, the signature's meaning, the recertification
// details. Progressive: without JavaScript every field is shown and the server ignores the ones that do not apply.
// Hiding relies on the global `[hidden] { display: none !important }` of syllabus.css (.field is a grid).
// CSP-safe: no inline handlers, no eval.
(function () {
  "use strict";

  function fieldBox(form, name) {
    var input = form.querySelector('[name="' + name + '"]');
    return input ? input.closest(".field") : null;
  }

  function show(form, name, visible) {
    var box = fieldBox(form, name);
    if (box) {
      box.hidden = !visible;
    }
  }

  function checked(form, name) {
    var input = form.querySelector('[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function update(form) {
    var requirement = checked(form, "requirement");
    var ack = requirement === "acknowledgement";
    show(form, "course_ids", !ack);
    show(form, "min_score", !ack);
    show(form, "statement", ack);
    var fixed = checked(form, "due_rule") === "fixed";
    show(form, "due_on", fixed);
    show(form, "due_days", !fixed);
    var months = form.querySelector('[name="valid_months"]');
    var recurs = !!(months && months.value.trim());
    show(form, "window_days", recurs);
    show(form, "anchor", recurs);
    var sign = form.querySelector('[name="require_signature"]');
    show(form, "signature_meaning", !!(sign && sign.checked));
  }

  // The preview is drawn below a long form: after htmx puts it in, bring it into view and move the focus to its
  // heading, so keyboard and screen reader users land on the outcome of the button they pressed.
  function focusPreview(event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "preview") {
      return;
    }
    var heading = document.getElementById("preview-heading");
    if (heading) {
      heading.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    }
  }

  function init() {
    var form = document.querySelector("[data-program-form]");
    if (!form) {
      return;
    }
    document.body.addEventListener("htmx:afterSwap", focusPreview);
    form.addEventListener("change", function () { update(form); });
    form.addEventListener("input", function (event) {
      if (event.target && event.target.name === "valid_months") {
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
