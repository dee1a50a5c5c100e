"""What every PolicyWatch spider shares: identity, error records, known documents.

A spider subclasses :class:`PolicyWatchSpider` and keeps its callbacks pure.
The base class gives it:

- ``source_key``, ``base_url`` and ``publisher`` (the organisation slug a
  sector source publishes as) from the source's configuration;
- :meth:`error_item` and the :meth:`on_error` errback, so that a page that
  fails (HTTP error after retries, timeout, redirect loop, over the size cap,
  malformed body) becomes a counted, logged :class:`CrawlErrorItem` in the raw
  file instead of vanishing;
- :meth:`known` and :meth:`conditional_headers`, backed by the "known
  documents" file the parent process writes before each crawl (path -> the
  update time and HTTP validators we already hold), so incremental crawls skip
  what has not changed and send ``If-None-Match``/``If-Modified-Since``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from spiders.items import AnnouncementItem, CrawlErrorItem
from spiders.pdf_text import UnreadablePdf, pdf_text
from spiders.urls import url_key

#: PDFs larger than this are not downloaded (the item keeps a warning instead)
ATTACHMENT_MAXSIZE = 15 * 1024 * 1024


def option_list(value: str | int | list[int | str] | None) -> list[str]:
    """A spider option as a list of strings.

    Options arrive as TOML lists from sources.toml, or as comma-separated
    strings from ``scrapy crawl -a``; both mean the same list.
    """
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def response_charset(response: Response) -> str | None:
    """The charset a response declares in its Content-Type header, if any."""
    content_type = response.headers.get("Content-Type", b"").decode("latin-1").lower()
    if "charset=" in content_type:
        return content_type.split("charset=", 1)[1].split(";")[0].strip()
    return None


def validators(response: Response) -> dict[str, str]:
    """The HTTP validators of a response, to store and send back next time."""
    found = {}
    for header, key in ((b"ETag", "etag"), (b"Last-Modified", "last_modified")):
        value = response.headers.get(header)
        if value:
            found[key] = value.decode("latin-1")
    return found


class PolicyWatchSpider(scrapy.Spider):
    """Base class: configuration, error records and the known-documents file."""

    def __init__(
        self,
        source_key: str = "",
        base_url: str = "",
        publisher: str = "",
        known_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source_key = source_key or self.name
        self.base_url = base_url.rstrip("/")
        self.publisher = publisher
        self._known: dict[str, dict[str, Any]] = {}
        if known_path and Path(known_path).exists():
            self._known = json.loads(Path(known_path).read_text(encoding="utf-8"))

    # -- known documents ------------------------------------------------------

    def known(self, url: str) -> dict[str, Any] | None:
        """What the store holds for this URL: {"updated", "etag", "last_modified"}."""
        return self._known.get(url_key(url))

    def is_unchanged(self, url: str, updated: str | None) -> bool:
        """True when the listing's update time equals the one we hold (skip the fetch)."""
        known = self.known(url)
        if not known or not updated or not known.get("updated"):
            return False
        if _same_instant(known["updated"], updated):
            self.crawler.stats.inc_value("policywatch/skipped_unchanged")
            return True
        return False

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a URL we fetched before."""
        known = self.known(url) or {}
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    # -- attachments ----------------------------------------------------------

    def with_attachments(self, item: AnnouncementItem) -> Iterator[Any]:
        """Yield the item once its PDF attachments are read (one request at a time).

        The text goes into ``attachments[i]["text"]``; an attachment that fails
        (too big, HTTP error, not a PDF) gets ``attachments[i]["error"]`` and a
        warning on the item, which is still stored.
        """
        pending = [i for i, attachment in enumerate(item.attachments) if is_pdf(attachment)]
        yield from self._next_attachment(item, pending)

    def _next_attachment(self, item: AnnouncementItem, pending: list[int]) -> Iterator[Any]:
        if not pending:
            yield item
            return
        index, rest = pending[0], pending[1:]
        maxsize = self.settings.getint("POLICYWATCH_ATTACHMENT_MAXSIZE", ATTACHMENT_MAXSIZE)
        yield scrapy.Request(
            item.attachments[index]["url"],
            callback=self.parse_attachment,
            errback=self.attachment_failed,
            cb_kwargs={"item": item, "index": index, "pending": rest},
            meta={"download_maxsize": maxsize, "download_warnsize": 0},
            dont_filter=True,
        )

    def parse_attachment(
        self, response: Response, item: AnnouncementItem, index: int, pending: list[int]
    ) -> Iterator[Any]:
        """One downloaded attachment: keep its text, then go on to the next."""
        if response.status != 200:
            self._attachment_problem(item, index, f"HTTP {response.status}")
        else:
            try:
                item.attachments[index]["text"] = pdf_text(response.body)
                self.crawler.stats.inc_value("policywatch/attachments_read")
            except UnreadablePdf as exc:
                self._attachment_problem(item, index, f"unreadable PDF ({exc})")
        yield from self._next_attachment(item, pending)

    def attachment_failed(self, failure: Failure) -> Iterator[Any]:
        """Errback for attachments: note the failure and still yield the item."""
        kwargs = failure.request.cb_kwargs  # type: ignore[attr-defined]
        reason = _failure_reason(failure)
        self._attachment_problem(kwargs["item"], kwargs["index"], reason)
        yield from self._next_attachment(kwargs["item"], kwargs["pending"])

    def _attachment_problem(self, item: AnnouncementItem, index: int, problem: str) -> None:
        attachment = item.attachments[index]
        attachment["error"] = problem
        item.warnings.append(
            f"attachment {attachment.get('filename') or attachment['url']}: {problem}"
        )
        self.crawler.stats.inc_value("policywatch/errors/attachment")
        self.logger.warning("attachment %s: %s", attachment["url"], problem)

    # -- errors ---------------------------------------------------------------

    def error_item(
        self, url: str, reason: str, detail: str = "", status: int | None = None
    ) -> CrawlErrorItem:
        """Record a page we could not read: logged, counted in stats, kept in the raw file."""
        self.logger.warning("%s at %s: %s", reason, url, detail)
        self.crawler.stats.inc_value(f"policywatch/errors/{reason}")
        return CrawlErrorItem(
            source_key=self.source_key, url=url, reason=reason, detail=detail, status=status
        )

    def http_error(self, response: Response, reason: str) -> CrawlErrorItem | None:
        """An error item for a non-200 response, or None when it is fine (304 is fine)."""
        if response.status == 200:
            return None
        if response.status == 304:
            self.crawler.stats.inc_value("policywatch/not_modified")
            return None
        return self.error_item(response.url, reason, f"HTTP {response.status}", response.status)

    def on_error(self, failure: Failure) -> CrawlErrorItem:
        """Errback for every request: turn a download failure into an error record."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            response = failure.value.response
            return self.error_item(
                request.url, "http_error", f"HTTP {response.status}", response.status
            )
        reason = _failure_reason(failure)
        return self.error_item(request.url, reason, failure.getErrorMessage())


def is_pdf(attachment: dict[str, Any]) -> bool:
    """Whether an attachment is a PDF we should download."""
    content_type = str(attachment.get("content_type") or "").lower()
    name = str(attachment.get("filename") or attachment.get("url") or "").lower()
    return bool(attachment.get("url")) and ("pdf" in content_type or name.endswith(".pdf"))


def _failure_reason(failure: Failure) -> str:
    """A short, countable reason for a download failure."""
    name = type(failure.value).__name__
    message = failure.getErrorMessage().lower()
    if "max size" in message or "maxsize" in message:
        return "over_size_cap"
    if "redirect" in message:
        return "redirect_loop"
    if "timeout" in name.lower() or "timed out" in message:
        return "timeout"
    return "download_error"


def _same_instant(a: str, b: str) -> bool:
    """Compare two ISO timestamps as instants, tolerating 'Z' and offsets."""

    def parse(value: str) -> datetime | None:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None

    left, right = parse(a), parse(b)
    if left is None or right is None:
        return a == b
    if left.tzinfo is None or right.tzinfo is None:
        return left.replace(tzinfo=None) == right.replace(tzinfo=None)
    return left == right
