"""Theme tags as every stage reads them, through ``current_themes``."""

from __future__ import annotations

from sqlmodel import Session

from policywatch.store.queries import current_themes


def themes_of(session: Session, version_ids: list[int]) -> dict[int, dict[str, float]]:
    """The tags of each version: the active themes model's, else the rule tags."""
    return current_themes(session, version_ids=version_ids)
