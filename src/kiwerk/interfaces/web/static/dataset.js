"use strict";
(async function () {
  const { el, table, fmt } = kiwerk;
  const name = kiwerk.params.name;
  const base = "/datasets/" + encodeURIComponent(name);

  async function showQuality(version) {
    const target = document.getElementById("ds-quality");
    try {
      const q = await kiwerk.api(`${base}/versions/${version}/quality`);
      const verdict = el("p", {},
        el("strong", { class: q.passed ? "ok" : "bad", text: q.passed ? "Passed" : "Failed" }),
        ` — ${q.rows_kept} of ${q.rows} rows kept, ${q.rows_quarantined} quarantined, `,
        `${q.duplicate_rows} duplicates, policy ${q.policy}` +
        (q.k_min === null ? "" : `, k-anonymity k = ${q.k_min}`) + ".");
      const cols = table([
        { label: "Column", key: "name" },
        { label: "Type", key: "dtype" },
        { label: "Treatment", key: "treatment" },
        { label: "Missing", render: (c) => `${c.nulls} (${(100 * c.null_share).toFixed(1)}\u00a0%)` },
        { label: "Min", render: (c) => fmt(c.min) },
        { label: "Max", render: (c) => fmt(c.max) },
      ], q.columns, `Columns of version ${q.version}`);
      const violations = q.violations.length ? table([
        { label: "Line", render: (v) => v.line ?? v.row }, { label: "Column", key: "column" },
        { label: "Check", key: "check" }, { label: "Value", key: "value" },
      ], q.violations.slice(0, 50), "Contract violations (first 50)") : el("p", { text: "No contract violations." });
      target.replaceChildren(verdict, cols, violations);
    } catch (error) {
      target.replaceChildren(el("p", { class: "error", role: "alert", text: error.message }));
    }
  }

  async function showGrants(detail) {
    const target = document.getElementById("ds-grants");
    const owner = detail.access === "owner" && kiwerk.role === "owner" && detail.org === kiwerk.org;
    try {
      const grants = await kiwerk.api(base + "/grants");
      const columns = [{ label: "Organisation", key: "org" }, { label: "Level", key: "level" }];
      if (owner) {
        columns.push({ label: "Action", render: (g) => el("button", {
          type: "button", class: "secondary", text: `Revoke ${g.org}`,
          onclick: async () => {
            try {
              await kiwerk.api(`${base}/grants/${encodeURIComponent(g.org)}`, { method: "DELETE" });
              showGrants(detail);
            } catch (error) { kiwerk.showError("grant-error", error); }
          },
        }) });
      }
      target.replaceChildren(table(columns, grants, `Organisations granted ${name}`));
    } catch (error) {
      target.replaceChildren(el("p", { class: "error", role: "alert", text: error.message }));
    }
    const form = document.getElementById("grant-form");
    form.hidden = !owner;
  }

  try {
    const [detail, versions] = await Promise.all([
      kiwerk.api(base), kiwerk.api(base + "/versions"),
    ]);
    const spec = detail.spec || {};
    document.getElementById("ds-summary").replaceChildren(
      el("p", {}, `Owned by ${detail.org}; your access: ${detail.access}; ${detail.versions} versions.`),
      el("p", {}, `Contract: policy ${spec.policy || "–"}; personal columns: ${(spec.personal || []).join(", ") || "none"}; ` +
        `dropped: ${(spec.drop || []).join(", ") || "none"}; k = ${spec.k ?? "–"}.`));
    const newest = [...versions].sort((a, b) => b.version - a.version);
    document.getElementById("ds-versions").replaceChildren(table([
      { label: "Version", key: "version" },
      { label: "Rows", key: "rows" },
      { label: "Quarantined", key: "quarantined" },
      { label: "Created", render: (v) => `${v.created_at.slice(0, 19).replace("T", " ")} by ${v.created_by}` },
      { label: "Source", key: "source" },
      { label: "Content hash", render: (v) => el("code", { title: v.content_hash, text: v.content_hash.slice(0, 12) }) },
    ], newest, `Versions of ${name}`));
    const select = document.getElementById("quality-version");
    select.replaceChildren(...newest.map((v) => el("option", { value: v.version, text: `v${v.version}` })));
    select.addEventListener("change", () => showQuality(select.value));
    if (newest.length) showQuality(newest[0].version);
    showGrants(detail);
    document.getElementById("grant-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      kiwerk.clearError("grant-error");
      const form = event.target;
      const target = form.org.value.trim();
      if (!target) { kiwerk.showError("grant-error", "Name the organisation to grant."); return; }
      try {
        await kiwerk.api(`${base}/grants/${encodeURIComponent(target)}`,
          { method: "PUT", json: { level: form.level.value } });
        form.reset();
        showGrants(detail);
      } catch (error) { kiwerk.showError("grant-error", error); }
    });
  } catch (error) {
    kiwerk.showError("ds-error", error);
  }
})();
