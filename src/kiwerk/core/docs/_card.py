"""Model cards: technical documentation of a registered model, generated.

Everything comes from the registry record, the pilot's declaration and the
pool's stored quality reports — never written by hand — in the spirit of the
EU AI Act's Annex IV: intended use, data and its versions and quality,
metrics on the official split, known limits, explanation method,
human-oversight instructions and the monitoring plan.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Any

from kiwerk.core.models import ModelRecord
from kiwerk.core.monitor.live import LiveMonitorParams
from kiwerk.core.pipeline import DomainPipeline


@dataclass(frozen=True)
class ModelCard:
    """The sections of a model card, each a list of Markdown lines."""

    title: str
    sections: dict[str, list[str]] = field(default_factory=dict)

    def to_markdown(self) -> str:
        """The card as Markdown."""
        parts = [f"# {self.title}", ""]
        for name, lines in self.sections.items():
            parts += [f"## {name}", "", *lines, ""]
        return "\n".join(parts)

    def to_html(self) -> str:
        """The card as a self-contained HTML page."""
        body = [f"<h1>{html.escape(self.title)}</h1>"]
        for name, lines in self.sections.items():
            body.append(f"<h2>{html.escape(name)}</h2>")
            items = [line.removeprefix("- ") for line in lines if line.startswith("- ")]
            text = [line for line in lines if line and not line.startswith("- ")]
            body += [f"<p>{html.escape(t)}</p>" for t in text]
            if items:
                lis = "".join(f"<li>{html.escape(i)}</li>" for i in items)
                body.append(f"<ul>{lis}</ul>")
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>body{{font-family:"
            "sans-serif;max-width:60em;margin:auto}</style></head><body>"
            + "".join(body)
            + "</body></html>"
        )


def _numbers(values: dict[str, float]) -> list[str]:
    return [f"- {k}: {v:.4g}" for k, v in sorted(values.items())] or ["- none recorded"]


def build_card(
    pilot: DomainPipeline,
    record: ModelRecord,
    *,
    quality: dict[str, dict[str, Any]] | None = None,
    monitor: LiveMonitorParams | None = None,
) -> ModelCard:
    """The model card of ``record``, a version of ``pilot``'s model.

    Parameters
    ----------
    quality
        Dataset name → stored quality report of the version trained on.
    monitor
        The live-monitoring plan of the service.
    """
    quality = quality or {}
    monitor = monitor or LiveMonitorParams()
    created = dt.datetime.fromtimestamp(record.created_ms / 1000, tz=dt.UTC)
    rule = pilot.promotion
    data = []
    for ref in record.datasets:
        data.append(
            f"- {ref.name} version {ref.version}: {ref.rows:,} rows, "
            f"sha256 {ref.content_hash}"
        )
        report = quality.get(ref.name)
        if report:
            data.append(
                f"- quality of {ref.name} v{ref.version}: "
                f"{'passed' if report.get('passed') else 'violations found'}, "
                f"{report.get('rows_quarantined', 0)} rows quarantined, "
                f"{report.get('duplicate_rows', 0)} duplicate rows, "
                f"{report.get('violation_total', 0)} failing values"
            )
    importance = record.explanation.get("importance", {})
    return ModelCard(
        title=f"Model card: {record.name} version {record.version}",
        sections={
            "Intended use": [
                pilot.title + ".",
                f"Owner organisation: {pilot.contract.org}. Stage: {record.stage}.",
                "Inputs: " + ", ".join(c.name for c in pilot.contract.inputs) + ".",
                "Decision support only: a person decides on every action.",
            ],
            "Data": data or ["- no dataset recorded"],
            "Metrics on the official test split": _numbers(record.metrics),
            "Cross-validation on the training part": _numbers(record.cv_metrics),
            "Business KPIs": _numbers(record.kpis),
            "Training": [
                f"- trained {created:%Y-%m-%d %H:%M} UTC, seed {record.seed}, "
                f"code {record.code_version}, MLflow run {record.run_id}",
                *(f"- {k} = {v}" for k, v in sorted(record.params.items())),
            ],
            "Explanation method": [
                f"Per-prediction additive contributions "
                f"({record.explanation.get('output', 'model output')}); most "
                "important features on the test sample:",
                *(f"- {k}: {float(v):.4g}" for k, v in list(importance.items())[:10]),
            ],
            "Known limits": [
                "- valid only for inputs like the training data; requests outside "
                "the input contract are refused",
                "- metrics hold for the official split; drift (below) signals when "
                "they may no longer hold",
                f"- promotion rule: {rule.metric} "
                f"{'≥' if rule.higher_is_better else '≤'} {rule.minimum:g}",
            ],
            "Human oversight": [
                "- predictions and their explanations are shown to a person, who "
                "confirms or overrides them",
                "- only owners of the organisation promote a version; every "
                "promotion, refusal and prediction is logged",
                "- stop using the model (demote it) when monitoring raises alerts",
            ],
            "Monitoring plan": [
                "- every prediction logged with a keyed hash of its inputs",
                f"- reference: first {monitor.reference_size} served rows; windows "
                f"of {monitor.window_size} rows, {monitor.bins} quantile bins",
                f"- PSI, KS and Wasserstein per input and prediction column; alert "
                f"at PSI ≥ {monitor.psi_alert} or KS ≥ {monitor.ks_alert}",
                "- series at GET /models/{name}/monitoring",
            ],
        },
    )


__all__ = ["ModelCard", "build_card"]
