"""The fixture HTTP server: GOV.UK and sector sites on 127.0.0.1.

Crawler and end-to-end tests need the web to behave like GOV.UK (Search API,
Content API, Atom feeds), WordPress (wp-json, RSS) and plain HTML sites, but
offline, fast and repeatable. ``FixtureSite`` serves the demo corpus in those
shapes from a daemon thread. ``as_of`` replays the web at a past moment (so
incremental crawls and version changes can be tested) and ``faults`` injects
the failures real sites produce (rate limits, 5xx, truncated bodies, wrong
charsets, slowness) so the crawler's resilience is tested too.

This module holds the site's lifecycle, fault injection, request plumbing, the
route table and the HTTP handler. The views live beside it, one module per
thing mimicked: ``govuk_search``, ``govuk_content``, ``govuk_pages``,
``feeds``, ``wordpress``, ``html_sites``, ``sector_pages``, ``index_pages``;
shared pieces are in ``responses``, ``request``, ``formats`` and
``govuk_metadata``.

Only the standard library is used so the server starts in milliseconds.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
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
from policywatch.fixture_site.pdf import build_pdf
from policywatch.fixture_site.request import ParamError, Request
from policywatch.fixture_site.responses import (
    Response,
    fault_response,
    json_response,
    malformed,
    mislabelled_latin1,
    not_found_html,
)
from policywatch.fixture_site.sector_pages import sector_attachment, sector_home
from policywatch.fixture_site.wordpress import wp_post_page, wp_posts, wp_single_post

__all__ = ["ROUTES", "SLOW_SECONDS", "FixtureSite", "ParamError", "Request", "Response"]

logger = logging.getLogger(__name__)

SLOW_SECONDS = 2.0  # how long a "slow" fault stalls; tests monkeypatch it here


# --------------------------------------------------------------------------- the site


class FixtureSite:
    """Serve a corpus as GOV.UK plus sector sites on a local port.

    ``as_of`` and ``faults`` may be changed while the server runs; each request
    reads them once. ``request_log`` records every path+query in order.
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
        self.base_url = ""
        self._lock = threading.Lock()
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
        handler = type("BoundHandler", (_Handler,), {"site": self})
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
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

    def log_request(self, target: str) -> None:
        with self._lock:
            self.request_log.append(target)

    def pop_fault(self, path: str) -> int | str | None:
        with self._lock:
            queue = self.faults.get(path)
            if not queue:
                return None
            fault = queue.pop(0)
            if not queue:
                del self.faults[path]
            return fault

    def handle(self, target: str) -> Response:
        """Route one GET (path+query) to a response, after any queued fault."""
        parts = urlsplit(target)
        path = parts.path or "/"
        self.log_request(target)
        fault = self.pop_fault(path)
        if fault == "slow":
            time.sleep(SLOW_SECONDS)
        if isinstance(fault, int):
            return fault_response(fault, path)
        request = Request(
            path, parse_qsl(parts.query, keep_blank_values=True), self.as_of, self.base_url
        )
        try:
            response = self.route(request)
        except Exception:  # a fixture bug must show as a 500, not a hung client
            logger.exception("fixture site failed on %s", target)
            response = json_response({"error": "internal error"}, 500)
        if fault == "malformed":
            return malformed(response)
        if fault == "latin1":
            return mislabelled_latin1(response)
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
        (r"/sites/?", sites_index),
        (r"/sites/" + _SLUG + r"/?", sector_home),
        (r"/sites/" + _SLUG + r"/wp-json/wp/v2/posts/?", wp_posts),
        (r"/sites/" + _SLUG + r"/wp-json/wp/v2/posts/(?P<post_id>\d+)/?", wp_single_post),
        (r"/sites/" + _SLUG + r"/feed/?", rss_feed),
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
        response = self.site.handle(self.path)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
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
