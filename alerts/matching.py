"""Match new documents and signals to subscriptions and queue deliveries in the outbox.

``match_new`` takes every annotated version and every signal not yet marked
in :class:`AlertMatch`, in batches. Each batch is one transaction that both
marks its items matched and inserts their deliveries, so a crash either
loses nothing or leaves nothing half done, and a re-run matches nothing
twice (the ``(subscription, item)`` unique key would refuse it anyway).

Two matchers running at once (an overlapping scheduled run) cannot double
anything either: rows another run has just written are skipped on insert.

Deliveries are per document, not per version: a new version alerts a
subscriber only if the document had not alerted them before. Items older
than ``POLICYWATCH_ALERTS_MAX_AGE_DAYS`` are marked without alerting, so the
first crawl of an archive floods no one. An immediate subscription past its
daily cap gets its further matches held for its next digest instead of
dropped ("overflow").
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from alerts.filters import CompiledFilter, Filters, MatchItem, why_line
from alerts.index import SubscriptionIndex
from alerts.items import (
    load_documents,
    load_signals,
    pending_signal_ids,
    pending_version_ids,
    recent_signal_ids,
    recent_version_ids,
)
from alerts.payload import build_payload
from policywatch.config import Settings
from policywatch.store.db import session_scope
from policywatch.store.tables import AlertMatch, Delivery, Subscription
from policywatch.store.types import utcnow

BATCH = 500


@dataclass
class MatchReport:
    versions: int = 0
    signals: int = 0
    too_old: int = 0
    deliveries: int = 0
    queued: int = 0
    held_for_digest: int = 0
    overflow: int = 0
    subscriptions: int = 0


def new_key() -> str:
    """An idempotency key: random, fixed once it is stored with the delivery."""
    return f"pw-{uuid.uuid4().hex}"


def local_day_start(now: datetime, timezone: str) -> datetime:
    """Midnight of ``now``'s day in ``timezone``, as an aware datetime."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def compile_subscriptions(session: Session) -> dict[int, tuple[Subscription, CompiledFilter]]:
    """Active, confirmed subscriptions with their compiled filters."""
    rows = session.exec(
        select(Subscription)
        .where(col(Subscription.active).is_(True), col(Subscription.confirmed_at).is_not(None))
        .order_by(col(Subscription.id))
    ).all()
    return {
        s.id: (s, CompiledFilter(s.id, s.name, Filters.model_validate(s.filters)))  # type: ignore[misc, arg-type]
        for s in rows
    }


class _CapCounter:
    """Immediate messages already queued today per subscription (its own local day)."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.counts: dict[int, int] = {}

    def take(self, subscription: Subscription, cap: int) -> bool:
        """Count one more immediate delivery if the cap allows it."""
        sid: int = subscription.id  # type: ignore[assignment]
        if sid not in self.counts:
            start = local_day_start(self.now, subscription.timezone)
            self.counts[sid] = int(
                self.session.exec(
                    select(func.count()).where(
                        Delivery.subscription_id == sid,
                        Delivery.mode == "immediate",
                        col(Delivery.created_at) >= start,
                    )
                ).one()
            )
        if self.counts[sid] >= cap:
            return False
        self.counts[sid] += 1
        return True


def _existing(session: Session, items: list[MatchItem]) -> set[tuple[int, str, int]]:
    by_kind: dict[str, set[int]] = defaultdict(set)
    for item in items:
        by_kind[item.kind].add(item.id)
    found: set[tuple[int, str, int]] = set()
    for kind, ids in by_kind.items():
        rows = session.exec(
            select(Delivery.subscription_id, Delivery.item_id).where(
                Delivery.item_kind == kind, col(Delivery.item_id).in_(list(ids))
            )
        ).all()
        found |= {(sid, kind, item_id) for sid, item_id in rows}
    return found


def _delivery(
    subscription: Subscription,
    why: str,
    payload: dict[str, object],
    item: MatchItem,
    *,
    settings: Settings,
    caps: _CapCounter,
    now: datetime,
    report: MatchReport,
) -> dict[str, object]:
    """One outbox row: queued now, held for the digest, or over the cap and held."""
    if subscription.cadence != "immediate":
        status, mode, key = "held", "digest", ""
        report.held_for_digest += 1
    elif subscription.channel == "atom" or caps.take(
        subscription, subscription.daily_cap or settings.alerts_daily_cap
    ):
        status, mode, key = "queued", "immediate", new_key()
        report.queued += 1
    else:
        status, mode, key = "held", "overflow", ""
        report.overflow += 1
    return {
        "subscription_id": subscription.id,
        "item_kind": item.kind,
        "item_id": item.id,
        "status": status,
        "mode": mode,
        "message_key": key,
        "attempts": 0,
        "created_at": now,
        "why": why,
        "payload": payload,
    }


def _insert_new(session: Session, table: type) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing()
    return sqlite_insert(table).on_conflict_do_nothing()


def _too_old(item: MatchItem, oldest: datetime) -> bool:
    if item.kind == "signal" and item.context.get("status") == "dismissed":
        return True
    return item.published_at is not None and item.published_at < oldest


def match_new(engine: Engine, settings: Settings, *, now: datetime | None = None) -> MatchReport:
    """Match everything new since the last run and queue its deliveries (see module doc)."""
    now = now or utcnow()
    oldest = now - timedelta(days=settings.alerts_max_age_days)
    report = MatchReport()
    with session_scope(engine) as session:
        subscriptions = compile_subscriptions(session)
    report.subscriptions = len(subscriptions)
    index = SubscriptionIndex(compiled for _, compiled in subscriptions.values())
    while True:
        with session_scope(engine) as session:
            version_ids = pending_version_ids(session, limit=BATCH)
            signal_ids = pending_signal_ids(session, limit=BATCH)
            if not version_ids and not signal_ids:
                break
            items = load_documents(session, version_ids=version_ids)
            items += load_signals(session, signal_ids=signal_ids)
            existing = _existing(session, items)
            caps = _CapCounter(session, now)
            rows: list[dict[str, object]] = []
            marks: list[dict[str, object]] = []
            for item in items:
                made = 0
                if _too_old(item, oldest):
                    report.too_old += 1
                else:
                    for group, subscription_ids in index.match(item):
                        # identical filters: the reasons and the payload are worked out once
                        reasons = group.reasons(item) or []
                        payload = build_payload(item, group, settings.public_base_url)
                        for subscription_id in sorted(subscription_ids):
                            unique = (subscription_id, item.kind, item.id)
                            if unique in existing:
                                continue
                            existing.add(unique)
                            subscription, compiled = subscriptions[subscription_id]
                            rows.append(
                                _delivery(
                                    subscription,
                                    why_line(compiled.name, reasons),
                                    payload,
                                    item,
                                    settings=settings,
                                    caps=caps,
                                    now=now,
                                    report=report,
                                )
                            )
                            made += 1
                report.deliveries += made
                marks.append(
                    {
                        "item_kind": "version" if item.kind == "document" else "signal",
                        "item_id": item.version_id if item.kind == "document" else item.id,
                        "matched_at": now,
                        "deliveries": made,
                    }
                )
            # multi-row inserts (tens of thousands of deliveries per batch are normal) that
            # skip rows a concurrent matcher has just written: never an error, never a double
            if rows:
                session.execute(_insert_new(session, Delivery), rows)
            session.execute(_insert_new(session, AlertMatch), marks)
            report.versions += len(version_ids)
            report.signals += len(signal_ids)
    return report


# -- preview ------------------------------------------------------------------


@dataclass
class PreviewRow:
    day: str
    kind: str
    item_id: int
    title: str
    url: str | None
    why: str
    sentence: str
    #: immediate | digest | overflow: how it would have gone out
    delivery: str


@dataclass
class PreviewReport:
    days: int
    rows: list[PreviewRow] = field(default_factory=list)

    @property
    def immediate(self) -> int:
        return sum(1 for r in self.rows if r.delivery == "immediate")

    @property
    def rolled_into_digest(self) -> int:
        return sum(1 for r in self.rows if r.delivery != "immediate")

    def per_day(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            counts[row.day] += 1
        return dict(sorted(counts.items()))


def preview(
    engine: Engine,
    settings: Settings,
    *,
    filters: Filters,
    name: str = "preview",
    cadence: str = "immediate",
    daily_cap: int | None = None,
    timezone: str = "UTC",
    days: int = 30,
    now: datetime | None = None,
) -> PreviewReport:
    """What a subscription with these settings would have sent over the last ``days`` days.

    Nothing is saved. Items are taken in date order, and the daily cap is
    applied per local day as matching would, so the preview shows both what
    would have arrived at once and what would have rolled into a digest.
    """
    now = now or utcnow()
    since = now - timedelta(days=days)
    compiled = CompiledFilter(0, name, filters)
    with session_scope(engine) as session:
        items = load_documents(session, version_ids=recent_version_ids(session, since=since))
        items += load_signals(session, signal_ids=recent_signal_ids(session, since=since))
    items = [i for i in items if i.published_at is None or i.published_at <= now]
    items.sort(key=lambda i: (i.published_at or now, i.kind, i.id))
    report = PreviewReport(days=days)
    cap = daily_cap or settings.alerts_daily_cap
    per_day: dict[str, int] = defaultdict(int)
    zone = ZoneInfo(timezone)
    for item in items:
        reasons = compiled.reasons(item)
        if reasons is None:
            continue
        day = (item.published_at or now).astimezone(zone).date().isoformat()
        if cadence != "immediate":
            how = "digest"
        else:
            per_day[day] += 1
            how = "immediate" if per_day[day] <= cap else "overflow"
        payload = build_payload(item, compiled, settings.public_base_url)
        report.rows.append(
            PreviewRow(
                day=day,
                kind=item.kind,
                item_id=item.id,
                title=payload.get("title", ""),
                url=payload.get("url"),
                why=why_line(name, reasons),
                sentence=payload.get("sentence") or payload.get("explanation", ""),
                delivery=how,
            )
        )
    return report
