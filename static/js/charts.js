// Draws every <canvas data-chart="ID"> from the JSON in <script type="application/json" id="ID">.
// No inline script: the data travels as inert JSON, so the page works under a strict CSP.
// One quantity per chart (reports.selectors._chart): a percentage runs 0-100 %, a count whole
// numbers from 0, never both on one axis. The figures are also in a table under each chart.
(function () {
  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var y = { beginAtZero: true, title: { display: true, text: spec.yLabel || "" } };
    if (spec.percent) {
      y.suggestedMax = 100;
      y.ticks = { callback: function (v) { return v + " %"; } };
    } else {
      y.ticks = { precision: 0 };
    }
    new Chart(canvas, {
      type: "line",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s) {
          return { label: s.label, data: s.data, tension: 0.2, spanGaps: true };
        }),
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: y } },
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
