"use strict";
(async function () {
  const { el, table, fmt, org } = kiwerk;
  const production = (m) => m.versions.find((v) => v.aliases.includes("production"));
  const metrics = (v) => v ? Object.entries(v.metrics).slice(0, 3)
    .map(([k, x]) => `${k} ${fmt(x)}`).join(", ") : "–";
  try {
    const models = (await kiwerk.api("/models")).filter((m) => m.org === org);
    document.getElementById("models-list").replaceChildren(table([
      { label: "Model", render: (m) => el("a", { href: "/ui/models/" + encodeURIComponent(m.name), text: m.name }) },
      { label: "Pilot", key: "title" },
      { label: "Versions", render: (m) => m.versions.length },
      { label: "Production", render: (m) => production(m) ? `v${production(m).version}` : "none" },
      { label: "Metrics (production, else newest)", render: (m) => metrics(production(m) || m.versions[0]) },
    ], models, `Models of ${org}`));
  } catch (error) {
    kiwerk.showError("models-error", error);
  }
})();
