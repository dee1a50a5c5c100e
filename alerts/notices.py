"""Telling a subscription's owner that alerts could not be delivered, once per failure episode.

A notice row is written in the same transaction that moves a delivery to the
dead-letter state, but only when ``owner_notified_at`` is empty; the next
successful send clears it. So a channel that keeps failing produces one notice,
not one per alert. Notices are themselves a tiny outbox: written first, emailed
after the commit, and a notice that cannot be emailed keeps its error for
``policywatch alerts status``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from alerts.channels.base import ChannelError
from alerts.channels.email import build_email, send_email
from alerts.render import links
from policywatch.config import Settings
from policywatch.store.db import session_scope
from policywatch.store.tables import AlertNotice, Subscription


def notify_owner(
    session: Session,
    *,
    subscription: Subscription,
    key: str,
    error: str,
    attempts: int,
    now: datetime,
) -> AlertNotice | None:
    """Queue a dead-letter notice unless the owner has already been told."""
    if subscription.owner_notified_at is not None:
        return None
    subscription.owner_notified_at = now
    session.add(subscription)
    notice = AlertNotice(
        subscription_id=subscription.id,  # type: ignore[arg-type]
        kind="dead_letter",
        created_at=now,
        message=(
            f"PolicyWatch could not deliver alerts for your subscription “{subscription.name}” "
            f"({subscription.channel} to {subscription.address or 'its feed'}) after {attempts} "
            f"attempts. Last error: {error}\n\nFurther failures will not be reported until a "
            f"delivery succeeds again. Reference: {key}"
        ),
    )
    session.add(notice)
    return notice


def send_pending_notices(engine: Engine, settings: Settings, *, now: datetime) -> int:
    """Email notices not yet sent; returns how many went out."""
    sent = 0
    with session_scope(engine) as session:
        pending = session.exec(
            select(AlertNotice, Subscription)
            .join(Subscription, col(Subscription.id) == col(AlertNotice.subscription_id))
            .where(col(AlertNotice.sent_at).is_(None), col(AlertNotice.error).is_(None))
            .order_by(col(AlertNotice.id))
        ).all()
        for notice, subscription in pending:
            owner = subscription.owner_email
            if not owner:
                notice.error = "no owner email address to tell"
            else:
                message = build_email(
                    settings=settings,
                    to_address=owner,
                    to_name=subscription.subscriber_name or subscription.name,
                    subject=f"[PolicyWatch] Alerts for “{subscription.name}” not delivered",
                    text=f"{notice.message}\n\nManage the subscription: "
                    f"{links(subscription, settings)['manage']}\n",
                    html=None,
                    key=f"pw-notice-{notice.id}",
                    unsubscribe_url=None,
                )
                try:
                    send_email(message, settings=settings)
                    notice.sent_at = now
                    sent += 1
                except ChannelError as exc:
                    notice.error = str(exc)
            session.add(notice)
    return sent


def send_confirmation(subscription: Subscription, settings: Settings) -> None:
    """Email the double opt-in link; raises ChannelError when the server refuses."""
    the_links = links(subscription, settings)
    text = (
        f"Hello {subscription.subscriber_name or subscription.name},\n\n"
        f"Someone (we hope you) asked PolicyWatch to send alerts for “{subscription.name}” "
        f"to this address. Nothing will be sent until you confirm:\n\n"
        f"  {the_links['confirm']}\n\n"
        f"If this was not you, ignore this message and you will hear nothing more.\n\n"
        f"Manage the subscription: {the_links['manage']}\n"
    )
    send_email(
        build_email(
            settings=settings,
            to_address=subscription.address,
            to_name=subscription.subscriber_name or subscription.name,
            subject=f"[PolicyWatch] Confirm your alerts for “{subscription.name}”",
            text=text,
            html=None,
            key=f"pw-confirm-{subscription.confirm_token[:16]}",
            unsubscribe_url=None,
        ),
        settings=settings,
    )
