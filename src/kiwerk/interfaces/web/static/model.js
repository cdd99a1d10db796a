"use strict";
(async function () {
  const { el, table, fmt } = kiwerk;
  const name = kiwerk.params.name;
  const base = "/models/" + encodeURIComponent(name);
  let chart = null;

  function renderCard(model, role) {
    const prod = model.versions.find((v) => v.aliases.includes("production"));
    const data = (prod || model.versions[0] || { datasets: [] }).datasets
      .map((d) => `${d.name} v${d.version} (${d.rows} rows)`).join(", ");
    document.getElementById("model-summary").replaceChildren(
      el("p", {}, el("strong", { text: model.title })),
      el("dl", {},
        el("dt", { text: "Organisation" }), el("dd", { text: `${model.org} (your role: ${role || "none"})` }),
        el("dt", { text: "Inputs" }), el("dd", { text: model.inputs.join(", ") }),
        el("dt", { text: "Production version" }), el("dd", { text: prod ? `v${prod.version}` : "none yet" }),
        el("dt", { text: "Trained on" }), el("dd", { text: data || "–" })));
  }

  function renderVersions(model, role) {
    const owner = role === "owner";
    const columns = [
      { label: "Version", render: (v) => `v${v.version}` },
      { label: "Aliases", render: (v) => v.aliases.map((a) =>
        el("span", { class: a === "production" ? "tag prod" : "tag", text: a })) },
      { label: "Metrics", render: (v) => Object.entries(v.metrics).map(([k, x]) => `${k} ${fmt(x)}`).join(", ") },
      { label: "KPIs", render: (v) => Object.entries(v.kpis).map(([k, x]) => `${k} ${fmt(x, 2)}`).join(", ") || "–" },
      { label: "Registered", render: (v) => new Date(v.created_ms).toISOString().slice(0, 16).replace("T", " ") },
      { label: "Action", render: (v) => v.aliases.includes("production") ? "in production" :
        el("button", {
          type: "button", class: owner ? "" : "secondary",
          "aria-describedby": owner ? null : "promote-hint",
          text: `Promote v${v.version}`,
          onclick: () => promote(v.version),
        }) },
    ];
    const hint = owner ? null : el("p", { id: "promote-hint", class: "muted",
      text: "Only owners may promote; the server decides and says so." });
    document.getElementById("model-versions").replaceChildren(
      table(columns, model.versions, `Registered versions of ${name}`), hint || "");
  }

  async function promote(version) {
    kiwerk.clearError("promote-error");
    const status = document.getElementById("promote-status");
    status.hidden = true;
    try {
      const v = await kiwerk.api(base + "/promote", { method: "POST", json: { version } });
      status.textContent = `v${v.version} is now in production.`;
      status.hidden = false;
      await load();
    } catch (error) {
      kiwerk.showError("promote-error", error);
    }
  }

  function renderMonitoring(mon) {
    const windows = mon.windows;
    const cols = windows.length ? Object.keys(windows[windows.length - 1].columns) : [];
    const alerts = windows.filter((w) => w.alerts.length).length;
    document.getElementById("monitor-summary").textContent = windows.length ?
      `v${mon.version}: ${windows.length} closed windows of served predictions, ` +
      `${alerts} with drift alerts (PSI ≥ ${mon.params.psi_alert} or KS ≥ ${mon.params.ks_alert}).` :
      `v${mon.version}: no closed monitoring window yet ` +
      `(reference ${mon.state.reference_rows || 0} of ${mon.params.reference_size} rows).`;
    const metric = document.getElementById("drift-metric").value;
    const labels = windows.map((w, i) => `#${i + 1}`);
    if (chart) chart.destroy();
    chart = kiwerk.lineChart(document.getElementById("drift-chart"), {
      labels,
      series: cols.map((c) => ({ label: c, data: windows.map((w) => w.columns[c][metric]) })),
      xTitle: "window", yTitle: metric.toUpperCase(), beginAtZero: true,
    });
    document.getElementById("monitor-windows").replaceChildren(table([
      { label: "Window", render: (w) => labels[windows.indexOf(w)] },
      { label: "End (UTC)", render: (w) => new Date(w.end * 1000).toISOString().slice(11, 19) },
      { label: "Rows", key: "rows" },
      { label: "Alerts", render: (w) => w.alerts.length ?
        el("span", { class: "bad", text: w.alerts.join(", ") }) : "none" },
      { label: `Highest ${metric.toUpperCase()}`, render: (w) => {
        const [col, s] = Object.entries(w.columns).sort((a, b) => b[1][metric] - a[1][metric])[0] || ["–", {}];
        return `${fmt(s[metric])} (${col})`;
      } },
    ], windows.slice(-20).reverse(), "Newest monitoring windows"));
  }

  async function load() {
    const [model, me] = await Promise.all([kiwerk.api(base), kiwerk.api("/auth/me")]);
    const role = me.roles[model.org];
    renderCard(model, role);
    renderVersions(model, role);
    try {
      const mon = await kiwerk.api(base + "/monitoring?limit=200");
      renderMonitoring(mon);
      document.getElementById("drift-metric").onchange = () => renderMonitoring(mon);
    } catch (error) {
      document.getElementById("monitor-summary").textContent = `No monitoring data: ${error.detail || error.message}`;
    }
  }

  try {
    await load();
  } catch (error) {
    kiwerk.showError("model-error", error);
  }
})();
