"""The dashboard's layout: it depends on the public API only, pages are valid."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kiwerk.interfaces import web
from kiwerk.interfaces.web import PAGES, Page

WEB = Path(web.__file__).parent
#: What the dashboard may import from kiwerk: the API, itself, errors, version.
ALLOWED = ("kiwerk.interfaces.api", "kiwerk.interfaces.web", "kiwerk.errors")


def _kiwerk_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {n for n in found if n.split(".")[0] == "kiwerk"}


@pytest.mark.parametrize("path", sorted(WEB.rglob("*.py")), ids=lambda p: p.name)
def test_web_imports_only_the_api(path: Path) -> None:
    """Dashboard modules import nothing of kiwerk beyond the API and errors."""
    for name in _kiwerk_imports(path):
        assert name == "kiwerk" or name.startswith(ALLOWED), f"{path.name}: {name}"


def test_every_page_has_its_template_and_scripts() -> None:
    """Each registered page's template and scripts exist (vendor files aside)."""
    for page in PAGES:
        assert (WEB / "templates" / page.template).is_file(), page.template
        for script in page.scripts:
            if not script.startswith("vendor/"):
                assert (WEB / "static" / script).is_file(), script


def test_page_paths_are_unique() -> None:
    """No two pages share a URL."""
    urls = [p.url for p in PAGES]
    assert len(urls) == len(set(urls))


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("pool", "viewer"),  # no leading slash
        ("/Pool", "viewer"),  # upper case
        ("/pool", "admin"),  # no such role
    ],
)
def test_page_refuses_bad_definitions(path: str, role: str) -> None:
    """A malformed page path or an unknown role is refused up front."""
    with pytest.raises(ValueError, match="Expected"):
        Page(path, "x", "x.html", min_role=role)  # type: ignore[arg-type]
