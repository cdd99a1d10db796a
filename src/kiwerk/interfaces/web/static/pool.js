"use strict";
(async function () {
  const { el, table, org } = kiwerk;
  const columns = [
    { label: "Dataset", render: (d) => el("a", { href: "/ui/pool/" + encodeURIComponent(d.name), text: d.name }) },
    { label: "Organisation", key: "org" },
    { label: "Versions", key: "versions" },
    { label: "Your access", key: "access" },
    { label: "Created", render: (d) => d.created_at.slice(0, 19).replace("T", " ") },
  ];
  try {
    const datasets = await kiwerk.api("/datasets");
    document.getElementById("pool-own").replaceChildren(
      table(columns, datasets.filter((d) => d.org === org), `Datasets of ${org}`));
    document.getElementById("pool-granted").replaceChildren(
      table(columns, datasets.filter((d) => d.org !== org), "Granted datasets"));
  } catch (error) {
    kiwerk.showError("pool-error", error);
  }
})();
