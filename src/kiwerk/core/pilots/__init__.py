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

__all__ = [
    "Option",
    "Question",
    "RankedUseCase",
    "ReadinessReport",
    "ReadinessRules",
    "UseCase",
    "assess",
    "load_rules",
    "radar_svg",
    "to_html",
    "to_pdf",
]
