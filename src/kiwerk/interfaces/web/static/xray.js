/* X-ray viewer: test cases with the model's triage (GET /xray/cases), the image
 * and its Grad-CAM overlay, and the radiologist's confirm/override
 * (POST /xray/cases/{i}/review, recorded in the audit log). */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const PAGE = 20;
  const canReview = kiwerk.role === "owner" || kiwerk.role === "analyst";
  let offset = 0;
  let current = null;

  const label = (c) => (c.label === 1 ? "pneumonia" : "normal");

  async function showCase(index) {
    kiwerk.clearError("review-error");
    const c = await kiwerk.api(`/xray/cases/${index}`);
    current = c;
    for (const button of document.querySelectorAll("#xray-cases button")) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.index) === index));
    }
    $("case-title").textContent = `Case ${c.index}`;
    $("xray-image").src = c.image_url;
    $("xray-overlay").src = c.overlay_url;
    const facts = [
      ["Decision", c.abstain ? `${c.decision} (abstains: for a radiologist)` : c.decision],
      ["p(pneumonia), calibrated", c.probability.toFixed(3)],
      ["Threshold", c.threshold.toFixed(3)],
      ["Abstain", c.abstain ? "yes" : "no"],
      ["Data set label", label(c)],
      ["Model", `${c.model} v${c.version}`],
    ];
    $("xray-facts").replaceChildren(...facts.flatMap(([k, v]) =>
      [kiwerk.el("dt", { text: k }), kiwerk.el("dd", { text: v })]));
    const reviews = c.reviews.map((r) => kiwerk.el("li", {
      text: `${r.actor}: ${r.verdict} → ${r.finding} (model: ${r.model_decision})` +
        `${r.note ? ` · “${r.note}”` : ""} · audit #${r.seq}`,
    }));
    $("xray-reviews").replaceChildren(...(reviews.length ? reviews :
      [kiwerk.el("li", { class: "muted", text: "No review yet." })]));
    $("xray-case").hidden = false;
  }

  async function listCases() {
    const cases = await kiwerk.api(`/xray/cases?offset=${offset}&limit=${PAGE}`);
    $("xray-cases").replaceChildren(...cases.map((c) => kiwerk.el("li", {},
      kiwerk.el("button", {
        type: "button", "data-index": c.index, "aria-pressed": "false",
        onclick: () => showCase(c.index).catch((e) => kiwerk.showError("xray-error", e)),
      }, `#${c.index} · ${c.decision} · p ${c.probability.toFixed(2)}`))));
    $("xray-prev").disabled = offset === 0;
    $("xray-next").disabled = cases.length < PAGE;
    if (cases.length) {
      $("xray-summary").textContent =
        `Test cases ${offset}–${offset + cases.length - 1} of PneumoniaMNIST, triaged by ` +
        `${cases[0].model} v${cases[0].version}. Pick a case to see where the model looked.`;
      await showCase(cases[0].index);
    }
  }

  async function review(event) {
    event.preventDefault();
    kiwerk.clearError("review-error");
    const form = new FormData($("review-form"));
    const verdict = form.get("verdict");
    const finding = form.get("finding");
    if (verdict === "override" && !finding) {
      kiwerk.showError("review-error", new Error("Choose your finding to override."));
      $("review-finding").focus();
      return;
    }
    try {
      await kiwerk.api(`/xray/cases/${current.index}/review`, {
        method: "POST",
        json: { verdict, finding: verdict === "override" ? finding : null, note: form.get("note") },
      });
      $("review-form").reset();
      await showCase(current.index);
    } catch (error) {
      kiwerk.showError("review-error", error);
    }
  }

  $("review-form").hidden = !canReview;
  $("review-viewer").hidden = canReview;
  $("review-form").addEventListener("submit", review);
  $("xray-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); listCases(); });
  $("xray-next").addEventListener("click", () => { offset += PAGE; listCases(); });
  listCases().catch((error) => {
    kiwerk.showError("xray-error", error);
    $("xray-summary").textContent = "";
  });
})();
