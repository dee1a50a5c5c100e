"""Small builders for store tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from policywatch.store import writes


def add_document(
    session: Session,
    *,
    url: str,
    title: str = "A title",
    body: str = "A body.",
    publisher: str = "department-for-education",
    change_note: str | None = None,
    published: datetime | None = None,
    **extra: Any,
) -> writes.UpsertResult:
    """Upsert one document the way ingest does, with sensible defaults."""
    publisher_row = writes.upsert_publisher(session, slug=publisher, kind="government")
    return writes.upsert_document(
        session,
        source_key="test",
        canonical_url=url,
        title=title,
        body_html=f"<p>{body}</p>",
        body_text=body,
        change_note=change_note,
        first_published_at=published or datetime(2023, 2, 2, 9, 30, tzinfo=UTC),
        publisher_ids=[publisher_row.id],
        **extra,
    )
