"""The private Atom feed of one subscription, built with feedgen.

The feed lists the subscription's delivered alerts, newest first (for an
Atom subscription the sender marks each queued alert delivered: the feed is
its channel). Entry ids are ``urn:policywatch:delivery:<id>``, stable across
fetches, so feed readers show each alert once. The feed URL carries its own
secret token; anyone with it can read the feed and nothing else.
"""

from __future__ import annotations

from feedgen.feed import FeedGenerator
from sqlmodel import Session, col, select

from alerts.render import alert, links
from policywatch.config import Settings
from policywatch.store.tables import Delivery, Subscription

FEED_LENGTH = 100


def _summary(item: dict) -> str:
    if item["kind"] == "signal":
        quotes = "\n".join(
            f"“{e.get('quote', '')}” ({e.get('url', '')})" for e in item.get("evidence", [])
        )
        return f"{item.get('explanation', '')}\n{quotes}\n\n{item['why']}"
    meta = ", ".join(x for x in (item.get("publisher"), (item.get("published_at") or "")[:10]) if x)
    themes = f"\nThemes: {', '.join(item['themes'])}" if item.get("themes") else ""
    sentence = f"\n“{item['sentence']}”" if item.get("sentence") else ""
    return f"{meta}{themes}{sentence}\n\n{item['why']}"


def atom_feed(session: Session, *, subscription: Subscription, settings: Settings) -> bytes:
    """The feed document (feedgen escapes all text it is given)."""
    deliveries = session.exec(
        select(Delivery)
        .where(Delivery.subscription_id == subscription.id, col(Delivery.status) == "sent")
        .order_by(col(Delivery.sent_at).desc(), col(Delivery.id).desc())
        .limit(FEED_LENGTH)
    ).all()
    the_links = links(subscription, settings)
    feed = FeedGenerator()
    feed.id(f"urn:policywatch:subscription:{subscription.id}:{subscription.feed_token[:8]}")
    feed.title(f"PolicyWatch: {subscription.name}")
    feed.author({"name": "PolicyWatch"})
    feed.link(href=the_links["feed"], rel="self")
    feed.link(href=the_links["manage"], rel="alternate")
    feed.subtitle("Alerts matching your PolicyWatch subscription")
    feed.updated(deliveries[0].sent_at if deliveries else subscription.created_at)
    for delivery in reversed(deliveries):  # feedgen prepends: add oldest first
        item = alert(delivery)
        entry = feed.add_entry()
        entry.id(f"urn:policywatch:delivery:{delivery.id}")
        entry.title(item.get("title") or "PolicyWatch alert")
        if item.get("url"):
            entry.link(href=item["url"])
        entry.updated(delivery.sent_at or delivery.created_at)
        entry.published(delivery.created_at)
        entry.summary(_summary(item))
        for theme in item.get("themes", []):
            entry.category(term=theme)
    return feed.atom_str(pretty=True)
