"""The layout is the architecture: imports run interfaces → domains → core."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import kiwerk

SRC = Path(kiwerk.__file__).parent

# A module's layer, from the bottom up; a module may import its own layer or below.
LAYERS = {"core": 0, "domains": 1, "interfaces": 2}


def _layer(module: str) -> tuple[int, str | None]:
    parts = module.split(".")
    if parts[1:] == ["__main__"]:
        return LAYERS["interfaces"], None
    if len(parts) > 1 and parts[1] in LAYERS:
        domain = parts[2] if parts[1] == "domains" and len(parts) > 2 else None
        return LAYERS[parts[1]], domain
    return 0, None  # errors, settings, datasets belong to the core


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        found.append((name, path))
    return sorted(found)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return {n for n in names if n.split(".")[0] == "kiwerk"}


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v))
def test_imports_run_one_way(module: str, path: Path) -> None:
    """No module imports a higher layer, and no domain imports another domain."""
    level, domain = _layer(module)
    for imported in _imports(path):
        other_level, other_domain = _layer(imported)
        assert other_level <= level, f"{module} imports higher layer {imported}"
        if domain and other_domain:
            assert other_domain == domain, f"{module} imports domain {imported}"


def test_every_module_imports() -> None:
    """Every module imports without error (optional extras installed)."""
    for info in pkgutil.walk_packages(kiwerk.__path__, prefix="kiwerk."):
        importlib.import_module(info.name)


@pytest.mark.parametrize(
    "package",
    sorted(
        name
        for name, path in _modules()
        if path.name == "__init__.py" and "__all__" in path.read_text(encoding="utf-8")
    ),
)
def test_all_is_complete_and_sorted(package: str) -> None:
    """Each package's ``__all__`` is sorted and names only what it defines."""
    mod = importlib.import_module(package)
    exported = list(mod.__all__)
    assert exported == sorted(exported), f"{package}.__all__ is not sorted"
    for name in exported:
        assert hasattr(mod, name), f"{package}.__all__ names missing {name}"
    public = {
        n
        for n, v in vars(mod).items()
        if not n.startswith("_")
        and getattr(v, "__module__", "").startswith(package)
        and callable(v)
    }
    assert public <= set(exported), (
        f"{package} exports {public - set(exported)} silently"
    )
