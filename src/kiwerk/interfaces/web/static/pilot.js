"use strict";
(async function () {
  const { el, table, fmt } = kiwerk;
  const name = kiwerk.params.name;
  const base = "/pilots/" + encodeURIComponent(name);
  let chart = null;

  function render(p, role) {
    const last = p.iterations[p.iterations.length - 1];
    document.getElementById("pilot-summary").replaceChildren(
      el("p", {}, `Use case ${p.use_case} of ${p.organisation}. Goal KPI: ${p.kpi} [${p.unit}], ${p.direction} is better; ` +
        `baseline ${fmt(p.baseline)}, goal ${fmt(p.goal)}.`),
      el("p", { class: p.goal_reached ? "ok" : "" }, last ?
        `Latest: ${fmt(last.kpi_value)} ${p.unit} in iteration ${last.number}, ${Math.round(100 * p.progress)}\u00a0% of the way to the goal` +
        (p.goal_reached ? " — goal reached." : " — goal not yet reached.") : "No iteration recorded yet."));
    const labels = ["baseline", ...p.iterations.map((i) => `#${i.number}`)];
    const flat = (v) => labels.map(() => v);
    if (chart) chart.destroy();
    chart = kiwerk.lineChart(document.getElementById("kpi-chart"), {
      labels,
      series: [
        { label: `measured ${p.kpi}`, data: [p.baseline, ...p.iterations.map((i) => i.kpi_value)] },
        { label: "baseline", data: flat(p.baseline), dashed: true, color: "#555d66", points: false },
        { label: "goal", data: flat(p.goal), dashed: true, color: "#1e6b2e", points: false },
      ],
      xTitle: "iteration", yTitle: `${p.kpi} [${p.unit}]`,
    });
    document.getElementById("pilot-iterations").replaceChildren(table([
      { label: "Iteration", key: "number" },
      { label: `KPI [${p.unit}]`, render: (i) => fmt(i.kpi_value) },
      { label: "Models", render: (i) => i.models.join(", ") || "–" },
      { label: "Data", render: (i) => i.datasets.join(", ") || "–" },
      { label: "Recorded", render: (i) => `${i.recorded_at.slice(0, 10)} by ${i.recorded_by}` },
      { label: "Note", key: "note" },
    ], p.iterations, "Iterations"));
    document.getElementById("iteration-form").hidden = !(role === "analyst" || role === "owner");
  }

  async function load() {
    const [p, me] = await Promise.all([kiwerk.api(base), kiwerk.api("/auth/me")]);
    render(p, me.roles[p.organisation]);
  }

  const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
  document.getElementById("iteration-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    kiwerk.clearError("iteration-error");
    const value = form.kpi_value.value.trim();
    if (!value || !Number.isFinite(Number(value))) {
      kiwerk.showError("iteration-error", "Enter the measured KPI as a number.");
      form.kpi_value.focus();
      return;
    }
    try {
      await kiwerk.api(base + "/iterations", { method: "POST", json: {
        kpi_value: Number(value), models: list(form.models.value),
        datasets: list(form.datasets.value), note: form.note.value.trim(),
      } });
      form.reset();
      await load();
    } catch (error) {
      kiwerk.showError("iteration-error", error);
    }
  });
  try {
    await load();
  } catch (error) {
    kiwerk.showError("pilot-error", error);
  }
})();
