"""Annotate stored document versions with the pipeline, in batches, idempotently.

``annotate_pending`` finds every version whose body we hold and that has no
annotation from the current pipeline version, runs them through ``nlp.pipe``
in batches, and stores per version: the annotation record (sentences, themes
with evidence, coherence profile, actors, money, entities), one ``statement``
row per policy statement and one ``documenttheme`` row per theme the rules
found. Each batch is committed on its own, so a crash loses at most one batch
and a re-run picks up exactly what is missing; a second run is a no-op.

Offsets in annotations and statements refer to :func:`version_text`, the
title and body joined by a blank line, so evidence can be cut back out of
the stored version.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from spacy.attrs import IS_PUNCT, IS_SPACE
from spacy.language import Language
from spacy.tokens import Doc
from sqlalchemy import delete, exists, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from nlp.pipeline import PipelineInfo
from policywatch.store import session_scope
from policywatch.store.tables import (
    Annotation,
    Document,
    DocumentTheme,
    DocumentVersion,
    Publisher,
    StageMark,
    Statement,
)
from policywatch.store.types import utcnow

log = logging.getLogger(__name__)

STAGE = "annotate"
TITLE_SEPARATOR = "\n\n"


def version_text(title: str, body_text: str) -> str:
    """The text a version is annotated as: title, blank line, body."""
    return f"{title}{TITLE_SEPARATOR}{body_text}" if title else body_text


@dataclass
class AnnotateReport:
    versions: int = 0
    words: int = 0
    statements: int = 0
    batches: int = 0
    themes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingVersion:
    version_id: int
    title: str
    body_text: str
    publisher: str | None


def pending_versions(session: Session, *, pipeline_version: str) -> list[PendingVersion]:
    """Versions with a body and no annotation from this pipeline version, oldest first."""
    annotated = exists().where(
        Annotation.version_id == DocumentVersion.id,
        Annotation.pipeline_version == pipeline_version,
    )
    rows = session.exec(
        select(DocumentVersion.id, DocumentVersion.title, DocumentVersion.body_text, Publisher.slug)
        .join(Document, col(Document.id) == col(DocumentVersion.document_id))
        .join(Publisher, col(Publisher.id) == col(Document.publisher_id), isouter=True)
        .where(col(DocumentVersion.body_known), ~annotated)
        .order_by(col(DocumentVersion.id))
    ).all()
    return [PendingVersion(v, t or "", b or "", p) for v, t, b, p in rows]


def batched(items: Iterable[Doc], size: int) -> Iterator[list[Doc]]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    chunk: list[Doc] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def make_docs(pipeline: Language, pending: list[PendingVersion]) -> Iterator[Doc]:
    """Tokenised Docs carrying their context before any component runs, made lazily.

    The actors component reads ``user_data["publisher"]`` to resolve "the
    department"; the theme ruler reads ``title_chars`` to weigh title hits.
    """
    for item in pending:
        doc = pipeline.make_doc(version_text(item.title, item.body_text))
        doc.user_data.update(
            {
                "publisher": item.publisher,
                "title_chars": len(item.title),
                "version_id": item.version_id,
            }
        )
        yield doc


def count_words(doc: Doc) -> int:
    """Tokens that are neither punctuation nor space, counted in one vectorised pass."""
    flags = doc.to_array([IS_PUNCT, IS_SPACE])
    return int(len(doc) - (flags.sum(axis=1) > 0).sum()) if len(doc) else 0


def annotation_record(doc: Doc, info: PipelineInfo) -> dict[str, Any]:
    """Everything later stages read from one annotated version, as JSON."""
    from nlp.components.coherence import coherence_profile, planning_score
    from nlp.components.theme_ruler import theme_scores

    def spans(group: str, attribute: str | None = None) -> list[dict[str, Any]]:
        found = []
        for span in doc.spans.get(group, []):
            entry = {
                "label": span.label_,
                "text": span.text,
                "start": span.start_char,
                "end": span.end_char,
            }
            if attribute:
                entry.update(getattr(span._, attribute) or {})
            found.append(entry)
        return found

    return {
        "pipeline": info.describe(),
        "words": count_words(doc),
        "sentences": [[s.start_char, s.end_char] for s in doc.sents],
        "themes": doc._.themes or {},
        "theme_scores": theme_scores(doc),
        "coherence": doc._.coherence or {},
        "coherence_profile": coherence_profile(doc),
        "planning_score": planning_score(doc),
        "actors": spans("actors", "actor"),
        "money": spans("money", "money"),
        "entities": [
            {"label": e.label_, "text": e.text, "start": e.start_char, "end": e.end_char}
            for e in doc.ents
        ],
        "statements": doc._.statements or [],
    }


def store_batch(
    session: Session, annotated: list[tuple[int, Doc]], info: PipelineInfo
) -> list[dict[str, Any]]:
    """Store one batch of annotated versions, replacing their earlier rule output.

    Works per batch, not per version: one DELETE per table and one query for
    existing stage marks, then plain inserts, so storing costs little next to
    the pipeline itself (the annotation benchmark measures that).
    """
    version_ids = [version_id for version_id, _ in annotated]
    with session.no_autoflush:
        session.exec(delete(Statement).where(col(Statement.version_id).in_(version_ids)))  # type: ignore[call-overload]
        session.exec(
            delete(DocumentTheme).where(  # type: ignore[call-overload]
                col(DocumentTheme.version_id).in_(version_ids), col(DocumentTheme.method) == "rule"
            )
        )
        marked = set(
            session.exec(
                select(StageMark.version_id).where(
                    StageMark.stage == STAGE, col(StageMark.version_id).in_(version_ids)
                )
            ).all()
        )
        now = utcnow()
        records = []
        annotations: list[dict[str, Any]] = []
        statements: list[dict[str, Any]] = []
        themes: list[dict[str, Any]] = []
        marks: list[dict[str, Any]] = []
        for version_id, doc in annotated:
            record = annotation_record(doc, info)
            records.append(record)
            annotations.append(
                {
                    "version_id": version_id,
                    "pipeline_name": info.model,
                    "pipeline_version": info.version_key,
                    "data": record,
                    "created_at": now,
                }
            )
            statements.extend(_statement_rows(version_id, record))
            themes.extend(_theme_rows(version_id, record, info))
            if version_id not in marked:
                marks.append({"stage": STAGE, "version_id": version_id, "completed_at": now})
        # Core inserts of plain dicts: ORM objects cost more than the blank pipeline itself
        for table, rows in (
            (Annotation, annotations),
            (Statement, statements),
            (DocumentTheme, themes),
            (StageMark, marks),
        ):
            if rows:
                session.execute(insert(table.__table__), rows)  # type: ignore[attr-defined]
    return records


def _statement_rows(version_id: int, record: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "version_id": version_id,
            "actor": statement.get("actor") or "",
            "direction": statement["direction"],
            "target": statement.get("target") or "",
            "money_gbp": statement.get("money_gbp"),
            "timeframe": statement.get("timeframe"),
            "sentence": statement.get("sentence", ""),
            "start_char": statement.get("start_char", 0),
            "end_char": statement.get("end_char", 0),
        }
        for statement in record["statements"]
    ]


def _theme_rows(
    version_id: int, record: dict[str, Any], info: PipelineInfo
) -> list[dict[str, Any]]:
    return [
        {
            "version_id": version_id,
            "theme": theme,
            "score": float(score),
            "method": "rule",
            "model_version": info.version_key,
            "evidence": [
                {"phrase": phrase, "count": n}
                for phrase, n in ((record["themes"].get(theme) or {}).get("phrases", {})).items()
            ],
        }
        for theme, score in record["theme_scores"].items()
    ]


def annotate_pending(
    engine: Engine,
    pipeline: Language,
    info: PipelineInfo,
    *,
    batch_size: int = 64,
    n_process: int = 1,
    on_start: Callable[[int], None] | None = None,
    on_version: Callable[[], None] | None = None,
) -> AnnotateReport:
    """Annotate every version not yet annotated by this pipeline version."""
    with session_scope(engine) as session:
        pending = pending_versions(session, pipeline_version=info.version_key)
    report = AnnotateReport()
    if on_start:
        on_start(len(pending))
    # One nlp.pipe over everything pending, so worker processes (n_process > 1)
    # start once; results are stored and committed a batch at a time.
    docs = pipeline.pipe(make_docs(pipeline, pending), batch_size=batch_size, n_process=n_process)
    for chunk in batched(docs, batch_size):
        annotated = [(doc.user_data["version_id"], doc) for doc in chunk]
        with session_scope(engine) as session:
            records = store_batch(session, annotated, info)
        for record in records:
            report.versions += 1
            report.words += record["words"]
            report.statements += len(record["statements"])
            for theme in record["themes"]:
                report.themes[theme] = report.themes.get(theme, 0) + 1
            if on_version:
                on_version()
        report.batches += 1
    return report
