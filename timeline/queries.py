"""Read the timeline back: one query API for the CLI, the dashboard and the exports.

Every function is a pure read of a ``Session`` plus keyword filters, so any
caller gets the same answer for the same filters:

* :func:`timeline_signals` - signals filtered by themes, targets, actors,
  publishers, kinds, minimum score, date range, statuses and text, sorted by
  date, paginated (:func:`count_signals` gives the total for pagination);
* :func:`get_signal` - one signal by key or id, with its evidence (quote,
  offsets, document title, URL, publisher and date), its chain of positions or
  announcements in date order, and its reviews;
* :func:`timeline_documents` - documents as points over time, per theme and
  publisher, with how many signals each takes part in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from policywatch.errors import PolicyWatchError
from policywatch.store.tables import (
    Document,
    DocumentPublisher,
    DocumentVersion,
    Publisher,
    Signal,
    SignalEvidence,
    SignalReview,
)
from timeline.targets import fold_target
from timeline.themes import themes_of

#: statuses shown unless asked otherwise (withdrawn and dismissed signals are kept, not shown)
SHOWN = ("open", "changed", "confirmed")
_THEME = re.compile(r"^[a-z_]+$")


@dataclass(frozen=True)
class EvidenceRow:
    document_id: int | None
    version_id: int
    role: str
    position: int
    quote: str
    start_char: int
    end_char: int
    actor: str
    direction: str
    money_gbp: int | None
    date: datetime | None
    title: str
    url: str
    publisher: str | None
    publisher_title: str | None


@dataclass(frozen=True)
class SignalRow:
    id: int
    key: str
    kind: str
    status: str
    score: float
    theme: str | None
    target: str | None
    explanation: str
    first_date: datetime | None
    last_date: datetime | None
    themes: list[str]
    data: dict[str, Any]
    evidence: list[EvidenceRow] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewRow:
    action: str
    user_id: int
    note: str
    created_at: datetime


@dataclass(frozen=True)
class SignalDetail:
    signal: SignalRow
    #: the evidence in date order: for a reversal the positions over time, for a
    #: reannouncement the first announcement and every repeat
    chain: list[EvidenceRow]
    reviews: list[ReviewRow]


@dataclass(frozen=True)
class DocumentPoint:
    document_id: int
    title: str
    url: str
    publisher: str | None
    date: datetime | None
    themes: list[str]
    signals: int


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _filtered(
    query: SelectOfScalar[Signal],
    *,
    themes: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    actors: Sequence[str] | None = None,
    publishers: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    statuses: Sequence[str] | None = SHOWN,
    min_score: float | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
) -> SelectOfScalar[Signal]:
    if themes:
        bad = [t for t in themes if not _THEME.match(t)]
        if bad:
            raise PolicyWatchError(f"not a theme: {bad[0]!r} (themes are lower_case_words)")
        # a signal's themes are those of the documents it cites, kept in its data as
        # a JSON list; the quoted name cannot match a longer theme's name
        data_text = cast(Signal.data, Text)
        query = query.where(
            or_(
                col(Signal.theme).in_(themes),
                *[data_text.like(f'%"{theme}"%') for theme in themes],
            )
        )
    if targets:
        folded = {fold_target(t) for t in targets} | {t.lower() for t in targets}
        query = query.where(col(Signal.target).in_(folded))
    if actors:
        query = query.where(
            col(Signal.id).in_(
                select(SignalEvidence.signal_id).where(col(SignalEvidence.actor).in_(actors))
            )
        )
    if publishers:
        published = (
            select(DocumentPublisher.document_id)
            .join(Publisher, col(Publisher.id) == col(DocumentPublisher.publisher_id))
            .where(col(Publisher.slug).in_(publishers))
        )
        query = query.where(
            col(Signal.id).in_(
                select(SignalEvidence.signal_id).where(
                    col(SignalEvidence.document_id).in_(published)
                )
            )
        )
    if kinds:
        query = query.where(col(Signal.kind).in_(kinds))
    if statuses:
        query = query.where(col(Signal.status).in_(statuses))
    if min_score is not None:
        query = query.where(col(Signal.score) >= min_score)
    if since is not None:
        query = query.where(col(Signal.last_date) >= since)
    if until is not None:
        query = query.where(col(Signal.first_date) <= until)
    if text:
        pattern = f"%{text.lower()}%"
        quoted = select(SignalEvidence.signal_id).where(
            func.lower(SignalEvidence.text).like(pattern)
        )
        query = query.where(
            or_(
                func.lower(Signal.explanation).like(pattern),
                func.lower(func.coalesce(Signal.target, "")).like(pattern),
                col(Signal.id).in_(quoted),
            )
        )
    return query


def count_signals(session: Session, **filters: Any) -> int:
    """How many signals :func:`timeline_signals` would page through."""
    query = _filtered(select(Signal), **filters).subquery()
    return int(session.exec(select(func.count()).select_from(query)).one())


def timeline_signals(
    session: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    newest_first: bool = False,
    with_evidence: bool = True,
    evidence_limit: int | None = 20,
    **filters: Any,
) -> list[SignalRow]:
    """Signals matching the filters, in date order (of their latest document), paginated.

    Each row carries at most ``evidence_limit`` evidence items (a long burst can
    cite hundreds of documents; ``get_signal`` gives them all).
    """
    order = col(Signal.last_date).desc() if newest_first else col(Signal.last_date).asc()
    query = _filtered(select(Signal), **filters).order_by(order, col(Signal.id))
    signals = list(session.exec(query.offset(offset).limit(limit)).all())
    ids = [s.id for s in signals]
    evidence = _evidence_for(session, ids, limit=evidence_limit) if with_evidence else {}  # type: ignore[arg-type]
    return [_signal_row(s, evidence.get(s.id, [])) for s in signals]  # type: ignore[arg-type]


def get_signal(session: Session, *, key_or_id: str | int) -> SignalDetail | None:
    """One signal by its stable key or its numeric id, with evidence, chain and reviews."""
    signal = None
    if isinstance(key_or_id, int) or str(key_or_id).isdigit():
        signal = session.get(Signal, int(key_or_id))
    if signal is None:
        signal = session.exec(select(Signal).where(Signal.key == str(key_or_id))).first()
    if signal is None:
        return None
    evidence = _evidence_for(session, [signal.id]).get(signal.id, [])  # type: ignore[list-item,arg-type]
    row = _signal_row(signal, evidence)
    chain = sorted(evidence, key=lambda e: (e.date or datetime.min.replace(tzinfo=UTC), e.position))
    reviews = [
        ReviewRow(r.action, r.user_id, r.note, _aware(r.created_at))  # type: ignore[arg-type]
        for r in session.exec(
            select(SignalReview)
            .where(SignalReview.signal_id == signal.id)
            .order_by(col(SignalReview.id))
        ).all()
    ]
    return SignalDetail(signal=row, chain=chain, reviews=reviews)


def timeline_documents(
    session: Session,
    *,
    themes: Sequence[str] | None = None,
    publishers: Sequence[str] | None = None,
    actors: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[DocumentPoint]:
    """Documents as points over time, oldest first, with their themes and signal counts.

    ``actors`` and ``publishers`` both match any of a document's publishers.
    Themes come from ``current_themes`` (so this agrees with every other stage);
    the theme filter is applied after reading them, page by page.
    """
    query = (
        select(Document, Publisher.slug, DocumentVersion.id)
        .join(Publisher, col(Publisher.id) == col(Document.publisher_id), isouter=True)
        .join(
            DocumentVersion,
            (col(DocumentVersion.document_id) == col(Document.id))
            & (col(DocumentVersion.version_no) == col(Document.latest_version)),
        )
    )
    slugs = list(publishers or []) + list(actors or [])
    if slugs:
        query = query.where(
            col(Document.id).in_(
                select(DocumentPublisher.document_id)
                .join(Publisher, col(Publisher.id) == col(DocumentPublisher.publisher_id))
                .where(col(Publisher.slug).in_(slugs))
            )
        )
    if since is not None:
        query = query.where(col(Document.first_published_at) >= since)
    if until is not None:
        query = query.where(col(Document.first_published_at) <= until)
    if text:
        query = query.where(func.lower(Document.title).like(f"%{text.lower()}%"))
    query = query.order_by(col(Document.first_published_at), col(Document.id))
    wanted = set(themes or [])
    points: list[DocumentPoint] = []
    skipped = 0
    page_start = 0
    page = 1000
    while len(points) < limit:
        rows = session.exec(query.offset(page_start).limit(page)).all()
        if not rows:
            break
        page_start += page
        tags = themes_of(session, [v for _, _, v in rows])
        counts = _signal_counts(session, [d.id for d, _, _ in rows])  # type: ignore[misc]
        for document, slug, version_id in rows:
            doc_themes = sorted(tags.get(version_id, {}))
            if wanted and not wanted.intersection(doc_themes):
                continue
            if skipped < offset:
                skipped += 1
                continue
            points.append(
                DocumentPoint(
                    document_id=document.id,  # type: ignore[arg-type]
                    title=document.title,
                    url=document.canonical_url,
                    publisher=slug,
                    date=_aware(document.first_published_at),
                    themes=doc_themes,
                    signals=counts.get(document.id, 0),  # type: ignore[arg-type]
                )
            )
            if len(points) >= limit:
                break
    return points


def _signal_counts(session: Session, document_ids: list[int]) -> dict[int, int]:
    rows = session.exec(
        select(SignalEvidence.document_id, func.count(func.distinct(SignalEvidence.signal_id)))
        .join(Signal, col(Signal.id) == col(SignalEvidence.signal_id))
        .where(col(SignalEvidence.document_id).in_(document_ids), col(Signal.status).in_(SHOWN))
        .group_by(col(SignalEvidence.document_id))
    ).all()
    return {document_id: int(n) for document_id, n in rows if document_id is not None}


def _evidence_for(
    session: Session, signal_ids: list[int], *, limit: int | None = None
) -> dict[int, list[EvidenceRow]]:
    if not signal_ids:
        return {}
    query = (
        select(
            SignalEvidence, Document.title, Document.canonical_url, Publisher.slug, Publisher.title
        )
        .join(Document, col(Document.id) == col(SignalEvidence.document_id), isouter=True)
        .join(Publisher, col(Publisher.id) == col(Document.publisher_id), isouter=True)
        .where(col(SignalEvidence.signal_id).in_(signal_ids))
        .order_by(col(SignalEvidence.signal_id), col(SignalEvidence.position))
    )
    if limit is not None:
        query = query.where(col(SignalEvidence.position) < limit)
    rows = session.exec(query).all()
    found: dict[int, list[EvidenceRow]] = {}
    for evidence, title, url, slug, publisher_title in rows:
        found.setdefault(evidence.signal_id, []).append(
            EvidenceRow(
                document_id=evidence.document_id,
                version_id=evidence.version_id,
                role=evidence.role,
                position=evidence.position,
                quote=evidence.text,
                start_char=evidence.start_char,
                end_char=evidence.end_char,
                actor=evidence.actor,
                direction=evidence.direction,
                money_gbp=evidence.money_gbp,
                date=_aware(evidence.published_at),
                title=title or "",
                url=url or "",
                publisher=slug,
                publisher_title=publisher_title,
            )
        )
    return found


def _signal_row(signal: Signal, evidence: list[EvidenceRow]) -> SignalRow:
    data = dict(signal.data or {})
    return SignalRow(
        id=signal.id,  # type: ignore[arg-type]
        key=signal.key,
        kind=signal.kind,
        status=signal.status,
        score=signal.score,
        theme=signal.theme,
        target=signal.target,
        explanation=signal.explanation,
        first_date=_aware(signal.first_date),
        last_date=_aware(signal.last_date),
        themes=list(data.get("themes", [])),
        data=data,
        evidence=evidence,
    )
