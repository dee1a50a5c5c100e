"""Documents and signals read from the store as :class:`MatchItem` rows, in bulk.

One query per table for a whole batch (versions, publishers, themes through
``current_themes``, statements, annotations; signals with their evidence), so
matching a thousand new documents costs a handful of queries, not thousands.
Which items are new is decided here too: a version or signal without an
:class:`AlertMatch` mark. Versions wait for their annotation (the language
layer gives them themes, actors and sentences) before they are matched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from alerts.filters import MatchItem, normalise
from alerts.keywords import Text
from policywatch.store.queries import current_themes
from policywatch.store.tables import (
    AlertMatch,
    Annotation,
    Document,
    DocumentPublisher,
    DocumentTheme,
    DocumentVersion,
    Publisher,
    Signal,
    SignalEvidence,
    Statement,
)

TITLE_SEPARATOR = "\n\n"  # the same joint as nlp.annotate.version_text


def version_text(title: str, body_text: str) -> str:
    """The text annotations' offsets refer to (kept equal to ``nlp.annotate.version_text``,
    without importing spaCy into the sender)."""
    return f"{title}{TITLE_SEPARATOR}{body_text}" if title else body_text


def _unmatched(kind: str, id_column: Any) -> Any:
    return ~exists().where(AlertMatch.item_kind == kind, AlertMatch.item_id == id_column)


def pending_version_ids(session: Session, *, limit: int) -> list[int]:
    """Annotated versions with a body that matching has not seen yet, oldest first."""
    annotated = exists().where(Annotation.version_id == DocumentVersion.id)
    return list(
        session.exec(
            select(DocumentVersion.id)
            .where(
                col(DocumentVersion.body_known).is_(True),
                annotated,
                _unmatched("version", DocumentVersion.id),
            )
            .order_by(col(DocumentVersion.id))
            .limit(limit)
        ).all()
    )


def pending_signal_ids(session: Session, *, limit: int) -> list[int]:
    """Signals that matching has not seen yet, oldest first."""
    return list(
        session.exec(
            select(Signal.id)
            .where(_unmatched("signal", Signal.id))
            .order_by(col(Signal.id))
            .limit(limit)
        ).all()
    )


def recent_version_ids(session: Session, *, since: datetime) -> list[int]:
    """The latest version of every document published or updated since ``since`` (preview)."""
    published = or_(
        col(DocumentVersion.published_at) >= since,
        and_(col(DocumentVersion.published_at).is_(None), col(DocumentVersion.fetched_at) >= since),
    )
    return list(
        session.exec(
            select(DocumentVersion.id)
            .join(Document, col(Document.id) == col(DocumentVersion.document_id))
            .where(
                col(DocumentVersion.version_no) == col(Document.latest_version),
                col(DocumentVersion.body_known).is_(True),
                published,
            )
            .order_by(col(DocumentVersion.id))
        ).all()
    )


def recent_signal_ids(session: Session, *, since: datetime) -> list[int]:
    """Signals first seen since ``since`` (preview)."""
    return list(
        session.exec(
            select(Signal.id).where(col(Signal.first_seen_at) >= since).order_by(col(Signal.id))
        ).all()
    )


def _publishers(session: Session, document_ids: Iterable[int]) -> dict[int, list[Publisher]]:
    found: dict[int, list[Publisher]] = defaultdict(list)
    rows = session.exec(
        select(DocumentPublisher.document_id, Publisher)
        .join(Publisher, col(Publisher.id) == col(DocumentPublisher.publisher_id))
        .where(col(DocumentPublisher.document_id).in_(list(document_ids)))
    ).all()
    for document_id, publisher in rows:
        found[document_id].append(publisher)
    return found


def _primary_publisher(document: Document, publishers: list[Publisher]) -> Publisher | None:
    for publisher in publishers:
        if publisher.id == document.publisher_id:
            return publisher
    return publishers[0] if publishers else None


def load_documents(session: Session, *, version_ids: list[int]) -> list[MatchItem]:
    """Versions as match items (one per version), with what an alert shows about them."""
    if not version_ids:
        return []
    rows = session.exec(
        select(DocumentVersion, Document)
        .join(Document, col(Document.id) == col(DocumentVersion.document_id))
        .where(col(DocumentVersion.id).in_(version_ids))
        .order_by(col(DocumentVersion.id))
    ).all()
    themes = current_themes(session, version_ids=version_ids)
    publishers = _publishers(session, {document.id for _, document in rows})  # type: ignore[misc]
    statements: dict[int, list[Statement]] = defaultdict(list)
    for statement in session.exec(
        select(Statement).where(col(Statement.version_id).in_(version_ids))
    ).all():
        statements[statement.version_id].append(statement)
    annotations = {
        version_id: data
        for version_id, data in session.exec(
            select(Annotation.version_id, Annotation.data)
            .where(col(Annotation.version_id).in_(version_ids))
            .order_by(col(Annotation.id))
        ).all()
    }
    evidence: dict[int, dict[str, list[str]]] = defaultdict(dict)
    for version_id, theme, phrases in session.exec(
        select(DocumentTheme.version_id, DocumentTheme.theme, DocumentTheme.evidence).where(
            col(DocumentTheme.version_id).in_(version_ids), DocumentTheme.method == "rule"
        )
    ).all():
        evidence[version_id][theme] = [e.get("phrase", "") for e in phrases or [] if e]
    items = []
    for version, document in rows:
        version_id: int = version.id  # type: ignore[assignment]
        data = annotations.get(version_id) or {}
        actors = {s.actor for s in statements[version_id]}
        actors |= {a.get("label", "") for a in data.get("actors", []) if isinstance(a, dict)}
        doc_publishers = publishers.get(document.id, [])  # type: ignore[arg-type]
        primary = _primary_publisher(document, doc_publishers)
        text = version_text(version.title, version.body_text)
        version_themes = themes.get(version_id, {})
        items.append(
            MatchItem(
                kind="document",
                id=document.id,  # type: ignore[arg-type]
                version_id=version_id,
                themes=frozenset(version_themes),
                targets=frozenset(normalise(s.target) for s in statements[version_id]),
                actors=frozenset(normalise(a) for a in actors if a),
                publishers=frozenset(p.slug.lower() for p in doc_publishers),
                document_type=document.document_type,
                signal_kind=None,
                score=None,
                text=Text(text),
                published_at=version.published_at or document.first_published_at,
                context={
                    "title": version.title or document.title,
                    "url": document.canonical_url,
                    "publisher": (primary.title or primary.slug) if primary else None,
                    "document_type": document.document_type,
                    "published_at": _iso(version.published_at or document.first_published_at),
                    "version_no": version.version_no,
                    "change_note": version.change_note if version.version_no > 1 else None,
                    "themes": sorted(version_themes, key=lambda t: -version_themes[t]),
                    "text": text,
                    "description": document.description,
                    "sentences": data.get("sentences") or [],
                    "statements": [
                        {"actor": s.actor, "target": s.target, "sentence": s.sentence}
                        for s in statements[version_id]
                    ],
                    "theme_phrases": evidence.get(version_id, {}),
                },
            )
        )
    return items


def load_signals(session: Session, *, signal_ids: list[int]) -> list[MatchItem]:
    """Signals as match items, with their evidence quotes and the documents they quote."""
    if not signal_ids:
        return []
    signals = session.exec(
        select(Signal).where(col(Signal.id).in_(signal_ids)).order_by(col(Signal.id))
    ).all()
    evidence_rows = session.exec(
        select(SignalEvidence, DocumentVersion, Document)
        .join(DocumentVersion, col(DocumentVersion.id) == col(SignalEvidence.version_id))
        .join(Document, col(Document.id) == col(DocumentVersion.document_id))
        .where(col(SignalEvidence.signal_id).in_(signal_ids))
        .order_by(col(SignalEvidence.id))
    ).all()
    publishers = _publishers(session, {document.id for _, _, document in evidence_rows})  # type: ignore[misc]
    statement_actors: dict[int, set[str]] = defaultdict(set)
    version_ids = [version.id for _, version, _ in evidence_rows]
    for version_id, actor, start, end in session.exec(
        select(
            Statement.version_id, Statement.actor, Statement.start_char, Statement.end_char
        ).where(col(Statement.version_id).in_(version_ids))
    ).all():
        statement_actors[version_id].add(f"{start}:{end}:{actor}")
    by_signal: dict[int, list[tuple[SignalEvidence, DocumentVersion, Document]]] = defaultdict(list)
    for row in evidence_rows:
        by_signal[row[0].signal_id].append(row)
    items = []
    for signal in signals:
        rows = by_signal.get(signal.id, [])  # type: ignore[arg-type]
        actors = {str(a) for a in (signal.data or {}).get("actors", []) if a}
        slugs: set[str] = set()
        quotes = []
        for evidence, version, document in rows:
            # the actor of the statement the quote was cut from, when the offsets line up
            for entry in statement_actors.get(version.id, ()):  # type: ignore[arg-type]
                start, end, actor = entry.split(":", 2)
                if int(start) <= evidence.start_char and evidence.end_char <= int(end) + 1:
                    actors.add(actor)
            doc_publishers = publishers.get(document.id, [])  # type: ignore[arg-type]
            slugs |= {p.slug.lower() for p in doc_publishers}
            primary = _primary_publisher(document, doc_publishers)
            quotes.append(
                {
                    "role": evidence.role,
                    "quote": evidence.text,
                    "title": version.title or document.title,
                    "url": document.canonical_url,
                    "publisher": (primary.title or primary.slug) if primary else None,
                    "published_at": _iso(version.published_at or document.first_published_at),
                }
            )
        text = "\n".join([signal.explanation, *(q["quote"] for q in quotes)])
        items.append(
            MatchItem(
                kind="signal",
                id=signal.id,  # type: ignore[arg-type]
                version_id=None,
                themes=frozenset({signal.theme} if signal.theme else set()),
                targets=frozenset({normalise(signal.target)} if signal.target else set()),
                actors=frozenset(normalise(a) for a in actors),
                publishers=frozenset(slugs),
                document_type=None,
                signal_kind=signal.kind,
                score=signal.score,
                text=Text(text),
                published_at=signal.first_seen_at,
                context={
                    "key": signal.key,
                    "status": signal.status,
                    "signal_kind": signal.kind,
                    "theme": signal.theme,
                    "target": signal.target,
                    "score": signal.score,
                    "explanation": signal.explanation,
                    "evidence": quotes,
                    "first_seen_at": _iso(signal.first_seen_at),
                },
            )
        )
    return items


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
