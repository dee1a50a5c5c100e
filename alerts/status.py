"""What the outbox holds: counts by state, dead letters and owner notices, for ``alerts status``."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from policywatch.store.tables import AlertNotice, Delivery, Subscription


@dataclass
class DeadLetter:
    delivery_id: int
    subscription_id: int
    subscription: str
    channel: str
    item: str
    attempts: int
    error: str


@dataclass
class OutboxStatus:
    subscriptions: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    notices: list[AlertNotice] = field(default_factory=list)


def outbox_status(session: Session, *, limit: int = 50) -> OutboxStatus:
    status = OutboxStatus()
    for active, confirmed, n in session.exec(
        select(
            Subscription.active,
            col(Subscription.confirmed_at).is_not(None),
            func.count(),
        ).group_by(Subscription.active, col(Subscription.confirmed_at).is_not(None))
    ).all():
        label = "active" if active and confirmed else "unconfirmed" if active else "unsubscribed"
        status.subscriptions[label] = status.subscriptions.get(label, 0) + int(n)
    status.deliveries = {
        s: int(n)
        for s, n in session.exec(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        ).all()
    }
    for delivery, subscription in session.exec(
        select(Delivery, Subscription)
        .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
        .where(Delivery.status == "dead")
        .order_by(col(Delivery.id).desc())
        .limit(limit)
    ).all():
        status.dead_letters.append(
            DeadLetter(
                delivery_id=delivery.id,  # type: ignore[arg-type]
                subscription_id=subscription.id,  # type: ignore[arg-type]
                subscription=subscription.name,
                channel=subscription.channel,
                item=f"{delivery.item_kind} {delivery.item_id}: "
                f"{delivery.payload.get('title', '')}",
                attempts=delivery.attempts,
                error=delivery.last_error or "",
            )
        )
    status.notices = list(
        session.exec(select(AlertNotice).order_by(col(AlertNotice.id).desc()).limit(limit)).all()
    )
    return status


def requeue_dead(session: Session, *, subscription_id: int | None = None) -> int:
    """Give dead letters a fresh set of attempts (after the receiver is fixed)."""
    from sqlalchemy import update

    query = update(Delivery).where(col(Delivery.status) == "dead")
    if subscription_id is not None:
        query = query.where(col(Delivery.subscription_id) == subscription_id)
    result = session.exec(  # type: ignore[call-overload]
        query.values(status="queued", attempts=0, next_attempt_at=None, claimed_at=None)
    )
    return int(result.rowcount or 0)
