"""The fixture HTTP server: GOV.UK and sector sites on 127.0.0.1.

Crawler and end-to-end tests need the web to behave like GOV.UK (Search API,
Content API, Atom feeds), WordPress (wp-json, RSS) and plain HTML sites, but
offline, fast and repeatable. ``FixtureSite`` serves the demo corpus in those
shapes from a daemon thread. ``as_of`` replays the web at a past moment (so
incremental crawls and version changes can be tested) and ``faults`` injects
the failures real sites produce (rate limits, 5xx, redirect loops, truncated
bodies, wrong or missing charsets, HTML instead of JSON, huge bodies, slowness,
hangs, dropped connections) so the crawler's resilience is tested too. Every
200 carries an ETag and, where known, Last-Modified, and conditional requests
get 304s, so incremental crawls can be tested as well.

This module holds the site's lifecycle, fault injection, request plumbing, the
route table and the HTTP handler. The views live beside it, one module per
thing mimicked: ``govuk_search``, ``govuk_content``, ``govuk_pages``,
``feeds``, ``wordpress``, ``html_sites``, ``sector_pages``, ``sitemaps``,
``parliament`` (UK Parliament's Written Statements API), ``index_pages``;
shared pieces are in ``responses``, ``request``, ``formats``
and ``govuk_metadata``.

Only the standard library is used so the server starts in milliseconds.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from policywatch.fixture_site.corpus import (
    Attachment,
    Corpus,
    CorpusDocument,
    load_corpus,
    to_datetime,
)
from policywatch.fixture_site.feeds import finder_atom, organisation_atom, rss_feed
from policywatch.fixture_site.formats import SITE_TZ, stable_ids
from policywatch.fixture_site.govuk_content import content_api
from policywatch.fixture_site.govuk_pages import UPLOADS, govuk_attachment, govuk_page
from policywatch.fixture_site.govuk_search import search_api
from policywatch.fixture_site.html_sites import html_article, html_listing
from policywatch.fixture_site.index_pages import home, private, robots, sites_index
from policywatch.fixture_site.parliament import (
    statement_by_date_and_uin,
    statement_by_id,
    statement_page,
    statements_list,
)
from policywatch.fixture_site.pdf import build_pdf
from policywatch.fixture_site.request import ParamError, Request
from policywatch.fixture_site.responses import (
    Response,
    add_validators,
    dropped,
    fault_response,
    is_not_modified,
    json_response,
    malformed,
    mislabelled_latin1,
    no_charset,
    not_found_html,
    not_modified,
    oversize,
    redirect_to_self,
    retry_after_date,
    service_unavailable_html,
    truncated,
)
from policywatch.fixture_site.sector_pages import sector_attachment, sector_home
from policywatch.fixture_site.sitemaps import sitemap, wp_sitemap_index, wp_sitemap_posts
from policywatch.fixture_site.wordpress import wp_post_page, wp_posts, wp_single_post

__all__ = [
    "HANG_SECONDS",
    "OVERSIZE_BYTES",
    "ROUTES",
    "SLOW_SECONDS",
    "FixtureSite",
    "ParamError",
    "Request",
    "Response",
]

logger = logging.getLogger(__name__)

SLOW_SECONDS = 2.0  # how long a "slow" fault stalls; tests monkeypatch it here
HANG_SECONDS = 40.0  # how long a "hang" stalls: past the crawler's DOWNLOAD_TIMEOUT of 30 s
OVERSIZE_BYTES = 25 * 1024 * 1024  # an "oversize" body: past the crawler's DOWNLOAD_MAXSIZE


# --------------------------------------------------------------------------- the site


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer with a listen backlog a concurrent crawler cannot overflow.

    socketserver's default backlog is 5: a crawler opening 8 or 16 connections at
    once gets some of its SYNs dropped, and the kernel retries them a whole second
    later, which made every crawl of this site look a second slower than it is.
    """

    request_queue_size = 128


class FixtureSite:
    """Serve a corpus as GOV.UK plus sector sites on a local port.

    ``as_of`` and ``faults`` may be changed while the server runs; each request
    reads them once. ``request_log`` records every path+query in order and
    ``request_headers`` the same requests with their headers, as
    ``(path+query, {name: value})`` with Title-Case names (``User-Agent``,
    ``If-None-Match``); repeated headers are joined with ", ".

    Conditional GET: every 200 carries a strong ``ETag`` (a hash of the body
    sent) and, when the view set ``Response.last_modified``, a ``Last-Modified``
    HTTP date. A matching ``If-None-Match`` (or ``*``) gets a 304 with no body;
    without If-None-Match, ``If-Modified-Since`` at or after Last-Modified does.
    A request that gets a body-changing fault is never answered 304.

    ``faults[path]`` is a queue of faults for one path (no query); each request
    to the path pops one. A key ending in ``*`` is a prefix: ``"/api/content/*"``
    gives every path under it each queued fault once, in order (each path has
    its own place in the queue, and the queue is not emptied), so
    ``faults["/api/content/*"] = [500]`` makes every content item fail once.
    An exact key is used before prefixes, longer prefixes before shorter ones.
    Faults:

    - an ``int`` status: that error, JSON under ``/api/`` and ``/wp-json/``,
      HTML elsewhere; 429 adds ``Retry-After: 1``.
    - ``"retry_after_date"``: 429 with ``Retry-After`` as an HTTP date 1-2 s
      ahead (the next whole second plus one).
    - ``"redirect_loop"``: 302 with ``Location`` the same path+query. Each
      queued entry is one hop, so queue more than the client's redirect limit
      (``["redirect_loop"] * 11`` beats Scrapy's REDIRECT_MAX_TIMES of 10).
    - ``"malformed"``: the real body cut in half, served 200.
    - ``"truncated"``: the real body cut at 40% (on a UTF-8 character
      boundary), served 200 with a Content-Length that matches the cut body.
    - ``"latin1"``: the body in ISO-8859-1, the Content-Type still utf-8.
    - ``"no_charset"``: the body in windows-1252, the Content-Type without a
      charset; HTML loses its ``<meta charset>``, an XML declaration says
      windows-1252. PDFs are unchanged.
    - ``"oversize"``: the real response padded to ``OVERSIZE_BYTES`` (25 MiB,
      over the crawler's 20 MiB DOWNLOAD_MAXSIZE) with a trailing comment in
      HTML/XML and whitespace otherwise; the padding is built once.
    - ``"html"``: a 200 ``text/html`` "Service unavailable" page instead of
      whatever the path serves (a feed or API answering with HTML).
    - ``"slow"``: the real response after ``SLOW_SECONDS`` (2 s).
    - ``"hang"``: the real response after ``HANG_SECONDS`` (40 s, past the
      crawler's 30 s DOWNLOAD_TIMEOUT); ``stop()`` ends the wait and drops the
      connection.
    - ``"drop"``: the connection closed without any response.

    ``SLOW_SECONDS``, ``HANG_SECONDS`` and ``OVERSIZE_BYTES`` are module
    constants for tests to monkeypatch. An unknown fault name is logged and
    answered 500 so a typo cannot pass silently.
    """

    def __init__(
        self,
        corpus: Corpus | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        as_of: datetime | date | str | None = None,
    ) -> None:
        self.corpus = corpus if corpus is not None else load_corpus()
        self.host = host
        self.port = port
        self.as_of = as_of  # normalised by the setter
        self.faults: dict[str, list[int | str]] = {}
        self.request_log: list[str] = []
        self.request_headers: list[tuple[str, dict[str, str]]] = []
        self.base_url = ""
        self._lock = threading.Lock()
        # prefix fault key -> (the queue it was set to, path -> entries that path has had)
        self._prefix_progress: dict[str, tuple[list[int | str], dict[str, int]]] = {}
        self._stopping = threading.Event()  # set by stop(): ends "hang" waits
        self._pdf_cache: dict[tuple[str, str], bytes] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._index()

    # ---- configuration

    @property
    def as_of(self) -> datetime | None:
        return self._as_of

    @as_of.setter
    def as_of(self, value: datetime | date | str | None) -> None:
        """Accept datetimes, dates or ISO strings; naive means UTC."""
        self._as_of = None if value is None else to_datetime(value)

    def _index(self) -> None:
        """Precompute lookups once: the corpus never changes while serving."""
        docs = self.corpus.documents
        self.govuk_docs = [d for d in docs if d.source == "govuk"]
        self.by_base_path = {d.base_path: d for d in self.govuk_docs}
        self.attachment_numbers = stable_ids(
            (f"{d.id}/{a.filename}" for d in self.govuk_docs for a in d.attachments),
            100000,
            800000,
        )
        self.post_ids = stable_ids((d.id for d in docs if d.source == "wordpress"), 1000, 90000)
        self.sector_sites = {
            p.slug: p for p in self.corpus.publishers.values() if p.kind == "sector" and p.site_kind
        }

    # ---- lifecycle

    def start(self) -> str:
        """Bind, serve from a daemon thread, and return the base URL."""
        if self._httpd is not None:
            return self.base_url
        self._stopping.clear()
        handler = type("BoundHandler", (_Handler,), {"site": self})
        self._httpd = _Server((self.host, self.port), handler)
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fixture-site",
            daemon=True,
        )
        self._thread.start()
        logger.info("fixture site serving at %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # release handlers stuck in a "hang" fault
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FixtureSite:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- per-request plumbing used by the handler

    def log_request(self, target: str, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self.request_log.append(target)
            self.request_headers.append((target, dict(headers or {})))

    def pop_fault(self, path: str) -> int | str | None:
        """The next fault for ``path``: its own queue first, then ``*`` prefix keys."""
        with self._lock:
            queue = self.faults.get(path)
            if queue:
                fault = queue.pop(0)
                if not queue:
                    del self.faults[path]
                return fault
            prefixes = [k for k in list(self.faults) if k.endswith("*")]
            for key in sorted(prefixes, key=len, reverse=True):
                queue = self.faults.get(key)
                if not queue or not path.startswith(key[:-1]):
                    continue
                progress = self._prefix_progress.get(key)
                if progress is None or progress[0] is not queue:  # new or replaced queue
                    progress = self._prefix_progress[key] = (queue, {})
                seen = progress[1].get(path, 0)
                if seen < len(queue):
                    progress[1][path] = seen + 1
                    return queue[seen]
            return None

    def handle(
        self,
        target: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> Response:
        """Route one GET (path+query) to a response, after any queued fault.

        ``headers`` are the request's (any case; a mapping or name/value
        pairs). Every 200 leaves with validators, and a conditional request
        that matches them gets a 304, unless a fault changed the body.
        """
        parts = urlsplit(target)
        path = parts.path or "/"
        request_headers = _title_case_headers(headers)
        self.log_request(target, request_headers)
        fault = self.pop_fault(path)
        if fault == "slow":
            time.sleep(SLOW_SECONDS)
        elif fault == "hang" and self._stopping.wait(HANG_SECONDS):
            return dropped()  # the site is stopping: do not answer late
        early = _early_fault(fault, target, path)
        if early is not None:
            return add_validators(early)
        request = Request(
            path, parse_qsl(parts.query, keep_blank_values=True), self.as_of, self.base_url
        )
        try:
            response = self.route(request)
        except Exception:  # a fixture bug must show as a 500, not a hung client
            logger.exception("fixture site failed on %s", target)
            response = json_response({"error": "internal error"}, 500)
        if fault in BODY_FAULTS:
            return add_validators(BODY_FAULTS[fault](response))
        response = add_validators(response)
        if is_not_modified(response, request_headers):
            return not_modified(response)
        return response

    def route(self, req: Request) -> Response:
        for pattern, view in ROUTES:
            match = pattern.fullmatch(req.path)
            if match:
                return view(self, req, **match.groupdict())
        doc = self.visible_by_base_path(req.path.rstrip("/"), req.as_of)
        if doc is not None:
            return govuk_page(self, req, doc)
        if req.path.startswith("/api/"):
            return json_response({"error": "Not found"}, 404)
        return not_found_html(req.path)

    # ---- corpus views honouring as_of

    def visible(
        self, docs: Iterable[CorpusDocument], as_of: datetime | None
    ) -> list[CorpusDocument]:
        return [d for d in docs if d.is_visible(as_of)]

    def visible_by_base_path(self, path: str, as_of: datetime | None) -> CorpusDocument | None:
        doc = self.by_base_path.get(path)
        return doc if doc is not None and doc.is_visible(as_of) else None

    def site_documents(self, slug: str, as_of: datetime | None) -> list[CorpusDocument]:
        """A sector site's visible documents, newest publication first."""
        docs = [
            d
            for d in self.corpus.documents
            if d.source != "govuk" and d.publisher == slug and d.is_visible(as_of)
        ]
        return sorted(docs, key=lambda d: (d.first_published_at, d.id), reverse=True)

    def pdf_bytes(self, doc: CorpusDocument, attachment: Attachment) -> bytes:
        key = (doc.id, attachment.filename)
        with self._lock:
            cached = self._pdf_cache.get(key)
        if cached is None:
            cached = build_pdf(attachment.text, title=attachment.title)
            with self._lock:
                self._pdf_cache[key] = cached
        return cached

    def attachment_path(self, doc: CorpusDocument, attachment: Attachment) -> str:
        if doc.source == "govuk":
            n = self.attachment_numbers[f"{doc.id}/{attachment.filename}"]
            return f"{UPLOADS}/{n}/{quote(attachment.filename)}"
        folder = "wp-content/uploads" if doc.source == "wordpress" else "reports"
        return f"/sites/{doc.publisher}/{folder}/{quote(attachment.filename)}"

    def post_path(self, doc: CorpusDocument) -> str:
        """The public URL path of a sector document (WordPress permalink or news page)."""
        if doc.source == "wordpress":
            published = doc.first_published_at.astimezone(SITE_TZ)
            return f"/sites/{doc.publisher}/{published:%Y/%m}/{doc.id}/"
        return f"/sites/{doc.publisher}/news/{doc.id}/"


# Faults that replace the body of the real response (see the FixtureSite docstring).
BODY_FAULTS: dict[str, Callable[[Response], Response]] = {
    "malformed": malformed,
    "truncated": truncated,
    "latin1": mislabelled_latin1,
    "no_charset": no_charset,
    "oversize": lambda response: oversize(response, OVERSIZE_BYTES),  # read when used
}
# Faults that do not change the real response, only when it is sent.
TIMING_FAULTS = frozenset({"slow", "hang"})


def _early_fault(fault: int | str | None, target: str, path: str) -> Response | None:
    """The response for a fault that replaces the route entirely, or None."""
    if fault is None or fault in BODY_FAULTS or fault in TIMING_FAULTS:
        return None
    if isinstance(fault, int):
        return fault_response(fault, path)
    if fault == "retry_after_date":
        return retry_after_date(path)
    if fault == "redirect_loop":
        return redirect_to_self(target)
    if fault == "html":
        return service_unavailable_html()
    if fault == "drop":
        return dropped()
    logger.error("unknown fault %r queued for %s", fault, path)
    return json_response({"error": f"unknown fixture fault {fault!r}"}, 500)


def _title_case_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> dict[str, str]:
    """Request headers keyed ``User-Agent``-style; repeats joined with ", "."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    merged: dict[str, str] = {}
    for name, value in pairs:
        key = name.title()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


_SLUG = r"(?P<slug>[a-z0-9-]+)"
ROUTES: list[tuple[re.Pattern[str], Callable[..., Response]]] = [
    (re.compile(p), v)
    for p, v in [
        (r"/", home),
        (r"/robots\.txt", robots),
        (r"/private/.*", private),
        (r"/api/search\.json", search_api),
        (r"/api/content(?P<path>/.*)", content_api),
        (r"/government/organisations/" + _SLUG + r"\.atom", organisation_atom),
        (r"/search/(?P<finder>[a-z-]+)\.atom", finder_atom),
        (UPLOADS + r"/(?P<number>\d+)/(?P<filename>[^/]+)", govuk_attachment),
        (r"/api/writtenstatements/statements/?", statements_list),
        (r"/api/writtenstatements/statements/(?P<statement_id>\d+)/?", statement_by_id),
        (
            r"/api/writtenstatements/statements/(?P<day>\d{4}-\d{2}-\d{2})/(?P<uin>\w+)/?",
            statement_by_date_and_uin,
        ),
        (r"/written-statements/detail/(?P<day>\d{4}-\d{2}-\d{2})/(?P<uin>\w+)/?", statement_page),
        (r"/sites/?", sites_index),
        (r"/sites/" + _SLUG + r"/?", sector_home),
        (r"/sites/" + _SLUG + r"/wp-json/wp/v2/posts/?", wp_posts),
        (r"/sites/" + _SLUG + r"/wp-json/wp/v2/posts/(?P<post_id>\d+)/?", wp_single_post),
        (r"/sites/" + _SLUG + r"/feed/?", rss_feed),
        (r"/sites/" + _SLUG + r"/sitemap\.xml", sitemap),
        (r"/sites/" + _SLUG + r"/wp-sitemap\.xml", wp_sitemap_index),
        (r"/sites/" + _SLUG + r"/wp-sitemap-posts-post-(?P<page>\d+)\.xml", wp_sitemap_posts),
        (
            r"/sites/" + _SLUG + r"/(?P<year>\d{4})/(?P<month>\d{2})/(?P<doc_id>[a-z0-9-]+)/?",
            wp_post_page,
        ),
        (r"/sites/" + _SLUG + r"/news/?", html_listing),
        (r"/sites/" + _SLUG + r"/news/(?P<doc_id>[a-z0-9-]+)/?", html_article),
        (
            r"/sites/" + _SLUG + r"/(?P<folder>wp-content/uploads|reports)/(?P<filename>[^/]+)",
            sector_attachment,
        ),
    ]
]


# --------------------------------------------------------------------------- HTTP handler


class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP adapter: all behaviour lives in ``FixtureSite.handle``."""

    site: FixtureSite
    server_version = "PolicyWatchFixture/1.0"
    protocol_version = "HTTP/1.1"
    timeout = 30
    # Headers and body go out in two writes; without this, Nagle plus delayed ACK
    # stalls every keep-alive response by ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        response = self.site.handle(self.path, self.headers.items())
        if response.drop:  # the "drop" fault: hang up without a status line
            self.close_connection = True
            return
        try:
            self.send_response(response.status)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            if response.status not in (204, 304):  # these carry no body and no length
                self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):  # client gave up (e.g. on "slow")
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Per-request lines go to DEBUG, not stderr, so test output stays clean."""
        logger.debug("%s - " + format, self.address_string(), *args)
