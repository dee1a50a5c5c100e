"""Drain the outbox: send queued messages with retries, backoff, idempotency keys, dead letters.

A message (one delivery, or a digest's many) goes through three steps, each
its own transaction:

1. **claim**: ``queued -> sending`` with a conditional UPDATE, so two senders
   never take the same message;
2. **send** through the channel, outside any transaction, carrying the
   message's idempotency key;
3. **record**: ``sending -> sent``, or back to ``queued`` with the next
   attempt after an exponentially growing delay, or ``dead`` after
   ``POLICYWATCH_ALERTS_MAX_ATTEMPTS``; a dead letter tells the owner once.

A sender killed between 2 and 3 leaves the message ``sending``; once its
claim is older than ``POLICYWATCH_ALERTS_CLAIM_LEASE_SECONDS`` the next run
sends it again with the same key, and the receiver, seeing a key it already
has, keeps one copy. That is the at-most-once guarantee the receiver can
enforce; nothing on our side can make a network send and a database write
atomic.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from alerts.channels import ChannelError, send_message
from alerts.notices import notify_owner, send_pending_notices
from alerts.render import render_message
from policywatch.config import Settings
from policywatch.store.db import session_scope
from policywatch.store.tables import Delivery, Subscription
from policywatch.store.types import utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(days=1)


@dataclass
class SendReport:
    messages_sent: int = 0
    deliveries_sent: int = 0
    retries_scheduled: int = 0
    dead: int = 0
    cancelled: int = 0
    notices_sent: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: SendReport) -> SendReport:
        for name in ("messages_sent", "deliveries_sent", "retries_scheduled", "dead", "cancelled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notices_sent += other.notices_sent
        self.errors += other.errors
        return self


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Delay before the next attempt after ``attempts`` failures: base x 2^(attempts-1)."""
    delay = timedelta(seconds=settings.alerts_backoff_seconds * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def _sendable(now: datetime, stale: datetime) -> object:
    """Queued and due, or claimed by a sender that never came back."""
    return or_(
        and_(
            col(Delivery.status) == "queued",
            or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now),
        ),
        and_(col(Delivery.status) == "sending", col(Delivery.claimed_at) <= stale),
    )


def due_message_keys(
    session: Session, *, now: datetime, stale: datetime, limit: int, only: list[str] | None
) -> list[str]:
    query = (
        select(Delivery.message_key)
        .where(col(Delivery.message_key) != "", _sendable(now, stale))
        .group_by(col(Delivery.message_key))
        .order_by(col(Delivery.message_key))
        .limit(limit)
    )
    if only is not None:
        query = query.where(col(Delivery.message_key).in_(only))
    return list(session.exec(query).all())


def _claim(
    engine: Engine, key: str, *, now: datetime, stale: datetime
) -> tuple[Subscription, list[Delivery]] | None:
    with session_scope(engine) as session:
        claimed = session.exec(  # type: ignore[call-overload]
            update(Delivery)
            .where(col(Delivery.message_key) == key, _sendable(now, stale))
            .values(status="sending", claimed_at=now)
        )
        if not claimed.rowcount:
            return None  # another sender took it
        deliveries = list(
            session.exec(
                select(Delivery).where(Delivery.message_key == key, Delivery.status == "sending")
            ).all()
        )
        subscription = session.get(Subscription, deliveries[0].subscription_id)
    return (subscription, deliveries) if subscription else None


def _pause_for_crash_test(settings: Settings, key: str) -> None:
    """TEST ONLY: announce that the send happened, then wait to be killed before recording."""
    marker = settings.alerts_test_pause_after_send
    if marker is not None:
        marker.write_text(key, encoding="utf-8")
        time.sleep(3600)


def _record(
    engine: Engine,
    settings: Settings,
    key: str,
    *,
    now: datetime,
    error: str | None,
    report: SendReport,
) -> None:
    with session_scope(engine) as session:
        deliveries = list(
            session.exec(
                select(Delivery).where(Delivery.message_key == key, Delivery.status == "sending")
            ).all()
        )
        if not deliveries:
            return
        subscription = session.get(Subscription, deliveries[0].subscription_id)
        attempts = max(d.attempts for d in deliveries) + 1
        if error is None:
            status, next_at = "sent", None
            report.messages_sent += 1
            report.deliveries_sent += len(deliveries)
            if subscription is not None:
                subscription.owner_notified_at = None  # the next failure episode is news again
                session.add(subscription)
        elif attempts >= settings.alerts_max_attempts:
            status, next_at = "dead", None
            report.dead += len(deliveries)
            report.errors.append(f"{key}: dead after {attempts} attempts: {error}")
            if subscription is not None:
                notify_owner(
                    session,
                    subscription=subscription,
                    key=key,
                    error=error,
                    attempts=attempts,
                    now=now,
                )
        else:
            status, next_at = "queued", now + backoff(settings, attempts)
            report.retries_scheduled += 1
            report.errors.append(f"{key}: attempt {attempts} failed: {error}")
        for delivery in deliveries:
            delivery.status = status
            delivery.attempts = attempts
            delivery.next_attempt_at = next_at
            delivery.last_error = error
            if status == "sent":
                delivery.sent_at = now
            session.add(delivery)


def _cancel(engine: Engine, key: str, report: SendReport) -> None:
    with session_scope(engine) as session:
        result = session.exec(  # type: ignore[call-overload]
            update(Delivery)
            .where(col(Delivery.message_key) == key, col(Delivery.status) == "sending")
            .values(status="cancelled")
        )
        report.cancelled += result.rowcount or 0


def send_one(
    engine: Engine, settings: Settings, key: str, *, now: datetime, report: SendReport
) -> None:
    """Claim, send and record one message (see the module doc for the three steps)."""
    stale = now - timedelta(seconds=settings.alerts_claim_lease_seconds)
    claimed = _claim(engine, key, now=now, stale=stale)
    if claimed is None:
        return
    subscription, deliveries = claimed
    if not subscription.active or subscription.confirmed_at is None:
        _cancel(engine, key, report)
        return
    digest = any(d.mode != "immediate" for d in deliveries)
    message = render_message(subscription, deliveries, key=key, settings=settings, digest=digest)
    try:
        send_message(subscription, message, settings=settings)
    except ChannelError as exc:
        log.warning("alert %s to subscription %s failed: %s", key, subscription.id, exc)
        _record(engine, settings, key, now=now, error=str(exc), report=report)
        return
    _pause_for_crash_test(settings, key)
    _record(engine, settings, key, now=now, error=None, report=report)


def drain_outbox(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    message_keys: list[str] | None = None,
    limit: int = 500,
) -> SendReport:
    """Send every queued message that is due (or only ``message_keys``), then owner notices."""
    now = now or utcnow()
    stale = now - timedelta(seconds=settings.alerts_claim_lease_seconds)
    report = SendReport()
    with session_scope(engine) as session:
        keys = due_message_keys(session, now=now, stale=stale, limit=limit, only=message_keys)
    for key in keys:
        send_one(engine, settings, key, now=now, report=report)
    report.notices_sent += send_pending_notices(engine, settings, now=now)
    return report
