// Draws every <canvas data-chart="ID"> from the JSON in <script type="application/json" id="ID">.
// No inline script: the data travels as inert JSON, so the page works under a strict CSP.
(function () {
  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "line",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s) {
          return { label: s.label, data: s.data, tension: 0.2, spanGaps: true };
        }),
      },
      options: {
        animation: false,
        scales: { y: { beginAtZero: true, suggestedMax: spec.max || 100, title: { display: true, text: spec.yLabel || "" } } },
      },
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
