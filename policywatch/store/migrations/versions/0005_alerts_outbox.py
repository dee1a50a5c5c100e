"""Alerts: subscription secrets, schedule and cap; the delivery outbox; match marks; notices.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23

Columns are added with plain ``add_column`` (server defaults for the NOT NULL
ones) rather than batch rebuilds, so SQLite keeps its tables and triggers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from policywatch.store.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _subscription_columns() -> list[sa.Column]:
    """Fresh Column objects each call: a Column can belong to one Table only."""
    return [
        sa.Column("subscriber_name", sa.String(length=300), nullable=False, server_default=""),
        sa.Column("owner_email", sa.String(length=300), nullable=True),
        sa.Column("confirm_token", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("unsubscribe_token", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("feed_token", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("secret", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("unsubscribed_at", UTCDateTime(), nullable=True),
        sa.Column("send_hour", sa.Integer(), nullable=False, server_default="8"),
        sa.Column("send_weekday", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC"),
        sa.Column("daily_cap", sa.Integer(), nullable=True),
        sa.Column("last_digest_at", UTCDateTime(), nullable=True),
        sa.Column("owner_notified_at", UTCDateTime(), nullable=True),
    ]


SUBSCRIPTION_INDEXES = ["confirm_token", "unsubscribe_token", "feed_token"]


def _delivery_columns() -> list[sa.Column]:
    return [
        sa.Column("message_key", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("mode", sa.String(length=20), nullable=False, server_default="immediate"),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("why", sa.Text(), nullable=False, server_default=""),
        sa.Column("payload", sa.JSON(), nullable=False, server_default="{}"),
    ]


def upgrade() -> None:
    for column in _subscription_columns():
        op.add_column("subscription", column)
    for name in SUBSCRIPTION_INDEXES:
        op.create_index(f"ix_subscription_{name}", "subscription", [name])
    for column in _delivery_columns():
        op.add_column("delivery", column)
    op.create_index("ix_delivery_message_key", "delivery", ["message_key"])
    op.create_table(
        "alertmatch",
        sa.Column("item_kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("matched_at", UTCDateTime(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_kind", "item_id"),
    )
    op.create_table(
        "alertnotice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscription.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alertnotice_subscription_id", "alertnotice", ["subscription_id"])


def downgrade() -> None:
    op.drop_index("ix_alertnotice_subscription_id", table_name="alertnotice")
    op.drop_table("alertnotice")
    op.drop_table("alertmatch")
    op.drop_index("ix_delivery_message_key", table_name="delivery")
    for column in reversed(_delivery_columns()):
        op.drop_column("delivery", column.name)
    for name in SUBSCRIPTION_INDEXES:
        op.drop_index(f"ix_subscription_{name}", table_name="subscription")
    for column in reversed(_subscription_columns()):
        op.drop_column("subscription", column.name)
