"""Building blocks shared by the dashboard's queries: theme tags, latest versions, targets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from policywatch.store import queries as store_queries
from policywatch.store.tables import (
    Document,
    DocumentTheme,
    DocumentVersion,
)

#: search reads at most this many ranked hits before filtering and paging
SEARCH_CAP = 1000


#: at most this many signals are drawn on one timeline page
TIMELINE_SIGNALS = 300


def tagged_versions(session: Session, themes: list[str] | None = None) -> Select:  # type: ignore[type-arg]
    """``(version_id, theme)`` pairs tagged as :func:`current_themes` would tag them.

    A version the active themes model has scored keeps its ``combined`` tags;
    any other version keeps its rule tags at the rule threshold.
    """
    model = store_queries.active_model(session, name="themes")
    rule = and_(
        DocumentTheme.method == "rule",
        col(DocumentTheme.score) >= store_queries.RULE_TAG_THRESHOLD,
    )
    if model is None:
        condition = rule
    else:
        seen = select(DocumentTheme.version_id).where(
            DocumentTheme.method == "model", DocumentTheme.model_version == model.version
        )
        combined = and_(
            DocumentTheme.method == "combined", DocumentTheme.model_version == model.version
        )
        condition = or_(combined, and_(rule, col(DocumentTheme.version_id).not_in(seen)))
    query = select(DocumentTheme.version_id, DocumentTheme.theme).where(condition)
    if themes:
        query = query.where(col(DocumentTheme.theme).in_(themes))
    return query


def document_themes(session: Session, version_ids: list[int]) -> dict[int, dict[str, float]]:
    """Theme tags per version: always :func:`current_themes`, so every stage agrees."""
    return store_queries.current_themes(session, version_ids=version_ids)


def latest_version_join() -> Any:
    return and_(
        col(DocumentVersion.document_id) == col(Document.id),
        col(DocumentVersion.version_no) == col(Document.latest_version),
    )


def text_matches(session: Session, q: str) -> list[int]:
    hits = store_queries.search_documents(session, query=q, limit=SEARCH_CAP)
    return [hit.document_id for hit in hits]


def target_variants(values: list[str]) -> list[str]:
    """Each value as written and lower-cased: targets are stored canonical (lower case),
    and an exact IN uses the index where lower(column) would scan every row."""
    return sorted({v for value in values for v in (value, value.lower())})
