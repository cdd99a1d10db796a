"""Alembic revisions of the metadata store, applied by ``migrate``.

Each module is one revision; they ship inside the package so that an installed
kiwerk can create or upgrade its store without the source tree.
"""
