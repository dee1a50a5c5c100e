"""Creating, confirming, changing and ending subscriptions (the store writes for alerts).

Everything the CLI, the JSON API and the form do to a subscription goes
through these keyword-only functions, so the checks (a real address for the
channel, a webhook that is not aimed inward, known themes, a valid time zone)
are the same everywhere. Email subscriptions start unconfirmed: nothing is
sent to an address until someone who reads it follows the confirmation link
(double opt-in). Other channels are confirmed when created, because whoever
creates them controls the endpoint.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update
from sqlmodel import Session, col, select

from alerts.channels.chat import validate_url
from alerts.filters import Filters, parse_filters
from alerts.safety import check_target_url
from policywatch.config import Settings
from policywatch.errors import PolicyWatchError
from policywatch.store.tables import Delivery, Subscription
from policywatch.store.types import utcnow

CHANNELS = ("email", "webhook", "atom", "apprise")
CADENCES = ("immediate", "daily", "weekly")
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


def check_email(address: str) -> str:
    address = address.strip()
    if not _EMAIL.match(address):
        raise PolicyWatchError(f"not an email address: {address!r}")
    return address


def _check_address(channel: str, address: str, settings: Settings) -> str:
    if channel not in CHANNELS:
        raise PolicyWatchError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    if channel == "email":
        return check_email(address)
    if channel == "webhook":
        return check_target_url(address.strip(), allow=settings.webhook_allow)
    if channel == "apprise":
        return validate_url(address.strip(), settings=settings)
    return ""


def _check_schedule(cadence: str, send_hour: int, send_weekday: int, timezone: str) -> None:
    if cadence not in CADENCES:
        raise PolicyWatchError(f"unknown cadence {cadence!r}; use one of {', '.join(CADENCES)}")
    if not 0 <= send_hour <= 23:
        raise PolicyWatchError("send hour must be 0-23")
    if not 0 <= send_weekday <= 6:
        raise PolicyWatchError("send weekday must be 0 (Monday) to 6 (Sunday)")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyWatchError(f"unknown time zone {timezone!r} (e.g. Europe/London)") from exc


def create_subscription(
    session: Session,
    *,
    settings: Settings,
    name: str,
    channel: str,
    address: str = "",
    filters: Filters | dict[str, Any] | None = None,
    cadence: str = "immediate",
    send_hour: int = 8,
    send_weekday: int = 0,
    timezone: str = "UTC",
    daily_cap: int | None = None,
    subscriber_name: str = "",
    owner_email: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Save a new subscription after checking every field; email ones await confirmation."""
    name = name.strip()
    if not name:
        raise PolicyWatchError("a subscription needs a name")
    address = _check_address(channel, address, settings)
    if channel == "atom" and cadence != "immediate":
        raise PolicyWatchError("an Atom feed is read when the reader wants: use cadence immediate")
    _check_schedule(cadence, send_hour, send_weekday, timezone)
    if daily_cap is not None and daily_cap < 1:
        raise PolicyWatchError("the daily cap must be at least 1")
    checked = filters if isinstance(filters, Filters) else parse_filters(filters or {})
    owner = check_email(owner_email) if owner_email else (address if channel == "email" else None)
    now = now or utcnow()
    subscription = Subscription(
        name=name,
        channel=channel,
        address=address,
        filters=checked.model_dump(),
        cadence=cadence,
        token=secrets.token_urlsafe(24),
        confirm_token=secrets.token_urlsafe(24),
        unsubscribe_token=secrets.token_urlsafe(24),
        feed_token=secrets.token_urlsafe(24),
        secret=secrets.token_urlsafe(32),
        confirmed_at=None if channel == "email" else now,
        send_hour=send_hour,
        send_weekday=send_weekday,
        timezone=timezone,
        daily_cap=daily_cap,
        subscriber_name=subscriber_name.strip(),
        owner_email=owner,
        created_at=now,
    )
    session.add(subscription)
    session.flush()
    return subscription


def by_token(session: Session, *, column: str, token: str) -> Subscription | None:
    """The subscription whose ``column`` (token, confirm_token, ...) is ``token``."""
    if not token:
        return None
    return session.exec(select(Subscription).where(getattr(Subscription, column) == token)).first()


def get_subscription(session: Session, *, ref: str | int) -> Subscription:
    """A subscription by id or management token, or a clear error."""
    found = None
    if isinstance(ref, int) or str(ref).isdigit():
        found = session.get(Subscription, int(ref))
    else:
        found = by_token(session, column="token", token=str(ref))
    if found is None:
        raise PolicyWatchError(f"no subscription {ref!r} (try `policywatch alerts list`)")
    return found


def confirm(session: Session, *, subscription: Subscription, now: datetime | None = None) -> bool:
    """Record the double opt-in; False when it was already confirmed."""
    if subscription.confirmed_at is not None:
        return False
    subscription.confirmed_at = now or utcnow()
    session.add(subscription)
    return True


def unsubscribe(
    session: Session, *, subscription: Subscription, now: datetime | None = None
) -> bool:
    """Stop a subscription and cancel what it still had waiting; False if already stopped."""
    if not subscription.active:
        return False
    subscription.active = False
    subscription.unsubscribed_at = now or utcnow()
    session.add(subscription)
    session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(
            col(Delivery.subscription_id) == subscription.id,
            col(Delivery.status).in_(["held", "queued"]),
        )
        .values(status="cancelled")
    )
    return True


def update_subscription(
    session: Session,
    *,
    subscription: Subscription,
    settings: Settings,
    changes: dict[str, Any],
) -> Subscription:
    """Apply the given field changes with the same checks as creation."""
    allowed = {
        "name",
        "filters",
        "cadence",
        "send_hour",
        "send_weekday",
        "timezone",
        "daily_cap",
        "subscriber_name",
        "owner_email",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise PolicyWatchError(f"cannot change {', '.join(sorted(unknown))}")
    if "filters" in changes:
        changes["filters"] = parse_filters(changes["filters"] or {}).model_dump()
    if changes.get("owner_email"):
        changes["owner_email"] = check_email(changes["owner_email"])
    if "name" in changes and not str(changes["name"]).strip():
        raise PolicyWatchError("a subscription needs a name")
    merged = {
        "cadence": subscription.cadence,
        "send_hour": subscription.send_hour,
        "send_weekday": subscription.send_weekday,
        "timezone": subscription.timezone,
    } | {
        k: v
        for k, v in changes.items()
        if k in {"cadence", "send_hour", "send_weekday", "timezone"}
    }
    _check_schedule(**merged)
    if subscription.channel == "atom" and merged["cadence"] != "immediate":
        raise PolicyWatchError("an Atom feed is read when the reader wants: use cadence immediate")
    if changes.get("daily_cap") is not None and changes["daily_cap"] < 1:
        raise PolicyWatchError("the daily cap must be at least 1")
    for key, value in changes.items():
        setattr(subscription, key, value)
    session.add(subscription)
    return subscription


def list_subscriptions(session: Session, *, include_inactive: bool = False) -> list[Subscription]:
    query = select(Subscription).order_by(col(Subscription.id))
    if not include_inactive:
        query = query.where(col(Subscription.active).is_(True))
    return list(session.exec(query).all())


def public_view(subscription: Subscription, settings: Settings) -> dict[str, Any]:
    """The subscription as its owner may see it (the API and `alerts list --json`)."""
    from alerts.render import links

    the_links = links(subscription, settings)
    return {
        "id": subscription.id,
        "name": subscription.name,
        "channel": subscription.channel,
        "address": subscription.address,
        "filters": subscription.filters,
        "cadence": subscription.cadence,
        "send_hour": subscription.send_hour,
        "send_weekday": subscription.send_weekday,
        "timezone": subscription.timezone,
        "daily_cap": subscription.daily_cap,
        "subscriber_name": subscription.subscriber_name,
        "owner_email": subscription.owner_email,
        "active": subscription.active,
        "confirmed": subscription.confirmed_at is not None,
        "created_at": subscription.created_at.isoformat() if subscription.created_at else None,
        "manage_url": the_links["manage"],
        "feed_url": the_links["feed"] if subscription.channel == "atom" else None,
        "unsubscribe_url": the_links["unsubscribe"],
        # the receiver needs it to verify signatures; only the owner sees this view
        "webhook_secret": subscription.secret if subscription.channel == "webhook" else None,
    }
