"""Timeline: signal lifecycle columns, richer evidence rows, recompute runs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from policywatch.store.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN everywhere (no batch rebuilds), with server defaults so
    # rows already stored get a value
    op.add_column(
        "event", sa.Column("created_at", UTCDateTime(), nullable=False, server_default="2000-01-01")
    )
    op.add_column(
        "signal", sa.Column("scope", sa.String(length=320), nullable=False, server_default="")
    )
    op.add_column(
        "signal", sa.Column("digest", sa.String(length=64), nullable=False, server_default="")
    )
    op.add_column("signal", sa.Column("first_date", UTCDateTime(), nullable=True))
    op.add_column("signal", sa.Column("last_date", UTCDateTime(), nullable=True))
    op.create_index("ix_signal_status", "signal", ["status"])
    op.create_index("ix_signal_scope", "signal", ["scope"])
    op.create_index("ix_signal_first_date", "signal", ["first_date"])
    op.create_index("ix_signal_last_date", "signal", ["last_date"])
    # signalevidence carries no search trigger, so a batch rebuild (needed on SQLite
    # for the foreign key) is safe here
    with op.batch_alter_table("signalevidence") as batch:
        batch.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("actor", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("direction", sa.String(length=20), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("money_gbp", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("published_at", UTCDateTime(), nullable=True))
        batch.create_foreign_key(
            "fk_signalevidence_document_id_document", "document", ["document_id"], ["id"]
        )
    op.create_index("ix_signalevidence_document_id", "signalevidence", ["document_id"])
    op.create_index("ix_signalevidence_actor", "signalevidence", ["actor"])
    # reviewer decisions: the dashboard's signalreview table (revision 0006)
    op.create_table(
        "timelinerun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("timelinerun")
    op.drop_index("ix_signalevidence_actor", table_name="signalevidence")
    op.drop_index("ix_signalevidence_document_id", table_name="signalevidence")
    with op.batch_alter_table("signalevidence") as batch:  # no search trigger here
        batch.drop_constraint("fk_signalevidence_document_id_document", type_="foreignkey")
        for name in ("published_at", "money_gbp", "direction", "actor", "position", "document_id"):
            batch.drop_column(name)
    for name in (
        "ix_signal_last_date",
        "ix_signal_first_date",
        "ix_signal_scope",
        "ix_signal_status",
    ):
        op.drop_index(name, table_name="signal")
    for name in ("last_date", "first_date", "digest", "scope"):
        op.drop_column("signal", name)
    op.drop_column("event", "created_at")
