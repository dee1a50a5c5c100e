"""What a spider yields: one announcement, or one record of a page it could not read.

Items are dataclasses (Scrapy handles them through itemadapter) so the fields
are typed and documented in one place. Both kinds go to the raw JSONL file;
an error record keeps the failure visible and replayable instead of lost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class AnnouncementItem:
    """One published document as a source presents it, before any NLP."""

    source_key: str
    url: str
    title: str
    body_html: str
    body_text: str
    fetched_at: str
    external_id: str | None = None
    api_url: str | None = None
    description: str = ""
    document_type: str = ""
    #: organisation slugs, primary publisher first
    organisations: list[dict[str, Any]] = field(default_factory=list)
    first_published_at: str | None = None
    public_updated_at: str | None = None
    #: newest first, as GOV.UK serves it: [{"public_timestamp": ..., "note": ...}]
    change_history: list[dict[str, str]] = field(default_factory=list)
    taxons: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    government: str | None = None
    political: bool | None = None
    withdrawn_at: str | None = None
    withdrawn_explanation: str | None = None
    #: people the document speaks for, e.g. the minister making a statement:
    #: [{"name": ..., "role": ..., "member_id": ...}]
    people: list[dict[str, Any]] = field(default_factory=list)
    #: ETag / Last-Modified of the page the item came from, for conditional requests next time
    http: dict[str, str] = field(default_factory=dict)
    #: things that went wrong but did not stop us reading the item (e.g. encoding fallback)
    warnings: list[str] = field(default_factory=list)
    kind: str = "announcement"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CrawlErrorItem:
    """A page we fetched but could not turn into an announcement."""

    source_key: str
    url: str
    reason: str
    detail: str = ""
    status: int | None = None
    kind: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
