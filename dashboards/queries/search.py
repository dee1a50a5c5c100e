"""Full-text search with the list filters applied to the ranked hits."""

from __future__ import annotations

from sqlmodel import Session, col, select

from dashboards import schemas
from dashboards.filters import Filters
from dashboards.queries.common import SEARCH_CAP, document_themes, latest_version_join
from dashboards.queries.documents import document_conditions
from policywatch.store import queries as store_queries
from policywatch.store.tables import (
    Document,
    DocumentVersion,
)


def search(session: Session, filters: Filters) -> schemas.SearchPage:
    """Full-text search with the list filters applied to the ranked hits (``/search``)."""
    if not filters.q:
        return schemas.SearchPage(
            total=0, capped=False, limit=filters.limit, offset=filters.offset, items=[]
        )
    narrowed = filters.model_copy(update={"q": None})
    narrowing = bool(document_conditions(session, narrowed))
    # without other filters, read only up to one hit past this page: FTS5 builds a
    # snippet for every row it returns, so asking for 1,000 costs 3x asking for 20
    wanted = SEARCH_CAP if narrowing else min(SEARCH_CAP, filters.offset + filters.limit + 1)
    hits = store_queries.search_documents(session, query=filters.q, limit=wanted)
    capped = len(hits) >= wanted
    ids = [hit.document_id for hit in hits]
    allowed: set[int] | None = None
    if ids and narrowing:
        allowed = set(
            session.exec(
                select(Document.id)
                .join(DocumentVersion, latest_version_join())
                .where(col(Document.id).in_(ids), *document_conditions(session, narrowed))
            ).all()
        )
    kept = [hit for hit in hits if allowed is None or hit.document_id in allowed]
    page = kept[filters.offset : filters.offset + filters.limit]
    versions = dict(
        session.exec(
            select(Document.id, DocumentVersion.id)
            .join(DocumentVersion, latest_version_join())
            .where(col(Document.id).in_([hit.document_id for hit in page]))
        ).all()
    )
    themes = document_themes(session, list(versions.values()))
    items = [
        schemas.SearchRow(
            document_id=hit.document_id,
            title=hit.title,
            publisher=hit.publisher,
            published_at=hit.first_published_at,
            score=hit.score,
            snippet=hit.snippet,
            themes=themes.get(versions.get(hit.document_id, -1), {}),
        )
        for hit in page
    ]
    return schemas.SearchPage(
        total=len(kept), capped=capped, limit=filters.limit, offset=filters.offset, items=items
    )
