"use strict";
(async function () {
  const { el, table, fmt, org } = kiwerk;

  async function load() {
    try {
      const pilots = (await kiwerk.api("/pilots")).filter((p) => p.organisation === org);
      const latest = (p) => p.iterations.length ? p.iterations[p.iterations.length - 1].kpi_value : null;
      document.getElementById("pilots-list").replaceChildren(table([
        { label: "Pilot", render: (p) => el("a", { href: "/ui/pilots/" + encodeURIComponent(p.name), text: p.name }) },
        { label: "Use case", key: "use_case" },
        { label: "Goal KPI", render: (p) => `${p.kpi} [${p.unit}], ${p.direction} is better` },
        { label: "Baseline", render: (p) => fmt(p.baseline) },
        { label: "Goal", render: (p) => fmt(p.goal) },
        { label: "Latest", render: (p) => latest(p) === null ? "–" : `${fmt(latest(p))} (iteration ${p.iterations.length})` },
        { label: "Progress", render: (p) => p.progress === null ? "–" :
          el("span", { class: p.goal_reached ? "ok" : "", text: `${Math.round(100 * p.progress)}\u00a0%${p.goal_reached ? ", goal reached" : ""}` }) },
      ], pilots, `Tracked pilots of ${org}`));
    } catch (error) {
      kiwerk.showError("pilots-error", error);
    }
  }

  const form = document.getElementById("pilot-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      kiwerk.clearError("pilot-form-error");
      const missing = ["name", "use_case", "kpi", "unit", "baseline", "goal"]
        .filter((f) => !form[f].value.trim());
      if (missing.length) {
        kiwerk.showError("pilot-form-error", `Fill in: ${missing.join(", ").replace("_", " ")}.`);
        form[missing[0]].focus();
        return;
      }
      const body = {
        name: form.name.value.trim(), organisation: org, use_case: form.use_case.value.trim(),
        kpi: form.kpi.value.trim(), unit: form.unit.value.trim(), direction: form.direction.value,
        baseline: Number(form.baseline.value), goal: Number(form.goal.value),
      };
      try {
        const pilot = await kiwerk.api("/pilots", { method: "POST", json: body });
        location.assign("/ui/pilots/" + encodeURIComponent(pilot.name));
      } catch (error) {
        kiwerk.showError("pilot-form-error", error);
      }
    });
  }
  load();
})();
