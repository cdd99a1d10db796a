/* Fleet RUL: every engine's estimate and interval (GET /fleet/rul) and the
 * maintenance-policy comparison, as a chart and as tables. */
"use strict";
(async function () {
  const $ = (id) => document.getElementById(id);
  const money = (v) => v.toLocaleString("en", { maximumFractionDigits: 0 });
  try {
    const fleet = await kiwerk.api("/fleet/rul");
    const engines = [...fleet.engines].sort((a, b) => a.estimate - b.estimate);
    $("fleet-summary").textContent =
      `${engines.length} engines scored by ${fleet.model} v${fleet.version}; ` +
      `${Math.round((1 - fleet.alpha) * 100)}% intervals cover ` +
      `${Math.round(fleet.coverage * 100)}% of the true remaining lives.`;
    Chart.defaults.animation = false;
    new Chart($("rul-chart"), {
      data: {
        labels: engines.map((e) => `#${e.unit}`),
        datasets: [
          { type: "bar", label: "interval", data: engines.map((e) => [e.lower, e.upper]),
            backgroundColor: "rgba(11, 83, 148, 0.3)", borderColor: "#0b5394", borderWidth: 1 },
          { type: "scatter", label: "estimate", data: engines.map((e, i) => ({ x: i, y: e.estimate })),
            backgroundColor: "#0b5394", pointRadius: 2.5 },
          { type: "scatter", label: "true RUL", data: engines.map((e, i) => ({ x: i, y: e.truth })),
            backgroundColor: "#a4161a", borderColor: "#a4161a", pointStyle: "crossRot", pointRadius: 3.5 },
        ],
      },
      options: {
        responsive: true, maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: "engine (sorted by estimate)" }, ticks: { maxTicksLimit: 12 } },
          y: { title: { display: true, text: "cycles of life left" }, beginAtZero: true },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
    const best = fleet.policies.find((p) => p.policy === "fixed-interval");
    $("policy-note").textContent =
      `Best fixed interval: every ${fleet.best_interval} cycles (chosen on this fleet itself). ` +
      `Predictive maintenance (lower bound at or below 10 cycles) saves ${money(fleet.saving)} ` +
      `(${(fleet.saving_share * 100).toFixed(1)}%) against it.`;
    $("policy-table").append(kiwerk.table([
      { label: "Policy", key: "policy" },
      { label: "Cost", render: (p) => money(p.cost) },
      { label: "Downtime h", render: (p) => money(p.downtime_h) },
      { label: "Failures", key: "failures" },
      { label: "Planned", key: "planned" },
      { label: "Life lost (cycles)", render: (p) => money(p.lost_life) },
      { label: "Failures avoided", key: "failures_avoided" },
    ], fleet.policies, best ? "Totals over the fleet" : ""));
    const soon = [...fleet.engines].sort((a, b) => a.lower - b.lower).slice(0, 10);
    $("soon-table").append(kiwerk.table([
      { label: "Engine", key: "unit" },
      { label: "Last cycle", key: "cycle" },
      { label: "Estimate", render: (e) => e.estimate.toFixed(0) },
      { label: "Interval", render: (e) => `${e.lower.toFixed(0)}–${e.upper.toFixed(0)}` },
      { label: "True RUL", render: (e) => (e.truth === null ? "–" : e.truth.toFixed(0)) },
    ], soon, "Lowest lower bounds first"));
  } catch (error) {
    kiwerk.showError("fleet-error", error);
    $("fleet-summary").textContent = "";
  }
})();
