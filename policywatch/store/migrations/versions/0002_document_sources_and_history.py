"""Documents found through several sources; versions known only from change history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from policywatch.store.types import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "documentsource",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("document_id", "source_key"),
    )
    # every existing document was found through the source that first stored it
    op.execute(
        "INSERT INTO documentsource (document_id, source_key, first_seen_at) "
        "SELECT id, source_key, created_at FROM document"
    )
    # plain ALTER TABLE, not batch mode: on SQLite a batch rebuild of documentversion
    # would drop the full-text search trigger that lives on it
    op.add_column(
        "documentversion",
        sa.Column("body_known", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    op.drop_column("documentversion", "body_known")  # SQLite >= 3.35 drops columns in place
    op.drop_table("documentsource")
