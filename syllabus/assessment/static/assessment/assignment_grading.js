// The running total of the assignment grading page: the chosen rubric levels' points, or the guide's marks, added
// up as the grader chooses. Without JavaScript the page still works: the total is computed when the grade is saved.
(function () {
  "use strict";

  function total(form) {
    var sum = 0;
    form.querySelectorAll("input[type=radio][data-points]:checked").forEach(function (input) {
      sum += parseFloat(input.getAttribute("data-points")) || 0;
    });
    form.querySelectorAll("input[data-mark]").forEach(function (input) {
      var value = parseFloat(String(input.value).replace(",", "."));
      if (!isNaN(value) && value > 0) {
        sum += value;
      }
    });
    return Math.round(sum * 100) / 100;
  }

  function init() {
    document.querySelectorAll("form[data-grading-form]").forEach(function (form) {
      var output = form.querySelector("output[data-total]");
      if (!output) {
        return;
      }
      var update = function () {
        output.textContent = String(total(form));
      };
      form.addEventListener("change", update);
      form.addEventListener("input", update);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
