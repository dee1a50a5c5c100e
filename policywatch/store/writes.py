"""Every write to the store goes through these keyword-only functions.

Keeping writes in one place is what makes them safe to repeat: upserting the
same item twice changes nothing, and a changed body adds a version instead of
overwriting the one before, so a re-run after a crash never duplicates and
never loses history.
"""

from __future__ import annotations

import enum
import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from policywatch.store.tables import (
    CrawlRun,
    Document,
    DocumentPublisher,
    DocumentSource,
    DocumentVersion,
    IngestError,
    ModelRecord,
    Publisher,
    Source,
)
from policywatch.store.types import utcnow


class Outcome(enum.StrEnum):
    """What an upsert did, counted per crawl run."""

    NEW = "new"
    NEW_VERSION = "new_version"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class UpsertResult:
    outcome: Outcome
    document_id: int
    version_id: int
    version_no: int


def content_hash(*, title: str, body_text: str, change_note: str | None) -> str:
    """Hash of what makes a version: the title, the body text and the change note.

    Whitespace and Unicode forms are normalised first, so re-rendered HTML
    with the same words does not count as a change.
    """
    parts = [title, body_text, change_note or ""]
    normalised = "\x1f".join(" ".join(unicodedata.normalize("NFC", part).split()) for part in parts)
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def upsert_publisher(
    session: Session,
    *,
    slug: str,
    title: str | None = None,
    acronym: str | None = None,
    kind: str | None = None,
    content_id: str | None = None,
) -> Publisher:
    """Create a publisher or fill in what we did not know about it."""
    publisher = session.exec(select(Publisher).where(Publisher.slug == slug)).first()
    if publisher is None:
        publisher = Publisher(slug=slug, title=title or slug, kind=kind or "unknown")
    if title:
        publisher.title = title
    if acronym:
        publisher.acronym = acronym
    if kind and (publisher.kind == "unknown" or kind != "unknown"):
        publisher.kind = kind
    if content_id:
        publisher.content_id = content_id
    session.add(publisher)
    session.flush()
    return publisher


def upsert_source(
    session: Session,
    *,
    key: str,
    kind: str,
    title: str = "",
    base_url: str = "",
    config: dict[str, Any] | None = None,
) -> Source:
    """Mirror one sources.toml entry into the store."""
    source = session.exec(select(Source).where(Source.key == key)).first()
    if source is None:
        source = Source(key=key, kind=kind)
    source.kind = kind
    source.title = title
    source.base_url = base_url
    source.config = dict(config or {})
    session.add(source)
    session.flush()
    return source


def start_crawl_run(
    session: Session, *, source_key: str, since: datetime | None = None, raw_path: str = ""
) -> CrawlRun:
    """Record that a crawl of ``source_key`` has begun."""
    run = CrawlRun(source_key=source_key, since=since, raw_path=raw_path)
    session.add(run)
    session.flush()
    return run


def finish_crawl_run(
    session: Session,
    *,
    run_id: int,
    status: str,
    counts: dict[str, int] | None = None,
    error_summary: dict[str, int] | None = None,
    message: str = "",
) -> CrawlRun:
    """Close a crawl run with its counts; ``counts`` keys are CrawlRun item_* fields."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"no crawl run {run_id}")
    for name, value in (counts or {}).items():
        setattr(run, name, value)
    run.error_summary = dict(error_summary or {})
    run.status = status
    run.message = message
    run.finished_at = utcnow()
    session.add(run)
    session.flush()
    return run


def record_ingest_error(
    session: Session,
    *,
    reason: str,
    detail: str = "",
    payload: str = "",
    source_key: str = "",
    raw_path: str = "",
    line_no: int | None = None,
    crawl_run_id: int | None = None,
) -> IngestError:
    """Keep an item we could not store, whole, with the reason, so nothing is lost."""
    error = IngestError(
        reason=reason,
        detail=detail,
        payload=payload,
        source_key=source_key,
        raw_path=raw_path,
        line_no=line_no,
        crawl_run_id=crawl_run_id,
    )
    session.add(error)
    session.flush()
    return error


def _find_document(
    session: Session, *, canonical_url: str, source_key: str, external_id: str | None
) -> Document | None:
    """Find a document by its publisher id first (survives URL moves), else by URL."""
    if external_id:
        by_id = session.exec(
            select(Document).where(
                Document.external_id == external_id, Document.source_key == source_key
            )
        ).first()
        if by_id is not None:
            return by_id
    return session.exec(select(Document).where(Document.canonical_url == canonical_url)).first()


def _latest_published(session: Session, document: Document) -> datetime | None:
    """When the newest version we hold of ``document`` was published (None if none)."""
    if document.id is None:
        return None
    return session.exec(
        select(DocumentVersion.published_at)
        .where(DocumentVersion.document_id == document.id)
        .order_by(DocumentVersion.version_no.desc())  # type: ignore[attr-defined]
    ).first()


def _link_publishers(session: Session, *, document_id: int, publisher_ids: list[int]) -> None:
    existing = set(
        session.exec(
            select(DocumentPublisher.publisher_id).where(
                DocumentPublisher.document_id == document_id
            )
        ).all()
    )
    for publisher_id in publisher_ids:
        if publisher_id not in existing:
            session.add(DocumentPublisher(document_id=document_id, publisher_id=publisher_id))
            existing.add(publisher_id)


def _link_source(session: Session, *, document_id: int, source_key: str) -> None:
    """Remember that ``source_key`` found this document (once per source)."""
    if session.get(DocumentSource, (document_id, source_key)) is None:
        session.add(DocumentSource(document_id=document_id, source_key=source_key))


@dataclass(frozen=True)
class HistoryEntry:
    """One GOV.UK change-history entry: when a major change happened and its note."""

    at: datetime
    note: str


def _unseen_history(
    history: list[HistoryEntry], *, after: datetime | None, current: datetime | None
) -> list[HistoryEntry]:
    """Entries newer than what we hold and older than the version being stored, oldest first."""
    return sorted(
        (
            entry
            for entry in history
            if (after is None or entry.at > after) and (current is None or entry.at < current)
        ),
        key=lambda entry: entry.at,
    )


def upsert_document(
    session: Session,
    *,
    source_key: str,
    canonical_url: str,
    title: str,
    body_html: str,
    body_text: str,
    publisher_ids: list[int],
    external_id: str | None = None,
    document_type: str = "",
    description: str = "",
    change_note: str | None = None,
    first_published_at: datetime | None = None,
    public_updated_at: datetime | None = None,
    withdrawn_at: datetime | None = None,
    fetched_at: datetime | None = None,
    meta: dict[str, Any] | None = None,
    crawl_run_id: int | None = None,
    history: list[HistoryEntry] | None = None,
) -> UpsertResult:
    """Store one announcement: new document, new version of one, or nothing at all.

    ``publisher_ids[0]`` is the primary publisher. A version is identified by
    :func:`content_hash`; seeing any earlier version's content again (a replay
    of an old raw file) changes nothing. Each source that finds the document is
    linked to it, so the same URL from two sources is one document.

    ``history`` (GOV.UK's change history) makes every major change a version:
    changes we have not seen, older than the one being stored, become versions
    with their note and date but no body (``body_known=False``), so the
    timeline knows when a document changed even if we first read it later.
    """
    digest = content_hash(title=title, body_text=body_text, change_note=change_note)
    document = _find_document(
        session, canonical_url=canonical_url, source_key=source_key, external_id=external_id
    )
    now = utcnow()
    if document is None:
        document = Document(
            canonical_url=canonical_url, source_key=source_key, latest_version=0, created_at=now
        )
        outcome = Outcome.NEW
    else:
        known = session.exec(
            select(DocumentVersion).where(
                DocumentVersion.document_id == document.id,
                DocumentVersion.content_hash == digest,
            )
        ).first()
        if known is not None:
            _link_source(session, document_id=document.id, source_key=source_key)  # type: ignore[arg-type]
            return UpsertResult(Outcome.UNCHANGED, document.id, known.id, known.version_no)  # type: ignore[arg-type]
        outcome = Outcome.NEW_VERSION
    held_until = _latest_published(session, document)

    document.canonical_url = canonical_url
    document.external_id = external_id
    document.document_type = document_type
    document.title = title
    document.description = description
    document.first_published_at = first_published_at or document.first_published_at
    document.public_updated_at = public_updated_at or first_published_at
    document.withdrawn_at = withdrawn_at
    document.publisher_id = publisher_ids[0] if publisher_ids else document.publisher_id
    document.updated_at = now
    session.add(document)
    session.flush()

    published = public_updated_at or first_published_at
    for entry in _unseen_history(history or [], after=held_until, current=published):
        document.latest_version += 1
        session.add(
            DocumentVersion(
                document_id=document.id,  # type: ignore[arg-type]
                version_no=document.latest_version,
                content_hash=content_hash(
                    title=title, body_text="", change_note=f"{entry.at.isoformat()} {entry.note}"
                ),
                body_known=False,
                title=title,
                change_note=entry.note,
                published_at=entry.at,
                fetched_at=fetched_at or now,
                crawl_run_id=crawl_run_id,
                meta={"from_change_history": True},
            )
        )
        session.flush()  # one at a time: the search trigger must see them in order

    document.latest_version += 1
    version = DocumentVersion(
        document_id=document.id,  # type: ignore[arg-type]
        version_no=document.latest_version,
        content_hash=digest,
        title=title,
        body_html=body_html,
        body_text=body_text,
        change_note=change_note,
        published_at=published,
        fetched_at=fetched_at or now,
        crawl_run_id=crawl_run_id,
        meta=dict(meta or {}),
    )
    session.add(version)
    session.add(document)
    _link_publishers(session, document_id=document.id, publisher_ids=publisher_ids)  # type: ignore[arg-type]
    _link_source(session, document_id=document.id, source_key=source_key)  # type: ignore[arg-type]
    session.flush()
    return UpsertResult(outcome, document.id, version.id, version.version_no)  # type: ignore[arg-type]


# -- classifier versions -------------------------------------------------------


def register_model(
    session: Session, *, name: str, version: str, path: str, card: dict[str, Any], activate: bool
) -> ModelRecord:
    """Record a trained model (idempotent on ``version``); optionally make it the one in use.

    Activating a model deactivates the others of the same name, so tagging always
    knows which version to write beside its tags. Older tags stay in the store.
    """
    record = session.exec(select(ModelRecord).where(ModelRecord.version == version)).first()
    if record is None:
        record = ModelRecord(name=name, version=version, path=path, card=card)
        session.add(record)
    else:
        record.path, record.card = path, card
    if activate:
        activate_model(session, name=name, version=version, record=record)
    session.flush()
    return record


def activate_model(
    session: Session, *, name: str, version: str, record: ModelRecord | None = None
) -> ModelRecord | None:
    """Make ``version`` the active model for ``name``; None when no such version is known."""
    record = (
        record
        or session.exec(
            select(ModelRecord).where(ModelRecord.version == version, ModelRecord.name == name)
        ).first()
    )
    if record is None:
        return None
    for other in session.exec(select(ModelRecord).where(ModelRecord.name == name)).all():
        other.active = other.version == version
    record.active = True
    return record
