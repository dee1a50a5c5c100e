"""Read queries shared by the CLI, the dashboard and the exports.

Search is the one place the two backends differ: SQLite uses its FTS5 table
with BM25 ranking, PostgreSQL its tsvector column with ``ts_rank_cd``. Both
take the same user query syntax (words, "quoted phrases", -excluded words) and
return the same :class:`SearchHit` rows, ranked best first, so callers never
ask which database they are on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from policywatch.store.tables import (
    Annotation,
    CrawlRun,
    Document,
    DocumentPublisher,
    DocumentScore,
    DocumentSource,
    DocumentTheme,
    DocumentVersion,
    IngestError,
    ModelRecord,
    Publisher,
    Source,
)
from spiders.urls import url_key


@dataclass(frozen=True)
class DocumentRow:
    """A document with its primary publisher, as lists show it."""

    id: int
    title: str
    publisher: str | None
    document_type: str
    first_published_at: datetime | None
    public_updated_at: datetime | None
    latest_version: int
    canonical_url: str


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    title: str
    publisher: str | None
    first_published_at: datetime | None
    score: float
    snippet: str


def _row(document: Document, publisher_slug: str | None) -> DocumentRow:
    return DocumentRow(
        id=document.id,  # type: ignore[arg-type]
        title=document.title,
        publisher=publisher_slug,
        document_type=document.document_type,
        first_published_at=document.first_published_at,
        public_updated_at=document.public_updated_at,
        latest_version=document.latest_version,
        canonical_url=document.canonical_url,
    )


def list_documents(
    session: Session,
    *,
    publisher: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[DocumentRow]:
    """Documents newest first, optionally by one publisher (primary or co-publisher)."""
    query = select(Document, Publisher.slug).join(
        Publisher, col(Document.publisher_id) == col(Publisher.id), isouter=True
    )
    if publisher:
        co_published = (
            select(DocumentPublisher.document_id)
            .join(Publisher, col(DocumentPublisher.publisher_id) == col(Publisher.id))
            .where(Publisher.slug == publisher)
        )
        query = query.where(col(Document.id).in_(co_published))
    if since:
        query = query.where(col(Document.first_published_at) >= since)
    query = (
        query.order_by(col(Document.first_published_at).desc().nulls_last(), col(Document.id))
        .offset(offset)
        .limit(limit)
    )
    return [_row(document, slug) for document, slug in session.exec(query).all()]


def get_document(session: Session, *, ref: str | int) -> Document | None:
    """A document by numeric id or by canonical URL."""
    if isinstance(ref, int) or str(ref).isdigit():
        return session.get(Document, int(ref))
    return session.exec(select(Document).where(Document.canonical_url == ref)).first()


def document_versions(session: Session, *, document_id: int) -> list[DocumentVersion]:
    """Every version of a document, oldest first."""
    return list(
        session.exec(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document_id)
            .order_by(col(DocumentVersion.version_no))
        ).all()
    )


def document_publishers(session: Session, *, document_id: int) -> list[Publisher]:
    """All publishers of a document, primary first."""
    document = session.get(Document, document_id)
    rows = session.exec(
        select(Publisher)
        .join(DocumentPublisher, col(DocumentPublisher.publisher_id) == col(Publisher.id))
        .where(DocumentPublisher.document_id == document_id)
    ).all()
    primary = document.publisher_id if document else None
    return sorted(rows, key=lambda p: (p.id != primary, p.slug))


# -- search ----------------------------------------------------------------

_TERM = re.compile(r'(-?)"([^"]+)"|(-?)(\w+)', re.UNICODE)


def parse_query(query: str) -> tuple[list[str], list[str]]:
    """Split a user query into required and excluded terms (phrases kept whole)."""
    required: list[str] = []
    excluded: list[str] = []
    for neg_phrase, phrase, neg_word, word in _TERM.findall(query):
        term = " ".join(re.findall(r"\w+", phrase)) if phrase else word
        if not term:
            continue
        (excluded if (neg_phrase or neg_word) else required).append(term)
    return required, excluded


def to_fts5_query(query: str) -> str | None:
    """Translate a user query into FTS5 syntax, quoting every term so none is an operator."""
    required, excluded = parse_query(query)
    if not required:
        return None
    positive = " AND ".join(f'"{term}"' for term in required)
    if excluded:
        negative = " OR ".join(f'"{term}"' for term in excluded)
        return f"({positive}) NOT ({negative})"
    return positive


def search_documents(session: Session, *, query: str, limit: int = 20) -> list[SearchHit]:
    """Full-text search over titles and latest bodies, best match first."""
    if session.get_bind().dialect.name == "sqlite":
        return _search_sqlite(session, query=query, limit=limit)
    return _search_postgres(session, query=query, limit=limit)


def _search_sqlite(session: Session, *, query: str, limit: int) -> list[SearchHit]:
    fts_query = to_fts5_query(query)
    if fts_query is None:
        return []
    # bm25 is "lower is better"; weights make a title match count ten body matches.
    statement = text(
        """
        SELECT d.id, d.title, p.slug, d.first_published_at,
               -bm25(document_fts, 10.0, 1.0) AS score,
               snippet(document_fts, 1, '[', ']', '…', 16) AS snippet
        FROM document_fts
        JOIN document d ON d.id = document_fts.rowid
        LEFT JOIN publisher p ON p.id = d.publisher_id
        WHERE document_fts MATCH :query
        ORDER BY score DESC, d.id
        LIMIT :limit
        """
    )
    rows = session.execute(statement, {"query": fts_query, "limit": limit}).all()
    return [_hit(row) for row in rows]


def _search_postgres(session: Session, *, query: str, limit: int) -> list[SearchHit]:
    required, excluded = parse_query(query)
    if not required:
        return []
    # One phraseto_tsquery per term, combined with && and && !!: the same
    # meaning as the FTS5 query, and user text is only ever a bound parameter.
    params: dict[str, object] = {"limit": limit}
    parts: list[str] = []
    for prefix, terms, op in (("r", required, ""), ("x", excluded, "!!")):
        for index, term in enumerate(terms):
            params[f"{prefix}{index}"] = term
            parts.append(f"{op}phraseto_tsquery('english', :{prefix}{index})")
    tsquery = " && ".join(parts)
    statement = text(
        f"""
        SELECT d.id, d.title, p.slug, d.first_published_at,
               ts_rank_cd(v.search_vector, search.q) AS score,
               ts_headline('english', v.body_text, search.q,
                           'StartSel=[, StopSel=], MaxWords=20, MinWords=8') AS snippet
        FROM documentversion v
        JOIN document d ON d.id = v.document_id AND v.version_no = d.latest_version
        LEFT JOIN publisher p ON p.id = d.publisher_id
        CROSS JOIN (SELECT {tsquery} AS q) AS search
        WHERE v.search_vector @@ search.q
        ORDER BY score DESC, d.id
        LIMIT :limit
        """
    )
    rows = session.execute(statement, params).all()
    return [_hit(row) for row in rows]


def _hit(row: tuple) -> SearchHit:  # type: ignore[type-arg]
    document_id, title, publisher, first_published_at, score, snippet = row
    if isinstance(first_published_at, str):  # raw SQL on SQLite skips the column type
        first_published_at = datetime.fromisoformat(first_published_at)
    if first_published_at is not None and first_published_at.tzinfo is None:
        first_published_at = first_published_at.replace(tzinfo=UTC)
    return SearchHit(
        document_id=document_id,
        title=title,
        publisher=publisher,
        first_published_at=first_published_at,
        score=float(score),
        snippet=snippet or "",
    )


# -- status ----------------------------------------------------------------


@dataclass(frozen=True)
class StoreCounts:
    documents: int
    versions: int
    publishers: int
    crawl_runs: int
    ingest_errors: int
    annotated_versions: int


def store_counts(session: Session) -> StoreCounts:
    """How much the store holds, for ``status`` and the demo summary."""

    def count(model: type) -> int:
        return int(session.exec(select(func.count()).select_from(model)).one())

    return StoreCounts(
        documents=count(Document),
        versions=count(DocumentVersion),
        publishers=count(Publisher),
        crawl_runs=count(CrawlRun),
        ingest_errors=count(IngestError),
        annotated_versions=int(
            session.exec(select(func.count(func.distinct(Annotation.version_id)))).one()
        ),
    )


def documents_per_publisher(session: Session) -> list[tuple[str, int]]:
    """Document counts by primary publisher, largest first."""
    rows = session.exec(
        select(Publisher.slug, func.count(col(Document.id)))
        .join(Document, col(Document.publisher_id) == col(Publisher.id))
        .group_by(Publisher.slug)
        .order_by(func.count(col(Document.id)).desc(), Publisher.slug)
    ).all()
    return [(slug, int(n)) for slug, n in rows]


def get_source(session: Session, *, key: str) -> Source | None:
    """The stored source with this key, if any (crawled sources and imports alike)."""
    return session.exec(select(Source).where(Source.key == key)).first()


def recent_crawl_runs(session: Session, *, limit: int = 10) -> list[CrawlRun]:
    """The latest crawl runs, newest first."""
    return list(session.exec(select(CrawlRun).order_by(col(CrawlRun.id).desc()).limit(limit)).all())


def latest_run_per_source(session: Session) -> list[CrawlRun]:
    """The newest crawl run of every source, by source key."""
    newest = select(func.max(CrawlRun.id)).group_by(CrawlRun.source_key)
    return list(
        session.exec(
            select(CrawlRun).where(col(CrawlRun.id).in_(newest)).order_by(CrawlRun.source_key)
        ).all()
    )


def last_finished_run(session: Session, *, source_key: str) -> CrawlRun | None:
    """The newest crawl of a source that has finished (whatever its outcome)."""
    return session.exec(
        select(CrawlRun)
        .where(CrawlRun.source_key == source_key, col(CrawlRun.finished_at).is_not(None))
        .order_by(col(CrawlRun.id).desc())
    ).first()


def newest_public_update(session: Session, *, source_key: str) -> datetime | None:
    """The latest publisher-side update time among a source's documents."""
    return session.exec(
        select(func.max(Document.public_updated_at)).where(Document.source_key == source_key)
    ).one()


def known_documents(session: Session, *, source_key: str) -> dict[str, dict[str, str]]:
    """What a source's next crawl may skip: URL path -> update time and HTTP validators.

    Keys are URL paths (host-independent), values hold the ISO ``updated``
    time and the ``etag``/``last_modified`` of the latest version, if any.
    """
    latest = (
        select(Document, DocumentVersion.meta)
        .join(DocumentSource, col(DocumentSource.document_id) == col(Document.id))
        .join(
            DocumentVersion,
            (col(DocumentVersion.document_id) == col(Document.id))
            & (col(DocumentVersion.version_no) == col(Document.latest_version)),
        )
        .where(DocumentSource.source_key == source_key)
    )
    known: dict[str, dict[str, str]] = {}
    for document, meta in session.exec(latest).all():
        entry = (
            {"updated": document.public_updated_at.isoformat()}
            if document.public_updated_at
            else {}
        )
        entry.update({k: v for k, v in ((meta or {}).get("http") or {}).items() if v})
        known[url_key(document.canonical_url)] = entry
    return known


def ingest_errors(session: Session, *, limit: int = 50) -> list[IngestError]:
    """Items that could not be stored, newest first."""
    return list(
        session.exec(select(IngestError).order_by(col(IngestError.id).desc()).limit(limit)).all()
    )


# -- tags: themes and classifier scores ---------------------------------------

#: A rule theme score at or above this is a tag (the theme ruler's own threshold).
RULE_TAG_THRESHOLD = 0.5


def active_model(session: Session, *, name: str) -> ModelRecord | None:
    """The model record in use for ``name`` (``themes`` or ``reactive``), if any."""
    return session.exec(
        select(ModelRecord).where(ModelRecord.name == name, col(ModelRecord.active).is_(True))
    ).first()


def current_themes(
    session: Session, *, version_ids: list[int], model_version: str | None = None
) -> dict[int, dict[str, float]]:
    """The theme tags of each version, as {version_id: {theme: score}}.

    Every stage that reads themes (timeline, alerts, exports, dashboard) calls
    this, so they all agree on what a document is tagged with. A version tagged
    by the themes model (``model_version``, else the active one) gets its
    ``combined`` rows, which hold final tags only (``model`` rows hold every
    theme's probability); a version the model has not
    seen falls back to the rule tags at :data:`RULE_TAG_THRESHOLD`.
    """
    if not version_ids:
        return {}
    if model_version is None:
        model = active_model(session, name="themes")
        model_version = model.version if model else None
    tags: dict[int, dict[str, float]] = {}
    if model_version is not None:
        rows = session.exec(
            select(DocumentTheme.version_id, DocumentTheme.theme, DocumentTheme.score).where(
                col(DocumentTheme.version_id).in_(version_ids),
                DocumentTheme.method == "combined",
                DocumentTheme.model_version == model_version,
            )
        ).all()
        for version_id, theme, score in rows:
            tags.setdefault(version_id, {})[theme] = score
    # the model writes a "model" row for every theme of every version it scores,
    # so a version with model rows but no combined ones was seen and tagged nothing
    seen = set(tags)
    if model_version is not None:
        seen |= set(
            session.exec(
                select(DocumentTheme.version_id).where(
                    col(DocumentTheme.version_id).in_(version_ids),
                    DocumentTheme.method == "model",
                    DocumentTheme.model_version == model_version,
                )
            ).all()
        )
    for version_id in seen:
        tags.setdefault(version_id, {})
    rest = [version_id for version_id in version_ids if version_id not in seen]
    if rest:
        rows = session.exec(
            select(DocumentTheme.version_id, DocumentTheme.theme, DocumentTheme.score).where(
                col(DocumentTheme.version_id).in_(rest),
                DocumentTheme.method == "rule",
                DocumentTheme.score >= RULE_TAG_THRESHOLD,
            )
        ).all()
        for version_id, theme, score in rows:
            found = tags.setdefault(version_id, {})
            found[theme] = max(score, found.get(theme, 0.0))
    return tags


def reactive_scores(
    session: Session, *, version_ids: list[int], model_version: str | None = None
) -> dict[int, float]:
    """The reactive classifier's probability per version (missing when not yet scored)."""
    if not version_ids:
        return {}
    if model_version is None:
        model = active_model(session, name="reactive")
        if model is None:
            return {}
        model_version = model.version
    rows = session.exec(
        select(DocumentScore.version_id, DocumentScore.score).where(
            col(DocumentScore.version_id).in_(version_ids),
            DocumentScore.name == "reactive",
            DocumentScore.model_version == model_version,
        )
    ).all()
    return dict(rows)


def reactive_threshold(session: Session) -> float | None:
    """The active reactive model's decision threshold (chosen out-of-fold), if any."""
    model = active_model(session, name="reactive")
    if model is None:
        return None
    threshold = (model.card.get("settings") or {}).get("threshold")
    return None if threshold is None else float(threshold)
