"""Classifier versions: model records, per-document scores, theme tags kept per model version.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from policywatch.store.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "modelrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_modelrecord_name", "modelrecord", ["name"])
    op.create_index("ix_modelrecord_version", "modelrecord", ["version"], unique=True)
    op.create_table(
        "documentscore",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["documentversion.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "version_id", "name", "model_version", name="uq_score_version_name_model"
        ),
    )
    op.create_index("ix_documentscore_version_id", "documentscore", ["version_id"])
    op.create_index("ix_documentscore_name", "documentscore", ["name"])
    # documenttheme carries no search trigger, so a batch rebuild is safe here
    with op.batch_alter_table("documenttheme") as batch:
        batch.drop_constraint("uq_theme_version_method", type_="unique")
        batch.create_unique_constraint(
            "uq_theme_version_method_model", ["version_id", "theme", "method", "model_version"]
        )


def downgrade() -> None:
    with op.batch_alter_table("documenttheme") as batch:
        batch.drop_constraint("uq_theme_version_method_model", type_="unique")
        batch.create_unique_constraint("uq_theme_version_method", ["version_id", "theme", "method"])
    op.drop_index("ix_documentscore_name", table_name="documentscore")
    op.drop_index("ix_documentscore_version_id", table_name="documentscore")
    op.drop_table("documentscore")
    op.drop_index("ix_modelrecord_version", table_name="modelrecord")
    op.drop_index("ix_modelrecord_name", table_name="modelrecord")
    op.drop_table("modelrecord")
