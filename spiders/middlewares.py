"""Downloader middleware: retries that back off, and honour ``Retry-After``.

Scrapy's own RetryMiddleware retries 429s and 5xx at once, which is exactly
what a rate-limited server does not want. This subclass waits before each
retry: the server's ``Retry-After`` when it sends one (capped), otherwise an
exponential backoff with jitter, so a crawl of a struggling site slows down
instead of hammering it. The wait is asynchronous: other requests go on.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message


def parse_retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: up to base * 2**attempt, never above cap."""
    return min(cap, rng.uniform(0, base * (2**attempt)))


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that waits before retrying (Retry-After, else backoff with jitter)."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 120.0)
        self.rng = random.Random()

    def delay_for(self, request: Request, response: Response | None) -> float:
        """How long to wait before retrying ``request``."""
        if response is not None:
            retry_after = parse_retry_after(response.headers.get(b"Retry-After"))
            if retry_after is not None:
                self.crawler.stats.inc_value("policywatch/retry_after_honoured")
                return min(retry_after, self.retry_after_max)
        attempt = request.meta.get("retry_times", 0)
        return backoff_delay(attempt, base=self.backoff_base, cap=self.backoff_max, rng=self.rng)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await sleep(self.delay_for(request, response))
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        if request.meta.get("dont_retry", False) or not isinstance(
            exception, self.exceptions_to_retry
        ):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await sleep(self.delay_for(request, None))
        return retry


class RedirectLoopMiddleware:
    """Turn a redirect back to a URL already in the chain into an error, not silence.

    Scrapy's duplicate filter drops a redirect to a URL it has seen, so a page
    that redirects to itself would vanish without a trace. Raising
    ``IgnoreRequest`` here sends it to the spider's errback, which records a
    ``redirect_loop`` error for the page.
    """

    REDIRECTS = frozenset({301, 302, 303, 307, 308})

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        location = response.headers.get(b"Location")
        if response.status not in self.REDIRECTS or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            raise IgnoreRequest(f"redirect loop: {request.url} -> {target}")
        return response
