"""Prediction ids in the log, and ground-truth outcomes posted for them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``predictions.prediction_id`` and the ``outcomes`` table."""
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(sa.Column("prediction_id", sa.String(48), nullable=True))
    op.create_index("ix_predictions_pid", "predictions", ["prediction_id"])
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("prediction_id", sa.String(48), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
    )
    op.create_index("ix_outcomes_model_pid", "outcomes", ["model", "prediction_id"])


def downgrade() -> None:
    """Drop the outcomes and the prediction id column."""
    op.drop_table("outcomes")
    op.drop_index("ix_predictions_pid", "predictions")
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("prediction_id")
