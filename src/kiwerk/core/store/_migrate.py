"""Create or upgrade a metadata store with the Alembic revisions in the package.

No ``alembic.ini`` or ``env.py`` is needed: the revisions are found in
:mod:`kiwerk.core.store.migrations` and run on a connection we open, so an
installed kiwerk migrates its own store (SQLite or PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from kiwerk.core.store import migrations

_HERE = Path(migrations.__file__).parent


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(_HERE), version_locations=[str(_HERE)])


def head_revision() -> str:
    """The newest revision shipped with this kiwerk.

    Examples
    --------
    >>> head_revision()
    '0003'
    """
    head = _script().get_current_head()
    assert head is not None  # the package always ships a revision
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at (``None`` when it was never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as con:
        return MigrationContext.configure(con).get_current_revision()


def _run(engine: Engine, target: str, *, down: bool) -> None:
    script = _script()

    def step(rev: Any, _context: Any) -> Any:
        if down:
            return script._downgrade_revs(target, rev)
        return script._upgrade_revs(target, rev)

    with engine.begin() as con:
        env = EnvironmentContext(Config(), script, fn=step)
        with env:
            env.configure(connection=con, target_metadata=None)
            with env.begin_transaction():
                env.run_migrations()


def migrate(engine: Engine, target: str = "head") -> None:
    """Upgrade the store to ``target`` (default: the newest revision)."""
    _run(engine, target, down=False)


def downgrade(engine: Engine, target: str = "base") -> None:
    """Downgrade the store to ``target`` (default: drop every table)."""
    _run(engine, target, down=True)


__all__ = ["current_revision", "downgrade", "head_revision", "migrate"]
