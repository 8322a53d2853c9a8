// Draws the compliance dashboard's trend charts with Chart.js (vendored). Each <canvas data-chart="ID"> reads its
// figures from the <script type="application/json" id="ID"> beside it (json_script); the same figures are in a
// table on the page, so the chart is a picture of them, not the only place they are.
(function () {
  "use strict";

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{ label: data.label, data: data.values, spanGaps: true, tension: 0 }],
      },
      options: {
        animation: still ? false : undefined,
        // The box around the canvas (reports.css) sets the height: a fixed aspect ratio is too flat on a phone.
        maintainAspectRatio: false,
        responsive: true,
        scales: { y: { min: 0, max: 100, ticks: { callback: function (value) { return value + "%"; } } } },
        plugins: { legend: { display: false } },
      },
    });
  }

  function start() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
