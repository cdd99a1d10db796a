"""Playbook tools: the readiness check, the pilot tracker and model documentation."""

from kiwerk.core.pilots._assess import assess
from kiwerk.core.pilots._readiness import (
    Option,
    Question,
    RankedUseCase,
    ReadinessReport,
    ReadinessRules,
    UseCase,
    load_rules,
)
from kiwerk.core.pilots._render import radar_svg, to_html, to_pdf
from kiwerk.core.pilots._tracker import Iteration, PilotRecord, PilotTracker
from kiwerk.core.pilots._tracker_report import kpi_figure
from kiwerk.core.pilots._tracker_report import to_html as tracker_html
from kiwerk.core.pilots._tracker_report import to_pdf as tracker_pdf

__all__ = [
    "Iteration",
    "Option",
    "PilotRecord",
    "PilotTracker",
    "Question",
    "RankedUseCase",
    "ReadinessReport",
    "ReadinessRules",
    "UseCase",
    "assess",
    "kpi_figure",
    "load_rules",
    "radar_svg",
    "to_html",
    "to_pdf",
    "tracker_html",
    "tracker_pdf",
]
