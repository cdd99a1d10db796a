/* kiwerk dashboard: chart helpers on Chart.js (vendor/chart.umd.min.js).
 *
 * kiwerk.lineChart(canvas, {labels, series: [{label, data, color, dashed}],
 *                           xTitle, yTitle})
 * kiwerk.radarChart(canvas, {labels, values, label})
 * Both return the Chart; call chart.destroy() before drawing on the canvas
 * again. Give every canvas role="img" and an aria-label, and show the
 * numbers in a table as well: a chart alone is not accessible.
 */
"use strict";
(function () {
  const PALETTE = ["#0b5394", "#b45f06", "#38761d", "#990000", "#674ea7", "#127a7a",
    "#7f6000", "#a64d79"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#1b1f24";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  function lineChart(canvas, spec) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s, i) => ({
          label: s.label,
          data: s.data,
          borderColor: s.color || PALETTE[i % PALETTE.length],
          backgroundColor: s.color || PALETTE[i % PALETTE.length],
          borderDash: s.dashed ? [6, 4] : [],
          pointRadius: s.points === false ? 0 : 3,
          tension: 0,
          spanGaps: true,
        })),
      },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { title: { display: !!spec.xTitle, text: spec.xTitle } },
          y: { title: { display: !!spec.yTitle, text: spec.yTitle },
               beginAtZero: !!spec.beginAtZero },
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, font: { size: 11 } } } },
      },
    });
  }

  function radarChart(canvas, spec) {
    return new Chart(canvas, {
      type: "radar",
      data: {
        labels: spec.labels,
        datasets: [{
          label: spec.label || "Score",
          data: spec.values,
          borderColor: PALETTE[0],
          backgroundColor: "rgba(11, 83, 148, 0.25)",
          pointBackgroundColor: PALETTE[0],
        }],
      },
      options: {
        responsive: true,
        scales: { r: { min: 0, max: 100, ticks: { stepSize: 25, backdropColor: "transparent" },
                       pointLabels: { font: { size: 13 } } } },
        plugins: { legend: { display: false } },
      },
    });
  }

  Object.assign(window.kiwerk, { lineChart, radarChart, PALETTE });
})();
