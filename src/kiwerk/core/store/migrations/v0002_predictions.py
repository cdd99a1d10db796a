"""Prediction log (hashed inputs) and live-monitoring windows.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the prediction log and the monitoring windows."""
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("org", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=False),
        sa.Column("output", sa.Text, nullable=False),
    )
    op.create_index("ix_predictions_model_ts", "predictions", ["model", "ts"])
    op.create_table(
        "monitor_windows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("end_ts", sa.Float, nullable=False),
        sa.Column("stats", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_monitor_windows_model_end", "monitor_windows", ["model", "end_ts"]
    )


def downgrade() -> None:
    """Drop the prediction log and the monitoring windows."""
    op.drop_table("monitor_windows")
    op.drop_table("predictions")
