"""Dashboard: reviewer accounts and their confirm/dismiss decisions on signals.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from policywatch.store.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revieweruser",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_revieweruser_username", "revieweruser", ["username"], unique=True)
    op.create_table(
        "signalreview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["revieweruser.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signalreview_signal_id", "signalreview", ["signal_id"])
    op.create_index("ix_signalreview_user_id", "signalreview", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_signalreview_user_id", table_name="signalreview")
    op.drop_index("ix_signalreview_signal_id", table_name="signalreview")
    op.drop_table("signalreview")
    op.drop_index("ix_revieweruser_username", table_name="revieweruser")
    op.drop_table("revieweruser")
