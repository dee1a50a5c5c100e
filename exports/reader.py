"""Read the filtered corpus from the store in batches of documents, as export rows.

Memory stays flat whatever the corpus size: documents are read by keyset
pagination on their id (never OFFSET, never the whole result at once), and for
each batch the themes, statements, coherence profiles and signal links of just
those documents are read and handed on before the next batch is fetched.
Rows come out in a fixed order (every table follows the documents: document
id, version number, then the table's own key; signals by id), so the same
store and filters always give the same files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from exports.filters import ExportFilters, document_ids_query
from exports.licences import LicencePolicy
from nlp.extensions import COHERENCE_PARTS, REACTIVE_CUE
from policywatch.store import queries
from policywatch.store.tables import (
    Annotation,
    Document,
    DocumentPublisher,
    DocumentSource,
    DocumentTheme,
    DocumentVersion,
    Publisher,
    Signal,
    SignalEvidence,
    Source,
    Statement,
)

#: documents per batch: big enough that per-query overhead is small, small enough
#: that a batch of full texts is a few megabytes
BATCH_SIZE = 500
#: the coherence profile's parts, in the order of the coherence table
PROFILE_PARTS = (*COHERENCE_PARTS, REACTIVE_CUE)


def canonical_json(value: Any) -> str:
    """JSON text that is the same for the same value on every run and backend."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Batch:
    """The rows of one batch of documents, by table name."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def read_batches(
    session: Session,
    filters: ExportFilters,
    policy: LicencePolicy,
    *,
    batch_size: int = BATCH_SIZE,
) -> Iterator[Batch]:
    """Every exported row except the signals themselves, one batch of documents at a time."""
    ids_query = document_ids_query(session, filters)
    last_id = 0
    while True:
        document_ids = list(
            session.execute(
                ids_query.where(col(Document.id) > last_id)
                .order_by(col(Document.id))
                .limit(batch_size)
            ).scalars()
        )
        if not document_ids:
            return
        last_id = document_ids[-1]
        yield _read_batch(session, document_ids, filters, policy)


def _read_batch(
    session: Session, document_ids: list[int], filters: ExportFilters, policy: LicencePolicy
) -> Batch:
    versions = _versions(session, document_ids, latest_only=not filters.all_versions)
    version_ids = [row["version_id"] for row in versions]
    tags = queries.current_themes(session, version_ids=version_ids)
    if filters.themes:
        wanted = set(filters.themes)
        versions = [v for v in versions if wanted.intersection(tags.get(v["version_id"], {}))]
        version_ids = [row["version_id"] for row in versions]
    kept_documents = sorted({row["document_id"] for row in versions})
    publishers = _publisher_slugs(session, kept_documents)
    sources = _source_keys(session, kept_documents)
    profiles = _profiles(session, version_ids)
    documents = []
    for version in versions:
        document_id = version["document_id"]
        slugs = sorted(set(publishers.get(document_id, [])) | {version["publisher"]} - {None})
        terms = policy.terms(
            source_kind=version["source_kind"],
            source_keys=sorted(set(sources.get(document_id, [])) | {version["source_key"]}),
            publisher_slugs=slugs,
            publisher_title=version["publisher_title"],
        )
        published = version["first_published_at"]
        profile = profiles.get(version["version_id"], {})
        documents.append(
            {
                **version,
                "publishers": slugs,
                "first_published_date": published.date() if published else None,
                "words": profile.get("words"),
                "text": version["text"] if terms.redistribute else None,
                "text_withheld": not terms.redistribute,
                "licence": terms.licence,
                "attribution": terms.attribution,
                "themes": sorted(tags.get(version["version_id"], {})),
            }
        )
    document_of = {row["version_id"]: row["document_id"] for row in versions}
    return Batch(
        rows={
            "documents": documents,
            "themes": _themes(session, version_ids, document_of, tags),
            "statements": _statements(session, version_ids, document_of),
            "coherence": _coherence(session, version_ids, document_of, profiles),
            "signal_links": _signal_links(session, kept_documents),
        }
    )


def _versions(session: Session, document_ids: list[int], *, latest_only: bool) -> list[dict]:
    version = DocumentVersion
    joined = col(version.document_id) == col(Document.id)
    if latest_only:
        joined = joined & (col(version.version_no) == col(Document.latest_version))
    query = (
        select(
            version.id,
            Document.id,
            version.version_no,
            Document.latest_version,
            Document.canonical_url,
            Document.external_id,
            Document.source_key,
            Source.kind,
            Document.document_type,
            version.title,
            Document.description,
            Publisher.slug,
            Publisher.title,
            Publisher.kind,
            Document.first_published_at,
            Document.public_updated_at,
            Document.withdrawn_at,
            version.published_at,
            version.change_note,
            version.body_known,
            version.content_hash,
            version.body_text,
        )
        .join(version, joined)
        .join(Publisher, col(Publisher.id) == col(Document.publisher_id), isouter=True)
        .join(Source, col(Source.key) == col(Document.source_key), isouter=True)
        .where(col(Document.id).in_(document_ids))
        .order_by(col(Document.id), col(version.version_no))
    )
    names = (
        "version_id",
        "document_id",
        "version_no",
        "latest_version",
        "canonical_url",
        "external_id",
        "source_key",
        "source_kind",
        "document_type",
        "title",
        "description",
        "publisher",
        "publisher_title",
        "publisher_kind",
        "first_published_at",
        "public_updated_at",
        "withdrawn_at",
        "version_published_at",
        "change_note",
        "body_known",
        "content_hash",
        "text",
    )
    rows = []
    for values in session.execute(query):
        row = dict(zip(names, values, strict=True))
        row["is_latest"] = row.pop("latest_version") == row["version_no"]
        rows.append(row)
    return rows


def _grouped(session: Session, query: Any) -> dict[int, list[str]]:
    """(document id, value) rows as {document id: [values]}."""
    found: dict[int, list[str]] = {}
    for document_id, value in session.execute(query):
        found.setdefault(document_id, []).append(value)
    return found


def _publisher_slugs(session: Session, document_ids: list[int]) -> dict[int, list[str]]:
    """Every publisher of each document (co-publishers included)."""
    link = DocumentPublisher
    return _grouped(
        session,
        select(link.document_id, Publisher.slug)
        .join(Publisher, col(Publisher.id) == col(link.publisher_id))
        .where(col(link.document_id).in_(document_ids)),
    )


def _source_keys(session: Session, document_ids: list[int]) -> dict[int, list[str]]:
    """Every source each document was found through (for the redistribution flags)."""
    link = DocumentSource
    return _grouped(
        session,
        select(link.document_id, link.source_key).where(col(link.document_id).in_(document_ids)),
    )


def _profiles(session: Session, version_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The newest annotation's coherence profile, planning score and word count per version."""
    if not version_ids:
        return {}
    data = col(Annotation.data)
    query = (
        select(
            Annotation.version_id,
            Annotation.pipeline_version,
            data["coherence_profile"],
            data["planning_score"],
            data["words"],
        )
        .where(col(Annotation.version_id).in_(version_ids))
        .order_by(col(Annotation.version_id), col(Annotation.id))
    )
    profiles: dict[int, dict[str, Any]] = {}
    for version_id, pipeline_version, profile, planning, words in session.execute(query):
        profiles[version_id] = {
            "pipeline_version": pipeline_version,
            "profile": profile or {},
            "planning_score": planning,
            "words": words,
        }
    return profiles


def _themes(
    session: Session,
    version_ids: list[int],
    document_of: dict[int, int],
    tags: dict[int, dict[str, float]],
) -> list[dict[str, Any]]:
    if not version_ids:
        return []
    theme = DocumentTheme
    query = select(
        theme.version_id,
        theme.theme,
        theme.score,
        theme.method,
        theme.model_version,
        theme.evidence,
    ).where(col(theme.version_id).in_(version_ids))
    rows = [
        {
            "version_id": version_id,
            "document_id": document_of[version_id],
            "theme": name,
            "score": float(score),
            "method": method,
            "model_version": model_version,
            "is_tag": name in tags.get(version_id, {}),
            "evidence": canonical_json(evidence),
        }
        for version_id, name, score, method, model_version, evidence in session.execute(query)
    ]
    # sorted here, not in SQL: rows follow the documents' order, and the backends
    # order NULL model versions differently
    position = {version_id: i for i, version_id in enumerate(version_ids)}
    rows.sort(
        key=lambda r: (position[r["version_id"]], r["theme"], r["method"], r["model_version"] or "")
    )
    return rows


def _statements(
    session: Session, version_ids: list[int], document_of: dict[int, int]
) -> list[dict[str, Any]]:
    if not version_ids:
        return []
    s = Statement
    query = select(
        s.id,
        s.version_id,
        s.actor,
        s.direction,
        s.target,
        s.money_gbp,
        s.timeframe,
        s.sentence,
        s.start_char,
        s.end_char,
    ).where(col(s.version_id).in_(version_ids))
    names = (
        "statement_id",
        "version_id",
        "actor",
        "direction",
        "target",
        "money_gbp",
        "timeframe",
        "sentence",
        "start_char",
        "end_char",
    )
    rows = []
    for values in session.execute(query):
        row = dict(zip(names, values, strict=True))
        row["document_id"] = document_of[row["version_id"]]
        rows.append(row)
    position = {version_id: i for i, version_id in enumerate(version_ids)}
    rows.sort(key=lambda r: (position[r["version_id"]], r["statement_id"]))  # documents' order
    return rows


def _coherence(
    session: Session,
    version_ids: list[int],
    document_of: dict[int, int],
    profiles: dict[int, dict[str, Any]],
) -> list[dict[str, Any]]:
    reactive_model = queries.active_model(session, name="reactive")
    reactive = queries.reactive_scores(session, version_ids=version_ids)
    rows = []
    for version_id in version_ids:
        annotation = profiles.get(version_id)
        if annotation is None:  # not annotated yet (or no body): no profile to export
            continue
        profile = annotation["profile"]
        score = reactive.get(version_id)
        rows.append(
            {
                "version_id": version_id,
                "document_id": document_of[version_id],
                "pipeline_version": annotation["pipeline_version"],
                **{part: profile.get(part) for part in PROFILE_PARTS},
                "planning_score": annotation["planning_score"],
                "reactive_score": score,
                "reactive_model_version": (
                    reactive_model.version if reactive_model and score is not None else None
                ),
            }
        )
    return rows


def _signal_links(session: Session, document_ids: list[int]) -> list[dict[str, Any]]:
    """Evidence rows of every signal that touches a document of this batch (any version)."""
    if not document_ids:
        return []
    e = SignalEvidence
    query = (
        select(
            e.id,
            e.signal_id,
            e.version_id,
            DocumentVersion.document_id,
            e.role,
            e.start_char,
            e.end_char,
            e.text,
        )
        .join(DocumentVersion, col(DocumentVersion.id) == col(e.version_id))
        .where(col(DocumentVersion.document_id).in_(document_ids))
        .order_by(col(DocumentVersion.document_id), col(e.signal_id), col(e.id))
    )
    names = (
        "evidence_id",
        "signal_id",
        "version_id",
        "document_id",
        "role",
        "start_char",
        "end_char",
        "text",
    )
    return [dict(zip(names, values, strict=True)) for values in session.execute(query)]


def read_signals(session: Session, signal_ids: list[int], *, chunk: int = 1000) -> Iterator[dict]:
    """The signals linked to the export, by id, a chunk at a time."""
    ordered = sorted(set(signal_ids))
    for start in range(0, len(ordered), chunk):
        query = (
            select(Signal)
            .where(col(Signal.id).in_(ordered[start : start + chunk]))
            .order_by(col(Signal.id))
        )
        for (signal,) in session.execute(query):
            yield {
                "signal_id": signal.id,
                "key": signal.key,
                "kind": signal.kind,
                "theme": signal.theme,
                "target": signal.target,
                "score": float(signal.score),
                "explanation": signal.explanation,
                "status": signal.status,
                "first_seen_at": signal.first_seen_at,
                "updated_at": signal.updated_at,
                "data": canonical_json(signal.data),
            }
