"use strict";
(async function () {
  const { el, table } = kiwerk;
  const form = document.getElementById("ready-form");
  let questionnaire = null;
  let radar = null;
  let lastBody = null;

  function buildForm(q) {
    const groups = Object.entries(q.dimensions).map(([dim, title]) => {
      const questions = q.questions.filter((x) => x.dimension === dim);
      return el("fieldset", { class: "card" }, el("legend", { text: title }),
        questions.map((x, qi) => el("fieldset", { id: "q-" + x.id },
          el("legend", { text: `${x.text}${x.blocker !== null ? " (can block a pilot)" : ""}` }),
          x.options.map((o, i) => {
            const id = `a-${x.id}-${i}`;
            return el("div", {}, el("input", { type: "radio", id, name: x.id, value: i }),
              " ", el("label", { for: id, text: o.label }));
          }))));
    });
    document.getElementById("ready-questions").replaceChildren(...groups);
    document.getElementById("ready-sectors").append(...q.sectors.map((s) => el("span", {},
      el("input", { type: "checkbox", id: "s-" + s, name: "sector", value: s, checked: true }),
      " ", el("label", { for: "s-" + s, text: s }), " ")));
  }

  function answers() {
    const given = {};
    const open = [];
    for (const x of questionnaire.questions) {
      const chosen = form.querySelector(`input[name="${CSS.escape(x.id)}"]:checked`);
      if (chosen) given[x.id] = Number(chosen.value); else open.push(x);
    }
    return { given, open };
  }

  function render(result) {
    const dims = Object.keys(result.scores);
    const names = dims.map((d) => result.dimensions[d]);
    if (radar) radar.destroy();
    radar = kiwerk.radarChart(document.getElementById("ready-radar"),
      { labels: names, values: dims.map((d) => result.scores[d]), label: "Maturity (0–100)" });
    document.getElementById("ready-scores").replaceChildren(table([
      { label: "Dimension", render: (d) => result.dimensions[d] },
      { label: "Score (0–100)", render: (d) => result.scores[d].toFixed(0) },
      { label: "Level", render: (d) => result.levels[d] },
    ], dims, "Score and maturity level per dimension"));
    document.getElementById("ready-blockers").replaceChildren(result.blockers.length ?
      el("ul", {}, result.blockers.map((b) => el("li", {}, el("strong", { text: b.text }), " — ", b.action))) :
      el("p", { class: "ok", text: "Nothing blocks a pilot." }));
    document.getElementById("ready-gaps").textContent = result.gaps.length ?
      `Below ${questionnaire.gap_below}: ${result.gaps.map((g) => result.dimensions[g]).join(", ")}.` : "No dimension below the gap line.";
    document.getElementById("ready-ranking").replaceChildren(table([
      { label: "#", render: (u) => result.ranking.indexOf(u) + 1 },
      { label: "Use case", key: "title" },
      { label: "Sector", key: "sector" },
      { label: "Fit", render: (u) => `${Math.round(100 * u.fit)}\u00a0%` },
      { label: "Goal KPI", key: "kpi" },
      { label: "Data it needs", render: (u) => u.data.join("; ") },
      { label: "Below requirement", render: (u) => Object.entries(u.missing)
        .map(([d, [have, need]]) => `${result.dimensions[d]} ${have.toFixed(0)}/${need.toFixed(0)}`).join(", ") || "–" },
    ], result.ranking, "Use cases of kiwerk's pilot catalogue, best fit first"));
    document.getElementById("ready-roadmap").replaceChildren(...result.roadmap.map((p) =>
      el("li", {}, el("strong", { text: p.phase }), el("ul", {}, p.steps.map((s) => el("li", { text: s }))))));
    const section = document.getElementById("ready-result");
    section.hidden = false;
    document.getElementById("result-h").focus();
  }

  async function exportAs(format) {
    const status = document.getElementById("export-status");
    status.textContent = `Preparing the ${format.toUpperCase()}…`;
    try {
      const response = await kiwerk.api(`/readiness/report?format=${format}`,
        { method: "POST", json: lastBody, raw: true });
      kiwerk.download(await response.blob(), `readiness.${format}`);
      status.textContent = `Saved readiness.${format}.`;
    } catch (error) {
      status.textContent = "";
      kiwerk.showError("ready-error", error);
    }
  }

  try {
    questionnaire = await kiwerk.api("/readiness");
    buildForm(questionnaire);
  } catch (error) {
    kiwerk.showError("ready-error", error);
    return;
  }
  document.getElementById("ready-fill").addEventListener("click", () => {
    for (const x of questionnaire.questions) {
      form.querySelector(`input[name="${CSS.escape(x.id)}"][value="0"]`).checked = true;
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    kiwerk.clearError("form-error");
    const { given, open } = answers();
    if (open.length) {
      kiwerk.showError("form-error", `Answer every question: ${open.length} still open, ` +
        `first "${open[0].text}".`);
      const first = form.querySelector(`input[name="${CSS.escape(open[0].id)}"]`);
      first.focus();
      return;
    }
    const sectors = [...form.querySelectorAll('input[name="sector"]:checked')].map((s) => s.value);
    if (!sectors.length) {
      kiwerk.showError("form-error", "Choose at least one sector.");
      return;
    }
    lastBody = { answers: given, sectors, title: `Readiness check of ${kiwerk.org}` };
    try {
      render(await kiwerk.api("/readiness", { method: "POST", json: lastBody }));
    } catch (error) {
      kiwerk.showError("form-error", error);
    }
  });
  document.getElementById("export-pdf").addEventListener("click", () => exportAs("pdf"));
  document.getElementById("export-html").addEventListener("click", () => exportAs("html"));
})();
