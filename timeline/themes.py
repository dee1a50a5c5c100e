"""Theme tags as every stage reads them, through ``current_themes``."""

from __future__ import annotations

from sqlmodel import Session, col, select

from policywatch.store.queries import RULE_TAG_THRESHOLD, current_themes
from policywatch.store.tables import DocumentTheme


def themes_of(session: Session, version_ids: list[int]) -> dict[int, dict[str, float]]:
    """``current_themes``, with a guard for its rule-fallback path.

    WORKAROUND: at commit 39080a2, ``current_themes`` raises KeyError when a
    version falls back to rule tags (it reads ``tags[version_id]`` before
    creating it). Until that is fixed in ``policywatch/store/queries.py``, the
    fallback rows are read here the same way (rule tags at the same threshold).
    """
    try:
        return current_themes(session, version_ids=version_ids)
    except KeyError:
        rows = session.exec(
            select(DocumentTheme.version_id, DocumentTheme.theme, DocumentTheme.score).where(
                col(DocumentTheme.version_id).in_(version_ids),
                DocumentTheme.method == "rule",
                DocumentTheme.score >= RULE_TAG_THRESHOLD,
            )
        ).all()
        tags: dict[int, dict[str, float]] = {}
        for version_id, theme, score in rows:
            tags.setdefault(version_id, {})[theme] = float(score)
        return tags
