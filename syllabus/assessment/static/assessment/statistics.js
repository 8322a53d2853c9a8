// Draws the item statistics charts with Chart.js (vendored) from the JSON block #statistics-chart (json_script):
// facility and discrimination per question as bars, and the histogram of the attempts' scores. The same figures
// are in tables on the page, so a chart is a picture of them, never the only place they are.
(function () {
  "use strict";

  function draw(canvas, data, still) {
    var kind = canvas.getAttribute("data-statistics");
    var config;
    if (kind === "questions") {
      config = {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            { label: data.facility_label, data: data.facility },
            { label: data.discrimination_label, data: data.discrimination },
          ],
        },
        options: { scales: { y: { suggestedMin: 0, suggestedMax: 100 } } },
      };
    } else if (kind === "histogram") {
      config = {
        type: "bar",
        data: {
          labels: data.histogram.labels,
          datasets: [{ label: data.histogram.label, data: data.histogram.values }],
        },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      };
    } else {
      return;
    }
    config.options.animation = still ? false : undefined;
    config.options.maintainAspectRatio = false;
    config.options.responsive = true;
    new window.Chart(canvas, config);
  }

  function start() {
    var source = document.getElementById("statistics-chart");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    document.querySelectorAll("canvas[data-statistics]").forEach(function (canvas) {
      draw(canvas, data, still);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
