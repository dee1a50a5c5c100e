"""Ingest: raw crawl JSONL in, documents and versions in the store out.

Each line is handled on its own: a corrupt line, an item with no date or a
failed page becomes a counted, logged :class:`IngestError` row holding the
whole payload, and the rest of the file goes on. Items with smaller problems
(an organisation we do not know, a body in the wrong encoding) are stored and
counted as warnings. Because upserts are idempotent, ingesting a file twice,
or a file that a crash left half-written, never duplicates anything.
Documents users import themselves (``policywatch.importer``) go through the
same per-item path, :func:`ingest_items`.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from policywatch.registry import PublisherConfig, load_publishers
from policywatch.store import writes

log = logging.getLogger(__name__)

#: commit after this many lines, so a crash loses at most one batch of (re-doable) work
BATCH_SIZE = 100


class RejectedItem(Exception):
    """An item that cannot become a document; ``reason`` is the counted error key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail or reason


@dataclass
class IngestReport:
    """What one ingest did: item outcomes and error/warning reasons, both counted."""

    seen: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def run_counts(self) -> dict[str, int]:
        """Counts under the CrawlRun column names."""
        return {
            "items_seen": self.seen,
            "items_new": self.outcomes[writes.Outcome.NEW],
            "items_new_version": self.outcomes[writes.Outcome.NEW_VERSION],
            "items_unchanged": self.outcomes[writes.Outcome.UNCHANGED],
            "items_rejected": self.rejected_total,
            "items_warned": sum(self.warnings.values()),
        }

    def error_summary(self) -> dict[str, int]:
        return dict(self.rejected + self.warnings)


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as aware UTC; None when absent or unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def warning_reason(message: str) -> str:
    """The counted reason for a spider's warning message."""
    if "decoded as" in message:
        return "encoding_fallback"
    if message.startswith("attachment "):
        return "attachment_error"
    return "item_warning"


def history_entries(raw: list[dict[str, Any]]) -> list[writes.HistoryEntry]:
    """GOV.UK change history as entries, oldest first, skipping undated ones."""
    entries = [
        writes.HistoryEntry(at=at, note=str(entry.get("note") or ""))
        for entry in raw
        if isinstance(entry, dict) and (at := parse_timestamp(entry.get("public_timestamp")))
    ]
    return sorted(entries, key=lambda entry: entry.at)


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered non-empty lines; bytes that are not UTF-8 are replaced, not fatal."""
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                yield line_no, line


def count_lines(path: Path) -> int:
    """How many items a raw file holds, for a progress bar's total."""
    return sum(1 for _ in read_lines(path))


class Ingester:
    """Turns raw records into store writes, remembering publishers it has resolved."""

    def __init__(self, session: Session, *, publishers: dict[str, PublisherConfig] | None = None):
        self.session = session
        self.known = publishers if publishers is not None else load_publishers()
        self._publisher_ids: dict[str, int] = {}

    def forget_publishers(self) -> None:
        """Drop cached publisher ids (after a rollback they may no longer exist)."""
        self._publisher_ids.clear()

    def publisher_id(self, organisation: dict[str, Any], warnings: Counter[str]) -> int:
        slug = organisation["slug"]
        if slug not in self._publisher_ids:
            known = self.known.get(slug)
            if known is None:
                warnings["unknown_organisation"] += 1
                log.warning("unknown organisation %r: stored with kind 'unknown'", slug)
            publisher = writes.upsert_publisher(
                self.session,
                slug=slug,
                title=known.title if known else organisation.get("title") or slug,
                acronym=(known.acronym if known else None) or organisation.get("acronym"),
                kind=known.kind if known else "unknown",
                content_id=organisation.get("content_id"),
            )
            self._publisher_ids[slug] = publisher.id  # type: ignore[assignment]
        elif slug not in self.known:
            warnings["unknown_organisation"] += 1
        return self._publisher_ids[slug]

    def store(
        self, record: dict[str, Any], *, crawl_run_id: int | None
    ) -> tuple[str, Counter[str]]:
        """Store one announcement record; returns its outcome and any warnings."""
        warnings: Counter[str] = Counter()
        if record.get("kind") == "error":
            raise RejectedItem(record.get("reason") or "crawl_error", record.get("detail", ""))
        url = record.get("url")
        if not url:
            raise RejectedItem("missing_url", "item has no URL")
        first_published = parse_timestamp(record.get("first_published_at"))
        updated = parse_timestamp(record.get("public_updated_at"))
        if first_published is None and updated is not None:
            warnings["date_from_public_updated_at"] += 1
            first_published = updated
        if first_published is None:
            raise RejectedItem("no_publication_date", f"{url} has no publication date")
        organisations = [o for o in record.get("organisations") or [] if o.get("slug")]
        if not organisations:
            warnings["no_organisation"] += 1
        for message in record.get("warnings") or []:
            warnings[warning_reason(message)] += 1
        publisher_ids = [self.publisher_id(o, warnings) for o in organisations]
        history = history_entries(record.get("change_history") or [])
        meta = {
            key: record.get(key)
            for key in (
                "organisations",
                "taxons",
                "attachments",
                "government",
                "political",
                "people",
                "http",
            )
        }
        meta.update(
            change_history=record.get("change_history") or [],
            api_url=record.get("api_url"),
            warnings=dict(warnings),
        )
        result = writes.upsert_document(
            self.session,
            source_key=record.get("source_key") or "",
            canonical_url=url,
            external_id=record.get("external_id"),
            document_type=record.get("document_type") or "",
            title=record.get("title") or "",
            description=record.get("description") or "",
            body_html=record.get("body_html") or "",
            body_text=record.get("body_text") or "",
            change_note=history[-1].note if history else None,
            first_published_at=first_published,
            public_updated_at=updated or first_published,
            withdrawn_at=parse_timestamp(record.get("withdrawn_at")),
            fetched_at=parse_timestamp(record.get("fetched_at")),
            publisher_ids=publisher_ids,
            meta=meta,
            crawl_run_id=crawl_run_id,
            history=history[:-1],
        )
        return result.outcome, warnings


@dataclass(frozen=True)
class RawItem:
    """One item to store: where it came from, its text as kept on error, and how to read it.

    ``load`` turns the item into a record for :meth:`Ingester.store`; it may raise
    :class:`RejectedItem` (or ``json.JSONDecodeError``), which rejects the item
    like any other bad line. Crawl files and user imports share this path.
    """

    raw_path: str
    line_no: int | None
    payload: str
    load: Callable[[], Any]

    @property
    def where(self) -> str:
        name = Path(self.raw_path).name
        return f"{name} line {self.line_no}" if self.line_no is not None else name


@dataclass(frozen=True)
class Rejection:
    """One item that was kept as an error instead of stored."""

    item: RawItem
    reason: str
    detail: str


def ingest_file(
    session: Session,
    *,
    path: Path,
    source_key: str = "",
    crawl_run_id: int | None = None,
    on_line: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest every line of a raw JSONL file, committing in batches.

    ``on_line`` is called after each line (the CLI advances a progress bar).
    """
    items = (
        RawItem(
            raw_path=str(path),
            line_no=line_no,
            payload=line.rstrip("\n"),
            load=functools.partial(json.loads, line),
        )
        for line_no, line in read_lines(path)
    )
    return ingest_items(
        session, items=items, source_key=source_key, crawl_run_id=crawl_run_id, on_line=on_line
    )


def ingest_items(
    session: Session,
    *,
    items: Iterable[RawItem],
    source_key: str = "",
    crawl_run_id: int | None = None,
    on_line: Callable[[], None] | None = None,
    on_reject: Callable[[Rejection], None] | None = None,
) -> IngestReport:
    """Store each item or keep it as a counted error, committing in batches.

    ``on_line`` is called after each item; ``on_reject`` with each item that
    became an error (the importer lists them with their line numbers).
    """
    report = IngestReport()
    ingester = Ingester(session)
    # a caller that lists the rejections itself does not need each one logged as a warning
    level = logging.INFO if on_reject else logging.WARNING
    for item in items:
        report.seen += 1
        rejection = _ingest_item(
            ingester,
            report,
            item=item,
            source_key=source_key,
            crawl_run_id=crawl_run_id,
            log_level=level,
        )
        if rejection is not None and on_reject:
            on_reject(rejection)
        if report.seen % BATCH_SIZE == 0:
            session.commit()
        if on_line:
            on_line()
    session.commit()
    return report


def _ingest_item(
    ingester: Ingester,
    report: IngestReport,
    *,
    item: RawItem,
    source_key: str,
    crawl_run_id: int | None,
    log_level: int = logging.WARNING,
) -> Rejection | None:
    session = ingester.session
    try:
        record = item.load()
        if not isinstance(record, dict):
            raise RejectedItem("not_an_object", "line is JSON but not an object")
        with session.begin_nested():
            outcome, warnings = ingester.store(record, crawl_run_id=crawl_run_id)
        report.outcomes[outcome] += 1
        report.warnings.update(warnings)
        return None
    except json.JSONDecodeError as exc:
        reason, detail = "corrupt_json_line", f"{exc.msg} at column {exc.colno}"
    except RejectedItem as exc:
        reason, detail = exc.reason, exc.detail
    except Exception as exc:  # a database error on one item must not stop the file
        ingester.forget_publishers()  # the savepoint rollback may have undone new ones
        log.exception("could not store %s", item.where)
        reason, detail = "store_error", f"{type(exc).__name__}: {exc}"
    report.rejected[reason] += 1
    log.log(log_level, "%s: %s (%s)", item.where, reason, detail)
    writes.record_ingest_error(
        session,
        reason=reason,
        detail=detail,
        payload=item.payload,
        source_key=source_key,
        raw_path=item.raw_path,
        line_no=item.line_no,
        crawl_run_id=crawl_run_id,
    )
    return Rejection(item=item, reason=reason, detail=detail)
