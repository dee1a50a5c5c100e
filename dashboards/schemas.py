"""What the dashboard's query functions return, and so what the API serves.

Pydantic models double as the OpenAPI schema and as the objects templates
render, so a page and its ``/api/`` twin can never drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class DocumentPoint(BaseModel):
    """A document as lists and the timeline chart show it."""

    id: int
    title: str
    url: str
    publisher: str | None
    publisher_title: str | None
    document_type: str
    published_at: datetime | None
    version_id: int
    themes: dict[str, float]
    actors: list[str]


class DocumentPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[DocumentPoint]


class SignalSummary(BaseModel):
    id: int
    key: str
    kind: str
    theme: str | None
    target: str | None
    score: float
    status: str
    explanation: str
    first_date: datetime | None
    last_date: datetime | None
    document_ids: list[int]


class SignalPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[SignalSummary]


class TimelineResult(BaseModel):
    """One timeline view: the documents on this page and the signals that join them."""

    documents: DocumentPage
    signals: list[SignalSummary]
    groups: dict[str, list[int]]


class Evidence(BaseModel):
    """One quote in a signal, with where it comes from so it can be checked in seconds."""

    document_id: int
    version_id: int
    role: str
    quote: str
    title: str
    url: str
    publisher: str | None
    publisher_title: str | None
    published_at: datetime | None


class ChainStatement(BaseModel):
    """An earlier position on the same target: the history a signal sits in."""

    document_id: int
    title: str
    publisher: str | None
    published_at: datetime | None
    actor: str
    direction: str
    money_gbp: int | None
    sentence: str


class Review(BaseModel):
    id: int
    signal_id: int
    signal_key: str
    reviewer: str
    action: str
    note: str
    created_at: datetime


class SignalDetail(BaseModel):
    signal: SignalSummary
    data: dict[str, object]
    evidence: list[Evidence]
    chain: list[ChainStatement]
    reviews: list[Review]
    cite_text: str
    cite_bibtex: str


class Segment(BaseModel):
    """A run of document text; ``marks`` says which highlights cover it."""

    text: str
    marks: list[str]


class VersionInfo(BaseModel):
    id: int
    version_no: int
    published_at: datetime | None
    fetched_at: datetime
    change_note: str | None
    body_known: bool


class DiffLine(BaseModel):
    op: str  # " " unchanged, "+" added, "-" removed, "@" position
    text: str


class ThemeTag(BaseModel):
    """A theme on a version: its score, whether it is a current tag, and why."""

    theme: str
    score: float
    current: bool
    #: the methods that scored it (rule, model, combined)
    methods: list[str]
    #: the wordings the rules matched
    phrases: list[str]


class DocumentDetail(BaseModel):
    document: DocumentPoint
    description: str
    publishers: list[str]
    versions: list[VersionInfo]
    version: VersionInfo
    segments: list[Segment]
    diff: list[DiffLine]
    diff_from: int | None
    theme_tags: list[ThemeTag]
    coherence: dict[str, bool]
    signals: list[SignalSummary]


class SearchRow(BaseModel):
    document_id: int
    title: str
    publisher: str | None
    published_at: datetime | None
    score: float
    snippet: str
    themes: dict[str, float]


class SearchPage(BaseModel):
    """Ranked hits; when ``capped``, ``total`` is a lower bound (more matches exist)."""

    total: int
    capped: bool
    limit: int
    offset: int
    items: list[SearchRow]


class CountRow(BaseModel):
    name: str
    count: int


class ThemeYear(BaseModel):
    theme: str
    year: int
    count: int


class MoneyRow(BaseModel):
    year: int
    announced_gbp: int
    reannounced_gbp: int
    statements: int
    reannouncements: int


class Overview(BaseModel):
    theme_years: list[ThemeYear]
    newest_signals: list[SignalSummary]
    money: list[MoneyRow]
    documents: int
    signals: int


class FeedbackIn(BaseModel):
    """A reviewer's decision on a signal."""

    action: Literal["confirm", "dismiss", "reopen"]
    note: str = Field(default="", max_length=2000)


class ErrorMessage(BaseModel):
    """Why a request failed (not found, not signed in, bad CSRF token)."""

    detail: str
