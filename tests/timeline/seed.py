"""A tiny annotated store written directly (no language layer), for recompute tests on
both backends: each document is a title and sentences, each sentence optionally a
statement (direction, target, money), stored as the annotation stage would."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from nlp.annotate import version_text
from policywatch.store import session_scope, writes
from policywatch.store.tables import Annotation, DocumentTheme, Publisher, Statement

Sentence = tuple[str, str | None, str | None]  # text, direction, target

KINDS = {
    "department-for-education": "government",
    "ministry-of-justice": "government",
    "home-office": "government",
    "adcs": "sector",
}


def add_document(
    engine: Engine,
    *,
    slug: str,
    publisher: str,
    when: datetime,
    sentences: list[Sentence],
    themes: tuple[str, ...] = ("residential_care",),
    title: str | None = None,
) -> int:
    """Store (or re-version) one document with its annotation; returns the version id."""
    title = title or slug.replace("-", " ").capitalize()
    body = " ".join(text for text, _, _ in sentences)
    full = version_text(title, body)
    with session_scope(engine) as session:
        found = session.exec(select(Publisher).where(Publisher.slug == publisher)).first()
        pub = found or writes.upsert_publisher(session, slug=publisher, kind=KINDS[publisher])
        result = writes.upsert_document(
            session,
            source_key="test",
            canonical_url=f"https://example.org/{slug}",
            title=title,
            body_html="",
            body_text=body,
            first_published_at=when.replace(tzinfo=UTC) if when.tzinfo is None else when,
            publisher_ids=[pub.id],  # type: ignore[list-item]
        )
        spans = []
        for text, direction, target in sentences:
            start = full.index(text)
            spans.append([start, start + len(text)])
            if direction:
                session.add(
                    Statement(
                        version_id=result.version_id,
                        actor=publisher,
                        direction=direction,
                        target=target or "",
                        sentence=text,
                        start_char=start,
                        end_char=start + len(text),
                    )
                )
        session.add(
            Annotation(
                version_id=result.version_id,
                pipeline_name="test",
                pipeline_version="test-1",
                data={"sentences": spans, "coherence_profile": {}, "planning_score": 0.5},
            )
        )
        for theme in themes:
            session.add(
                DocumentTheme(
                    version_id=result.version_id,
                    theme=theme,
                    score=0.9,
                    method="rule",
                    model_version="test-1",
                )
            )
    return result.version_id
