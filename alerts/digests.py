"""Daily and weekly digests, and the digest that carries an immediate subscription's overflow.

A subscription's digest slot is its ``send_hour`` in its own time zone, every
day (daily, and immediate subscriptions' overflow) or on ``send_weekday``
(weekly). At ``now``, a subscription is due when its latest slot is later than
its previous digest (or its creation) and something was already held at that
slot (an alert that arrives at 09:00 waits for tomorrow's 08:00 digest). Its
held deliveries are then given one new message key and queued in one
transaction, which also records the slot, and the outbox sender delivers them
as one message, with the same retries, idempotency and dead letters as
everything else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from alerts.matching import new_key
from alerts.sender import SendReport, drain_outbox
from policywatch.config import Settings
from policywatch.store.db import session_scope
from policywatch.store.tables import Delivery, Subscription
from policywatch.store.types import utcnow


def latest_slot(subscription: Subscription, now: datetime) -> datetime:
    """The most recent digest time at or before ``now``, in UTC."""
    local = now.astimezone(ZoneInfo(subscription.timezone))
    slot = local.replace(hour=subscription.send_hour, minute=0, second=0, microsecond=0)
    if slot > local:
        slot -= timedelta(days=1)
    if subscription.cadence == "weekly":
        slot -= timedelta(days=(slot.weekday() - subscription.send_weekday) % 7)
    # re-attach the zone after day arithmetic so a DST change keeps the local hour
    slot = slot.replace(tzinfo=None).replace(tzinfo=ZoneInfo(subscription.timezone))
    return slot.astimezone(ZoneInfo("UTC"))


def is_due(subscription: Subscription, now: datetime, *, oldest_held: datetime) -> bool:
    """Due when a slot has passed since the last digest and something was waiting at it."""
    slot = latest_slot(subscription, now)
    previous = subscription.last_digest_at or subscription.created_at
    return slot > previous and oldest_held <= slot


def send_due_digests(
    engine: Engine, settings: Settings, *, now: datetime | None = None
) -> SendReport:
    """Queue and send every digest due at ``now``."""
    now = now or utcnow()
    keys: list[str] = []
    with session_scope(engine) as session:
        waiting = (
            select(Delivery.subscription_id, func.min(Delivery.created_at).label("oldest"))
            .where(col(Delivery.status) == "held", col(Delivery.created_at) <= now)
            .group_by(Delivery.subscription_id)
            .subquery()
        )
        rows = session.exec(
            select(Subscription, waiting.c.oldest)
            .join(waiting, waiting.c.subscription_id == col(Subscription.id))
            .where(
                col(Subscription.active).is_(True),
                col(Subscription.confirmed_at).is_not(None),
            )
        ).all()
        for subscription, oldest in rows:
            if isinstance(oldest, str):  # SQLite hands back an aggregate's datetime as text
                oldest = datetime.fromisoformat(oldest)
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            if not is_due(subscription, now, oldest_held=oldest):
                continue
            key = new_key()
            session.exec(  # type: ignore[call-overload]
                update(Delivery)
                .where(
                    col(Delivery.subscription_id) == subscription.id,
                    col(Delivery.status) == "held",
                    col(Delivery.created_at) <= now,
                )
                .values(status="queued", message_key=key, next_attempt_at=None)
            )
            subscription.last_digest_at = latest_slot(subscription, now)
            session.add(subscription)
            keys.append(key)
    if not keys:
        return SendReport()
    return drain_outbox(engine, settings, now=now, message_keys=keys)
