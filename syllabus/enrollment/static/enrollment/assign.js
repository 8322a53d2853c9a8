// The "Assign a course" page (enrollment/team/assign.html). An enhancement: the page works without it.
// Without htmx a search reloads the page through its own GET form; before it goes, the picks made since the page
// loaded (course, who, person, due day) are copied into that form's hidden fields so the search keeps them.
// CSP-safe: no inline code.
(function () {
  "use strict";

  function picked(form, name) {
    var checked = form.querySelector("input[name='" + name + "']:checked");
    if (checked) {
      return checked.value;
    }
    var field = form.querySelector("input[name='" + name + "']:not([type=radio])");
    return field ? field.value : "";
  }

  document.addEventListener("submit", function (event) {
    var search = event.target;
    if (!(search instanceof HTMLFormElement) || search.id !== "assign-search") {
      return;
    }
    var form = document.getElementById("assign-form");
    if (!form) {
      return;
    }
    search.querySelectorAll("input[data-carry]").forEach(function (input) {
      input.value = picked(form, input.getAttribute("data-carry"));
    });
  }, true);
})();
