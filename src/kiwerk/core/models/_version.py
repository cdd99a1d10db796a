"""The code version a model was trained with: kiwerk's version and git commit."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import kiwerk


@dataclass(frozen=True)
class CodeVersion:
    """kiwerk's version and, when run from a git checkout, its commit.

    Examples
    --------
    >>> CodeVersion("0.1.0", "abc123", dirty=True).label
    '0.1.0+abc123.dirty'
    >>> CodeVersion("0.1.0", None, dirty=False).label
    '0.1.0'
    """

    kiwerk: str
    commit: str | None
    dirty: bool

    @property
    def label(self) -> str:
        """One string: ``version[+commit[.dirty]]``."""
        if self.commit is None:
            return self.kiwerk
        return f"{self.kiwerk}+{self.commit}{'.dirty' if self.dirty else ''}"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@lru_cache(maxsize=1)
def code_version() -> CodeVersion:
    """kiwerk's version and the git commit of its source tree, if any.

    Examples
    --------
    >>> code_version().kiwerk == kiwerk.__version__
    True
    """
    root = Path(kiwerk.__file__).resolve().parent
    commit = _git(root, "rev-parse", "HEAD")
    dirty = bool(commit and _git(root, "status", "--porcelain", "--", "."))
    return CodeVersion(kiwerk=kiwerk.__version__, commit=commit, dirty=dirty)
