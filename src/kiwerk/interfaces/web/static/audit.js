"use strict";
(async function () {
  const { el, table } = kiwerk;
  try {
    const entries = await kiwerk.api("/audit?limit=200");
    document.getElementById("audit-entries").replaceChildren(table([
      { label: "#", key: "seq" },
      { label: "Time (UTC)", render: (e) => e.ts.slice(0, 19).replace("T", " ") },
      { label: "Actor", key: "actor" },
      { label: "Action", key: "action" },
      { label: "Target", key: "target" },
      { label: "Details", render: (e) => el("code", { text: JSON.stringify(e.details) }) },
    ], entries.reverse(), "Audit entries, newest first"));
  } catch (error) {
    kiwerk.showError("audit-error", error);
  }
  document.getElementById("audit-verify").addEventListener("click", async () => {
    const verdict = document.getElementById("audit-verdict");
    try {
      const r = await kiwerk.api("/audit/verify", { method: "POST" });
      verdict.className = r.ok ? "ok" : "bad";
      verdict.textContent = r.ok ? `Chain intact: ${r.entries} entries.` : `Chain broken: ${r.error}`;
    } catch (error) {
      kiwerk.showError("audit-error", error);
    }
  });
})();
