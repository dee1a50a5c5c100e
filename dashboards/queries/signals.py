"""Signal reads: lists with filters, one signal with its evidence, chain, reviews and citations."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import quote

from sqlalchemy import Text, cast, func, or_
from sqlmodel import Session, col, select

from dashboards import schemas
from dashboards.filters import SHOWN_STATUSES, Filters
from dashboards.queries.common import latest_version_join, target_variants
from nlp.annotate import version_text
from policywatch.store.tables import (
    Document,
    DocumentPublisher,
    DocumentVersion,
    Publisher,
    ReviewerUser,
    Signal,
    SignalEvidence,
    SignalReview,
    Statement,
)


def _evidence_date(aggregate: Any) -> Any:
    """min/max publication date of a signal's evidence documents, correlated to Signal."""
    return (
        select(aggregate(Document.first_published_at))
        .join(DocumentVersion, col(DocumentVersion.document_id) == col(Document.id))
        .join(SignalEvidence, col(SignalEvidence.version_id) == col(DocumentVersion.id))
        .where(col(SignalEvidence.signal_id) == col(Signal.id))
        .correlate(Signal)
        .scalar_subquery()
    )


def _first_date() -> Any:
    """The timeline's own first date when recompute set it, else the evidence documents'.

    COALESCE evaluates the correlated subquery only for signals without a date, so
    signals the timeline wrote cost nothing extra.
    """
    return func.coalesce(Signal.first_date, _evidence_date(func.min))


def _last_date() -> Any:
    return func.coalesce(Signal.last_date, _evidence_date(func.max))


def _signal_conditions(session: Session, filters: Filters) -> list[Any]:
    where: list[Any] = []
    if filters.kinds:
        where.append(col(Signal.kind).in_([k.value for k in filters.kinds]))
    if filters.min_score is not None:
        where.append(col(Signal.score) >= filters.min_score)
    if filters.status:
        where.append(Signal.status == filters.status.value)
    else:
        where.append(col(Signal.status).in_(SHOWN_STATUSES))
    if filters.themes:
        # the timeline keeps the themes of the documents a signal cites in data["themes"]
        data_text = cast(Signal.data, Text)
        where.append(
            or_(
                col(Signal.theme).in_(filters.themes),
                *[data_text.like(f'%"{theme}"%') for theme in filters.themes],
            )
        )
    if filters.targets:
        where.append(col(Signal.target).in_(target_variants(filters.targets)))
    if filters.start:
        where.append(_last_date() >= filters.start)
    if filters.end:
        where.append(_first_date() < filters.end)
    evidence_docs = (
        select(SignalEvidence.signal_id)
        .join(DocumentVersion, col(DocumentVersion.id) == col(SignalEvidence.version_id))
        .join(Document, col(Document.id) == col(DocumentVersion.document_id))
    )
    if filters.publishers:
        where.append(
            col(Signal.id).in_(
                evidence_docs.join(
                    DocumentPublisher, col(DocumentPublisher.document_id) == col(Document.id)
                )
                .join(Publisher, col(Publisher.id) == col(DocumentPublisher.publisher_id))
                .where(col(Publisher.slug).in_(filters.publishers))
            )
        )
    if filters.actors:
        stated = (
            select(SignalEvidence.signal_id)
            .join(Statement, col(Statement.version_id) == col(SignalEvidence.version_id))
            .where(col(Statement.actor).in_(filters.actors))
        )
        named = select(SignalEvidence.signal_id).where(
            col(SignalEvidence.actor).in_(filters.actors)
        )
        where.append(or_(col(Signal.id).in_(stated), col(Signal.id).in_(named)))
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        where.append(
            or_(
                func.lower(Signal.explanation).like(pattern),
                func.lower(func.coalesce(Signal.target, "")).like(pattern),
            )
        )
    return where


def _summaries(session: Session, rows: list[Any]) -> list[schemas.SignalSummary]:
    ids = [row[0].id for row in rows]
    documents: dict[int, list[int]] = defaultdict(list)
    if ids:
        for signal_id, document_id in session.exec(
            select(SignalEvidence.signal_id, DocumentVersion.document_id)
            .join(DocumentVersion, col(DocumentVersion.id) == col(SignalEvidence.version_id))
            .where(col(SignalEvidence.signal_id).in_(ids))
            .order_by(col(SignalEvidence.id))
        ).all():
            if document_id not in documents[signal_id]:
                documents[signal_id].append(document_id)
    return [
        schemas.SignalSummary(
            id=signal.id,
            key=signal.key,
            kind=signal.kind,
            theme=signal.theme,
            target=signal.target,
            score=signal.score,
            status=signal.status,
            explanation=signal.explanation,
            first_date=first_date,
            last_date=last_date,
            document_ids=documents.get(signal.id, []),
        )
        for signal, first_date, last_date in rows
    ]


def signal_page(session: Session, filters: Filters, *, only_ids: Any = None) -> schemas.SignalPage:
    where = _signal_conditions(session, filters)
    if only_ids is not None:
        where.append(col(Signal.id).in_(only_ids))
    total = session.exec(select(func.count()).select_from(Signal).where(*where)).one()
    last = _last_date().label("evidence_last_date")
    rows = session.exec(
        select(Signal, _first_date(), last)
        .where(*where)
        .order_by(last.desc().nulls_last(), col(Signal.id).desc())
        .offset(filters.offset)
        .limit(filters.limit)
    ).all()
    return schemas.SignalPage(
        total=int(total),
        limit=filters.limit,
        offset=filters.offset,
        items=_summaries(session, list(rows)),
    )


def list_signals(session: Session, filters: Filters) -> schemas.SignalPage:
    """Signals matching ``filters``, newest evidence first (``/signals``, ``/api/signals``)."""
    return signal_page(session, filters)


def find_signal(session: Session, key_or_id: str) -> Signal | None:
    """A signal by its stable key (what permalinks use) or its numeric id."""
    signal = session.exec(select(Signal).where(Signal.key == key_or_id)).first()
    if signal is None and key_or_id.isdigit() and len(key_or_id) < 12:
        signal = session.get(Signal, int(key_or_id))
    return signal


def signal_evidence(session: Session, signal_id: int) -> list[schemas.Evidence]:
    rows = session.exec(
        select(SignalEvidence, DocumentVersion, Document, Publisher)
        .join(DocumentVersion, col(DocumentVersion.id) == col(SignalEvidence.version_id))
        .join(Document, col(Document.id) == col(DocumentVersion.document_id))
        .join(Publisher, col(Publisher.id) == col(Document.publisher_id), isouter=True)
        .where(SignalEvidence.signal_id == signal_id)
    ).all()
    items = []
    for evidence, version, document, publisher in rows:
        quote = evidence.text
        if not quote and evidence.end_char > evidence.start_char:
            text = version_text(version.title, version.body_text)
            quote = text[evidence.start_char : evidence.end_char]
        items.append(
            schemas.Evidence(
                document_id=document.id,
                version_id=version.id,
                role=evidence.role,
                quote=quote,
                title=document.title,
                url=document.canonical_url,
                publisher=publisher.slug if publisher else None,
                publisher_title=publisher.title if publisher else None,
                published_at=version.published_at or document.first_published_at,
            )
        )
    return sorted(items, key=lambda e: (e.published_at is None, e.published_at, e.document_id))


def _chain(
    session: Session, signal: Signal, evidence: list[schemas.Evidence]
) -> list[schemas.ChainStatement]:
    """Earlier statements on the signal's target: the positions that came before."""
    if not signal.target:
        return []
    last = max((e.published_at for e in evidence if e.published_at), default=None)
    query = (
        select(Statement, Document, Publisher.slug)
        .join(DocumentVersion, col(DocumentVersion.id) == col(Statement.version_id))
        .join(Document, latest_version_join())
        .join(Publisher, col(Publisher.id) == col(Document.publisher_id), isouter=True)
        .where(col(Statement.target).in_(target_variants([signal.target])))
    )
    if last is not None:
        query = query.where(col(Document.first_published_at) <= last)
    rows = session.exec(
        query.order_by(col(Document.first_published_at).desc(), col(Statement.id)).limit(20)
    ).all()
    return [
        schemas.ChainStatement(
            document_id=document.id,
            title=document.title,
            publisher=slug,
            published_at=document.first_published_at,
            actor=statement.actor,
            direction=statement.direction,
            money_gbp=statement.money_gbp,
            sentence=statement.sentence,
        )
        for statement, document, slug in reversed(rows)
    ]


def _citations(summary: schemas.SignalSummary, permalink: str) -> tuple[str, str]:
    year = summary.last_date.year if summary.last_date else ""
    title = f"{summary.kind.capitalize()}: {summary.target or summary.theme or summary.key}"
    text = f'PolicyWatch ({year}). "{title}". Signal {summary.key}. {permalink}'
    safe_key = "".join(ch if ch.isalnum() else "_" for ch in summary.key)[:60]
    bibtex = (
        f"@misc{{policywatch_{safe_key},\n"
        f"  author = {{{{PolicyWatch}}}},\n"
        f"  title = {{{title}}},\n"
        f"  year = {{{year}}},\n"
        f"  howpublished = {{\\url{{{permalink}}}}},\n"
        f"  note = {{Signal {summary.key}, score {summary.score:.2f}}}\n"
        "}"
    )
    return text, bibtex


def signal_detail(
    session: Session, key_or_id: str, *, base_url: str = "/"
) -> schemas.SignalDetail | None:
    """One signal with its quotes side by side, chain, reviews and citations.

    ``base_url`` is the site's address, so the citation's permalink is absolute.
    """
    signal = find_signal(session, key_or_id)
    if signal is None:
        return None
    row = session.exec(
        select(Signal, _first_date(), _last_date()).where(Signal.id == signal.id)
    ).one()
    summary = _summaries(session, [row])[0]
    evidence = signal_evidence(session, signal.id)  # type: ignore[arg-type]
    permalink = f"{base_url.rstrip('/')}/signals/{quote(signal.key, safe='')}"
    cite_text, cite_bibtex = _citations(summary, permalink)
    return schemas.SignalDetail(
        signal=summary,
        data=dict(signal.data or {}),
        evidence=evidence,
        chain=_chain(session, signal, evidence),
        reviews=list_feedback(session, signal_id=signal.id),
        cite_text=cite_text,
        cite_bibtex=cite_bibtex,
    )


def list_feedback(
    session: Session, *, signal_id: int | None = None, limit: int = 100, offset: int = 0
) -> list[schemas.Review]:
    """Reviewer decisions, newest first (``/api/feedback`` and the signal page)."""
    query = (
        select(SignalReview, ReviewerUser.username, Signal.key)
        .join(ReviewerUser, col(ReviewerUser.id) == col(SignalReview.user_id))
        .join(Signal, col(Signal.id) == col(SignalReview.signal_id))
    )
    if signal_id is not None:
        query = query.where(SignalReview.signal_id == signal_id)
    rows = session.exec(
        query.order_by(col(SignalReview.id).desc()).offset(offset).limit(limit)
    ).all()
    return [
        schemas.Review(
            id=review.id,
            signal_id=review.signal_id,
            signal_key=key,
            reviewer=username,
            action=review.action,
            note=review.note,
            created_at=review.created_at,
        )
        for review, username, key in rows
    ]
