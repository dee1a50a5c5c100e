"""The overview: theme counts over time, money announced and re-announced, name counts."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import extract, func
from sqlmodel import Session, col, select

from dashboards import schemas
from dashboards.filters import Filters
from dashboards.queries.common import latest_version_join, tagged_versions
from dashboards.queries.signals import list_signals, signal_evidence
from policywatch.store import queries as store_queries
from policywatch.store.tables import (
    Document,
    DocumentVersion,
    Signal,
    Statement,
)


def theme_years(session: Session, filters: Filters) -> list[schemas.ThemeYear]:
    """Documents per theme and year of first publication (latest versions only)."""
    tagged = tagged_versions(session, filters.themes or None).subquery()
    year = extract("year", Document.first_published_at)
    rows = session.exec(
        select(tagged.c.theme, year, func.count(func.distinct(Document.id)))
        .select_from(tagged)
        .join(DocumentVersion, col(DocumentVersion.id) == tagged.c.version_id)
        .join(Document, latest_version_join())
        .where(col(Document.first_published_at).is_not(None))
        .group_by(tagged.c.theme, year)
        .order_by(tagged.c.theme, year)
    ).all()
    return [schemas.ThemeYear(theme=t, year=int(y), count=int(n)) for t, y, n in rows]


def _reannounced(session: Session, filters: Filters) -> dict[int, tuple[int, int]]:
    """Per year: money presented again (sum) and how many repeats, from reannouncement signals."""
    signals = session.exec(select(Signal).where(Signal.kind == "reannouncement")).all()
    if filters.themes:
        wanted = set(filters.themes)
        signals = [
            s
            for s in signals
            if s.theme in wanted or wanted & set((s.data or {}).get("themes", []))
        ]
    per_year: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for signal in signals:
        evidence = signal_evidence(session, signal.id)  # type: ignore[arg-type]
        amount = (signal.data or {}).get("money_gbp")
        for item in evidence[1:]:  # the first is the original announcement
            gbp = amount
            if gbp is None:
                gbp = session.exec(
                    select(func.max(Statement.money_gbp)).where(
                        Statement.version_id == item.version_id
                    )
                ).one()
            if item.published_at is not None:
                per_year[item.published_at.year][0] += int(gbp or 0)
                per_year[item.published_at.year][1] += 1
    return {year: (total, n) for year, (total, n) in per_year.items()}


def money(session: Session, filters: Filters) -> list[schemas.MoneyRow]:
    """Money announced in statements against money re-announced, per year (``/api/money``)."""
    year = extract("year", Document.first_published_at)
    query = (
        select(year, func.coalesce(func.sum(Statement.money_gbp), 0), func.count(Statement.id))
        .join(DocumentVersion, col(DocumentVersion.id) == col(Statement.version_id))
        .join(Document, latest_version_join())
        .where(col(Statement.money_gbp).is_not(None), col(Document.first_published_at).is_not(None))
    )
    if filters.themes:
        tagged = tagged_versions(session, filters.themes).subquery()
        query = query.where(col(DocumentVersion.id).in_(select(tagged.c.version_id)))
    if filters.start:
        query = query.where(col(Document.first_published_at) >= filters.start)
    if filters.end:
        query = query.where(col(Document.first_published_at) < filters.end)
    announced = {int(y): (int(total), int(n)) for y, total, n in session.exec(query.group_by(year))}
    again = _reannounced(session, filters)
    years = sorted(set(announced) | set(again))
    if filters.start:
        years = [y for y in years if y >= filters.start.year]
    if filters.end:
        years = [y for y in years if y <= filters.end.year]
    return [
        schemas.MoneyRow(
            year=y,
            announced_gbp=announced.get(y, (0, 0))[0],
            reannounced_gbp=again.get(y, (0, 0))[0],
            statements=announced.get(y, (0, 0))[1],
            reannouncements=again.get(y, (0, 0))[1],
        )
        for y in years
    ]


def overview(session: Session, filters: Filters) -> schemas.Overview:
    """The front page: theme counts over time, newest signals, money (``/``, ``/api/overview``)."""
    return schemas.Overview(
        theme_years=theme_years(session, filters),
        newest_signals=list_signals(session, filters.model_copy(update={"limit": 10})).items,
        money=money(session, filters),
        documents=int(session.exec(select(func.count()).select_from(Document)).one()),
        signals=int(session.exec(select(func.count()).select_from(Signal)).one()),
    )


def theme_counts(session: Session, filters: Filters) -> list[schemas.CountRow]:
    """Every theme with its number of tagged documents (``/api/themes``)."""
    tagged = tagged_versions(session).subquery()
    rows = session.exec(
        select(tagged.c.theme, func.count(func.distinct(Document.id)))
        .select_from(tagged)
        .join(DocumentVersion, col(DocumentVersion.id) == tagged.c.version_id)
        .join(Document, latest_version_join())
        .group_by(tagged.c.theme)
        .order_by(func.count(func.distinct(Document.id)).desc(), tagged.c.theme)
    ).all()
    return [schemas.CountRow(name=theme, count=int(n)) for theme, n in rows]


def actor_counts(session: Session, filters: Filters) -> list[schemas.CountRow]:
    """Actors named in policy statements, with how many documents (``/api/actors``)."""
    count = func.count(func.distinct(DocumentVersion.document_id))
    query = (
        select(Statement.actor, count)
        .join(DocumentVersion, col(DocumentVersion.id) == col(Statement.version_id))
        .join(Document, latest_version_join())
        .where(Statement.actor != "")
    )
    if filters.q:
        query = query.where(func.lower(Statement.actor).like(f"%{filters.q.lower()}%"))
    rows = session.exec(
        query.group_by(Statement.actor)
        .order_by(count.desc(), Statement.actor)
        .offset(filters.offset)
        .limit(filters.limit)
    ).all()
    return [schemas.CountRow(name=actor, count=int(n)) for actor, n in rows]


def publisher_counts(session: Session) -> list[schemas.CountRow]:
    """Publishers with documents, for the filter pickers."""
    return [
        schemas.CountRow(name=slug, count=n)
        for slug, n in store_queries.documents_per_publisher(session)
    ]
