"""Flows: one row per stage of each orchestrated run (items in, out, failed, seconds, error).

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from policywatch.store.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stagerun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=64), nullable=False),
        sa.Column("flow_name", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=50), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("items_in", sa.Integer(), nullable=False),
        sa.Column("items_out", sa.Integer(), nullable=False),
        sa.Column("items_failed", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_key", "stage", name="uq_stagerun_run_stage"),
    )
    op.create_index("ix_stagerun_run_key", "stagerun", ["run_key"])


def downgrade() -> None:
    op.drop_index("ix_stagerun_run_key", table_name="stagerun")
    op.drop_table("stagerun")
