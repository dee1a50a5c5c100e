"""What part of the corpus to export, checked before anything is written.

The same model serves the CLI, the Prefect flows and the HTTP API (it is a
pydantic model so FastAPI validates request bodies with it). Filters that the
database can answer become one query for document ids; themes are applied per
batch through ``current_themes`` so an export agrees with every other stage on
what a document is tagged with.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Integer, Select, column, func, literal_column, or_, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from policywatch.errors import PolicyWatchError
from policywatch.store import queries
from policywatch.store.tables import (
    Document,
    DocumentPublisher,
    DocumentVersion,
    Publisher,
    Signal,
    SignalEvidence,
    Statement,
)

SIGNAL_KINDS = ("contradiction", "reversal", "reannouncement", "reactive", "burst")


def _clean(values: list[str]) -> list[str]:
    return sorted({value.strip() for value in values if value and value.strip()})


class ExportFilters(BaseModel):
    """Filters on the exported documents; empty lists mean "no restriction"."""

    model_config = ConfigDict(extra="forbid")

    themes: list[str] = Field(default_factory=list, description="Any of these theme tags.")
    targets: list[str] = Field(
        default_factory=list, description="A statement about any of these targets."
    )
    actors: list[str] = Field(
        default_factory=list, description="A statement by any of these actors (ids)."
    )
    publishers: list[str] = Field(
        default_factory=list, description="Published by any of these (slugs)."
    )
    document_types: list[str] = Field(default_factory=list, description="Any of these types.")
    since: date | None = Field(default=None, description="First published on or after.")
    until: date | None = Field(default=None, description="First published on or before.")
    text: str | None = Field(default=None, description='Full-text query (words, "phrases").')
    signal_kinds: list[str] = Field(
        default_factory=list, description="Linked to a signal of any of these kinds."
    )
    all_versions: bool = Field(default=False, description="Every version, not only the latest.")

    @field_validator("themes", "targets", "actors", "publishers", "document_types", "signal_kinds")
    @classmethod
    def _normalise(cls, values: list[str]) -> list[str]:
        return _clean(values)

    @field_validator("signal_kinds")
    @classmethod
    def _known_kinds(cls, values: list[str]) -> list[str]:
        unknown = sorted(set(values) - set(SIGNAL_KINDS))
        if unknown:
            raise ValueError(f"unknown signal kind {unknown[0]!r} ({', '.join(SIGNAL_KINDS)})")
        return values

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        if value is not None and not queries.parse_query(value)[0]:
            raise ValueError(f"the text filter {value!r} has no word to search for")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> ExportFilters:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        return self

    def describe(self) -> dict[str, Any]:
        """The filters as plain JSON for the manifest (dates as ISO strings)."""
        return self.model_dump(mode="json")


def check_themes(filters: ExportFilters, known: set[str]) -> None:
    """Refuse a theme the taxonomy does not have: a typo would silently export nothing."""
    unknown = sorted(set(filters.themes) - known)
    if unknown:
        raise PolicyWatchError(
            f"unknown theme {unknown[0]!r}; the taxonomy has: {', '.join(sorted(known))}"
        )


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def document_ids_query(session: Session, filters: ExportFilters) -> Select[Any]:
    """A query for the ids of documents that pass every database-side filter, by id."""
    query = select(Document.id)
    if filters.publishers:
        by_publisher = (
            select(DocumentPublisher.document_id)
            .join(Publisher, col(Publisher.id) == col(DocumentPublisher.publisher_id))
            .where(col(Publisher.slug).in_(filters.publishers))
        )
        primary = select(Publisher.id).where(col(Publisher.slug).in_(filters.publishers))
        query = query.where(
            or_(col(Document.id).in_(by_publisher), col(Document.publisher_id).in_(primary))
        )
    if filters.document_types:
        query = query.where(col(Document.document_type).in_(filters.document_types))
    if filters.since:
        query = query.where(col(Document.first_published_at) >= _start(filters.since))
    if filters.until:
        until = _start(filters.until + timedelta(days=1))
        query = query.where(col(Document.first_published_at) < until)
    if filters.targets or filters.actors:
        stated = select(DocumentVersion.document_id).join(
            Statement, col(Statement.version_id) == col(DocumentVersion.id)
        )
        if filters.targets:
            targets = [t.lower() for t in filters.targets]
            stated = stated.where(func.lower(Statement.target).in_(targets))
        if filters.actors:
            stated = stated.where(col(Statement.actor).in_(filters.actors))
        query = query.where(col(Document.id).in_(stated))
    if filters.signal_kinds:
        signalled = (
            select(DocumentVersion.document_id)
            .join(SignalEvidence, col(SignalEvidence.version_id) == col(DocumentVersion.id))
            .join(Signal, col(Signal.id) == col(SignalEvidence.signal_id))
            .where(col(Signal.kind).in_(filters.signal_kinds))
        )
        query = query.where(col(Document.id).in_(signalled))
    if filters.text:
        query = query.where(col(Document.id).in_(_text_matches(session, filters.text)))
    return query


def _text_matches(session: Session, query: str) -> Any:
    """Documents whose title or latest text matches, by the store's own full-text index.

    The same query syntax and index as ``policywatch documents search``, but
    as a subquery without a limit: an export is never capped.
    """
    if session.get_bind().dialect.name == "sqlite":
        return (
            text("SELECT rowid FROM document_fts WHERE document_fts MATCH :fts_query")
            .bindparams(fts_query=queries.to_fts5_query(query))
            .columns(column("rowid", Integer))
        )
    required, excluded = queries.parse_query(query)
    vector = literal_column("documentversion.search_vector")
    matches = select(DocumentVersion.document_id).join(
        Document,
        (col(Document.id) == col(DocumentVersion.document_id))
        & (col(DocumentVersion.version_no) == col(Document.latest_version)),
    )
    for term in required:
        matches = matches.where(vector.op("@@")(func.phraseto_tsquery("english", term)))
    for term in excluded:
        matches = matches.where(~vector.op("@@")(func.phraseto_tsquery("english", term)))
    return matches
