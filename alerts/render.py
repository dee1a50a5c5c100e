"""Turn deliveries into one message: subject, plain text, HTML and the webhook's JSON.

Templates are Jinja2 files in ``alerts/templates`` with autoescaping on for
HTML, because titles and quotes come from crawled pages and are untrusted. A
digest lists signals first, then documents grouped by theme; every message
ends with the manage and one-click unsubscribe links.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from policywatch.config import Settings
from policywatch.store.tables import Delivery, Subscription

OTHER = "other"


@dataclass
class Message:
    key: str
    subject: str
    text: str
    html: str
    data: dict[str, Any]
    links: dict[str, str] = field(default_factory=dict)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("alerts", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = lambda value: (value or "")[:10]
    env.filters["safe_url"] = safe_url
    return env


def safe_url(value: str | None) -> str:
    """Only http(s) links from crawled data go into an href (no ``javascript:``)."""
    value = (value or "").strip()
    return value if value.lower().startswith(("http://", "https://")) else "#"


def links(subscription: Subscription, settings: Settings) -> dict[str, str]:
    """The subscription's private links, absolute, for messages and the API."""
    base = settings.public_base_url.rstrip("/")
    return {
        "manage": f"{base}/alerts/manage/{subscription.token}",
        "unsubscribe": f"{base}/alerts/unsubscribe/{subscription.unsubscribe_token}",
        "feed": f"{base}/alerts/feed/{subscription.feed_token}",
        "confirm": f"{base}/alerts/confirm/{subscription.confirm_token}",
    }


def alert(delivery: Delivery) -> dict[str, Any]:
    """One delivery as the message shows it: its frozen payload plus the "why" line."""
    return {**delivery.payload, "why": delivery.why, "delivery_id": delivery.id}


def group_for_digest(alerts: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Signals first (highest score first), then documents grouped by their leading theme."""
    signals = sorted(
        (a for a in alerts if a["kind"] == "signal"), key=lambda a: -(a.get("score") or 0)
    )
    by_theme: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in alerts:
        if a["kind"] == "document":
            theme = (a.get("matched_themes") or a.get("themes") or [OTHER])[0]
            by_theme[theme].append(a)
    groups: list[tuple[str, list[dict[str, Any]]]] = [("signals", signals)] if signals else []
    for theme in sorted(by_theme, key=lambda t: (t == OTHER, t)):
        groups.append((theme, sorted(by_theme[theme], key=lambda a: a.get("published_at") or "")))
    return groups


def _subject(subscription: Subscription, alerts: list[dict[str, Any]], digest: bool) -> str:
    if not digest and len(alerts) == 1:
        return f"[PolicyWatch] {alerts[0].get('title') or 'New alert'}"
    signals = sum(1 for a in alerts if a["kind"] == "signal")
    extra = f", {signals} signal{'s' if signals != 1 else ''}" if signals else ""
    what = {"weekly": "Weekly digest", "daily": "Daily digest"}.get(subscription.cadence, "Digest")
    return f"[PolicyWatch] {what} for {subscription.name}: {len(alerts)} alerts{extra}"


def render_message(
    subscription: Subscription,
    deliveries: list[Delivery],
    *,
    key: str,
    settings: Settings,
    digest: bool,
) -> Message:
    """Render the message that carries ``deliveries`` to ``subscription``."""
    alerts = [alert(d) for d in sorted(deliveries, key=lambda d: d.id or 0)]
    the_links = links(subscription, settings)
    context = {
        "subscription": subscription,
        "greeting": subscription.subscriber_name or subscription.name,
        "alerts": alerts,
        "groups": group_for_digest(alerts) if digest else [("", alerts)],
        "digest": digest,
        "links": the_links,
        "key": key,
    }
    env = environment()
    data = {
        "idempotency_key": key,
        "subscription": {"id": subscription.id, "name": subscription.name},
        "digest": digest,
        "alerts": alerts,
        "links": {"manage": the_links["manage"], "unsubscribe": the_links["unsubscribe"]},
    }
    return Message(
        key=key,
        subject=_subject(subscription, alerts, digest),
        text=env.get_template("message.txt").render(context),
        html=env.get_template("message.html").render(context),
        data=data,
        links=the_links,
    )
