"""The fixture HTTP server: GOV.UK and sector sites on 127.0.0.1.

Crawler and end-to-end tests need the web to behave like GOV.UK (Search API,
Content API, Atom feeds), WordPress (wp-json, RSS) and plain HTML sites, but
offline, fast and repeatable. ``FixtureSite`` serves the demo corpus in those
shapes from a daemon thread. ``as_of`` replays the web at a past moment (so
incremental crawls and version changes can be tested) and ``faults`` injects
the failures real sites produce (rate limits, 5xx, truncated bodies, wrong
charsets, slowness) so the crawler's resilience is tested too.

Only the standard library is used so the server starts in milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policywatch.fixture_site.corpus import (
    CONSULTATION_TYPES,
    CONTENT_ID_NAMESPACE,
    NEWS_TYPES,
    SPEECH_TYPES,
    Attachment,
    Corpus,
    CorpusDocument,
    Publisher,
    Taxon,
    load_corpus,
    render_body_html,
    to_datetime,
)
from policywatch.fixture_site.pdf import build_pdf

logger = logging.getLogger(__name__)

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=UTF-8"
PDF = "application/pdf"
TEXT = "text/plain; charset=utf-8"

MAX_COUNT = 1500
FEED_SIZE = 20
WP_FEED_SIZE = 10
HTML_PAGE_SIZE = 10
SLOW_SECONDS = 2.0
LABOUR_FROM = datetime(2024, 7, 5, tzinfo=UTC)
UPLOADS = "/government/uploads/system/uploads/attachment_data/file"

try:  # WordPress shows local time in `date`; fall back to UTC without tzdata.
    SITE_TZ: tzinfo = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover - depends on the OS
    SITE_TZ = UTC

# govuk_document_types supertypes.yml, reduced to the types the corpus uses.
SUPERGROUPS: dict[str, frozenset[str]] = {
    "news_and_communications": frozenset(
        {
            "news_story",
            "press_release",
            "world_news_story",
            "fatality_notice",
            "case_study",
            "oral_statement",
            "written_statement",
            "authored_article",
            "correspondence",
            "speech",
            "government_response",
        }
    ),
    "policy_and_engagement": frozenset(
        {
            "impact_assessment",
            "policy_paper",
            "open_consultation",
            "closed_consultation",
            "consultation_outcome",
            "consultation",
            "call_for_evidence",
            "open_call_for_evidence",
            "closed_call_for_evidence",
            "call_for_evidence_outcome",
        }
    ),
    "guidance_and_regulation": frozenset(
        {"guidance", "statutory_guidance", "detailed_guide", "manual", "regulation"}
    ),
    "research_and_statistics": frozenset(
        {
            "research",
            "independent_report",
            "official_statistics",
            "national_statistics",
            "statistical_data_set",
            "statistics",
        }
    ),
    "transparency": frozenset({"transparency", "corporate_report", "foi_release"}),
}
SUBGROUPS: dict[str, frozenset[str]] = {
    "news": frozenset({"news_story", "press_release", "world_news_story", "fatality_notice"}),
    "speeches_and_statements": frozenset(
        {
            "speech",
            "oral_statement",
            "written_statement",
            "authored_article",
            "government_response",
            "correspondence",
        }
    ),
    "policy": frozenset({"policy_paper", "impact_assessment"}),
    "consultations": frozenset(
        {"open_consultation", "closed_consultation", "consultation_outcome", "consultation"}
    ),
}
ANNOUNCEMENTS = frozenset(
    {
        "authored_article",
        "fatality_notice",
        "government_response",
        "news_story",
        "oral_statement",
        "press_release",
        "speech",
        "world_news_story",
        "written_statement",
    }
)


# --------------------------------------------------------------------------- helpers


@dataclass
class Response:
    """What a route returns; the handler adds Content-Length and writes it."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    return Response(status, body, JSON, dict(headers or {}))


def html_response(html: str, status: int = 200) -> Response:
    return Response(status, html.encode("utf-8"), HTML)


def iso(dt: datetime) -> str:
    """GOV.UK style UTC timestamps: 2023-02-02T09:30:00Z."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wp_time(dt: datetime, tz: tzinfo) -> str:
    """WordPress timestamps carry no offset: local in `date`, UTC in `date_gmt`."""
    return dt.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S")


def stable_ids(keys: Iterable[str], low: int, span: int) -> dict[str, int]:
    """Hash-derived integers that stay put when other documents are added."""
    ids: dict[str, int] = {}
    used: set[int] = set()
    for key in sorted(keys):
        n = low + int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % span
        while n in used:
            n += 1
        used.add(n)
        ids[key] = n
    return ids


def updated_at(doc: CorpusDocument, as_of: datetime | None) -> datetime:
    """Timestamp of the latest version visible at ``as_of`` (the doc must be visible)."""
    version = doc.version_at(as_of)
    return version.public_timestamp if version else doc.first_published_at


def display_type(document_type: str) -> str:
    return document_type.replace("_", " ").capitalize()


def schema_name(document_type: str) -> str:
    if document_type in NEWS_TYPES:
        return "news_article"
    if document_type in SPEECH_TYPES:
        return "speech"
    if document_type in CONSULTATION_TYPES:
        return "consultation"
    return "publication"


def group_of(document_type: str, groups: dict[str, frozenset[str]]) -> str:
    return next((name for name, types in groups.items() if document_type in types), "other")


def is_political(doc: CorpusDocument) -> bool:
    """Speeches and statements are political, and so is anything quoting a minister."""
    return doc.document_type in SPEECH_TYPES or bool(doc.people)


def government(first_published: datetime, as_of: datetime | None) -> dict[str, Any]:
    """The government a document was published under, as Whitehall records it."""
    now = as_of or datetime.now(UTC)
    if first_published >= LABOUR_FROM:
        return {
            "title": "2024 Labour government",
            "slug": "2024-labour-government",
            "current": now >= LABOUR_FROM,
        }
    return {
        "title": "2015 Conservative government",
        "slug": "2015-conservative-government",
        "current": now < LABOUR_FROM,
    }


def page_html(title: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n{head}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def not_found_html(path: str) -> Response:
    return html_response(
        page_html("Page not found", f"<h1>Page not found</h1><p>{escape(path)}</p>"), 404
    )


class ParamError(ValueError):
    """A request parameter GOV.UK would reject with 422."""


# --------------------------------------------------------------------------- request


@dataclass(frozen=True)
class Request:
    """One GET, with the site's ``as_of`` captured once so a request is consistent."""

    path: str
    params: list[tuple[str, str]]
    as_of: datetime | None
    base_url: str

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]

    def first(self, name: str, default: str | None = None) -> str | None:
        values = self.values(name)
        return values[0] if values else default

    def url(self, path: str) -> str:
        return self.base_url + path


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


# --------------------------------------------------------------------------- faults


def fault_response(status: int, path: str) -> Response:
    """An injected error; 429 says when to retry, as rate limiters do."""
    headers = {"Retry-After": "1"} if status == 429 else {}
    if path.startswith("/api/") or "/wp-json/" in path:
        return json_response({"error": f"injected fault {status}"}, status, headers)
    response = html_response(page_html(f"Error {status}", f"<h1>Error {status}</h1>"), status)
    response.headers.update(headers)
    return response


def malformed(response: Response) -> Response:
    """Half the body with a 200: unparsable JSON/XML, broken HTML."""
    cut = max(1, len(response.body) // 2)
    return Response(200, response.body[:cut], response.content_type, response.headers)


def mislabelled_latin1(response: Response) -> Response:
    """The body in ISO-8859-1 while the Content-Type still says utf-8."""
    if response.content_type == PDF:
        return response
    text = response.body.decode("utf-8")
    return Response(
        response.status,
        text.encode("latin-1", errors="replace"),
        response.content_type,
        response.headers,
    )


# --------------------------------------------------------------------------- GOV.UK: shared


def organisation_summary(pub: Publisher) -> dict[str, Any]:
    """The organisation object the Search API embeds in each result."""
    return {
        "slug": pub.slug,
        "title": pub.title,
        "acronym": pub.acronym or "",
        "link": f"/government/organisations/{pub.slug}",
        "content_id": pub.content_id or "",
        "organisation_state": "live",
    }


def doc_organisations(site: FixtureSite, doc: CorpusDocument) -> list[Publisher]:
    slugs = [doc.publisher, *doc.other_publishers]
    return [site.corpus.publishers[s] for s in slugs if s in site.corpus.publishers]


def taxonomy_tree(site: FixtureSite, doc: CorpusDocument) -> list[str]:
    """Content ids of the tagged taxons and all their ancestors (part_of_taxonomy_tree)."""
    ids: list[str] = []
    for base_path in doc.taxons:
        for taxon in site.corpus.taxon_chain(base_path):
            if taxon.content_id not in ids:
                ids.append(taxon.content_id)
    return ids


# --------------------------------------------------------------------------- GOV.UK: search


def search_result(site: FixtureSite, doc: CorpusDocument, as_of: datetime | None) -> dict[str, Any]:
    """Every field the fixture can answer for; ``fields`` then narrows it."""
    version = doc.version_at(as_of)
    assert version is not None
    orgs = [organisation_summary(p) for p in doc_organisations(site, doc)]
    return {
        "title": doc.title,
        "link": doc.base_path,
        "description": doc.description,
        "public_timestamp": iso(version.public_timestamp),
        "first_published_at": iso(doc.first_published_at),
        "updated_at": iso(version.public_timestamp),
        "content_store_document_type": doc.document_type,
        "format": doc.document_type,
        "display_type": display_type(doc.document_type),
        "organisations": orgs,
        "expanded_organisations": orgs,
        "organisation_content_ids": [o["content_id"] for o in orgs],
        "content_id": doc.content_id,
        "slug": doc.id,
        "is_withdrawn": doc.withdrawn_at(as_of) is not None,
        "is_political": is_political(doc),
        "government_name": government(doc.first_published_at, as_of)["title"],
        "part_of_taxonomy_tree": taxonomy_tree(site, doc),
        "taxons": [t.content_id for b in doc.taxons if (t := site.corpus.taxons.get(b))],
        "people": list(doc.people),
        "content_purpose_supergroup": group_of(doc.document_type, SUPERGROUPS),
        "content_purpose_subgroup": group_of(doc.document_type, SUBGROUPS),
        "email_document_supertype": (
            "announcements" if doc.document_type in ANNOUNCEMENTS else "publications"
        ),
        "index": "government",
        "es_score": None,
        "_id": doc.base_path,
        "elasticsearch_type": "edition",
        "document_type": "edition",
    }


FILTERABLE = {
    "organisations",
    "content_store_document_type",
    "content_purpose_supergroup",
    "content_purpose_subgroup",
    "part_of_taxonomy_tree",
    "taxons",
    "people",
    "content_id",
    "email_document_supertype",
    "is_withdrawn",
    "is_political",
    "government_name",
}
DATE_FILTERS = {"public_timestamp", "first_published_at"}
SORTABLE = {"public_timestamp", "title", "popularity"}
PLAIN_PARAMS = {"q", "count", "start", "order", "fields", "fields[]", "c"}
_FILTER_PARAM = re.compile(r"(filter|reject)_(?:(any|all)_)?(.+)")


def field_values(result: dict[str, Any], name: str) -> set[str]:
    """A result field as a set of strings, so one matcher serves every filter."""
    value = result.get(name)
    if name == "organisations":
        return {o["slug"] for o in value or []}
    if isinstance(value, bool):
        return {str(value).lower()}
    if isinstance(value, list):
        return {str(v) for v in value}
    return set() if value is None else {str(value)}


def parse_date_filter(raw: str, name: str) -> tuple[datetime | None, datetime | None]:
    """``from:YYYY-MM-DD[,to:YYYY-MM-DD]``, inclusive, whole days by default."""
    low = high = None
    for part in raw.split(","):
        key, _, value = part.partition(":")
        try:
            when = to_datetime(value.strip())
        except ValueError:
            raise ParamError(
                f'Invalid value "{raw}" for parameter "{name}" (expected ISO8601 date)'
            ) from None
        date_only = len(value.strip()) <= 10
        if key == "from":
            low = when
        elif key == "to":
            high = when + timedelta(days=1, microseconds=-1) if date_only else when
        else:
            raise ParamError(f'Invalid value "{raw}" for parameter "{name}" (expected from:/to:)')
    return low, high


@dataclass
class SearchQuery:
    """Validated Search API parameters."""

    q: str = ""
    count: int = 10
    start: int = 0
    order: str | None = None
    fields: list[str] = field(default_factory=list)
    filters: list[tuple[str, str, str, list[str]]] = field(default_factory=list)
    dates: dict[str, tuple[datetime | None, datetime | None]] = field(default_factory=dict)


def _int_param(req: Request, name: str, default: int) -> int:
    raw = req.first(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ParamError(
            f'Invalid value "{raw}" for parameter "{name}" (expected positive integer)'
        )
    return int(raw)


def _search_filters(req: Request, query: SearchQuery) -> list[str]:
    """Collect filter_/reject_ params; return the names GOV.UK would not accept."""
    unexpected = []
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for name, value in req.params:
        if name in PLAIN_PARAMS:
            continue
        match = _FILTER_PARAM.fullmatch(name)
        field_name = match.group(3) if match else ""
        if match and match.group(1) == "filter" and field_name in DATE_FILTERS:
            if field_name in query.dates:
                raise ParamError(
                    f"Too many values ({len(req.values(name))}) for parameter "
                    f'"{field_name}" (must occur at most once)'
                )
            query.dates[field_name] = parse_date_filter(value, field_name)
        elif match and field_name in FILTERABLE:
            key = (match.group(1), match.group(2) or "any", field_name)
            grouped.setdefault(key, []).extend(v for v in value.split(",") if v)
        elif name not in unexpected:
            unexpected.append(name)
    query.filters = [(kind, mode, name, values) for (kind, mode, name), values in grouped.items()]
    return unexpected


def parse_search(req: Request) -> SearchQuery:
    """Validate like search-api: anything unknown or out of range is a 422."""
    query = SearchQuery(q=(req.first("q") or "").strip())
    unexpected = _search_filters(req, query)
    if unexpected:
        raise ParamError(f"Unexpected parameters: {', '.join(unexpected)}")
    query.count = _int_param(req, "count", 10)
    query.start = _int_param(req, "start", 0)
    if query.count > MAX_COUNT:
        raise ParamError(f"Maximum result set size (as specified in 'count') is {MAX_COUNT}")
    order = req.first("order")
    if order and order.lstrip("-") not in SORTABLE:
        raise ParamError(f'"{order}" is not a valid sort field')
    query.order = order or None
    for raw in req.values("fields") + req.values("fields[]"):
        query.fields += [f for f in raw.split(",") if f]
    return query


def _matches(result: dict[str, Any], query: SearchQuery) -> bool:
    if query.q:
        haystack = f"{result['title']} {result['description']}".lower()
        if query.q.lower() not in haystack:
            return False
    for kind, mode, name, values in query.filters:
        have = field_values(result, name)
        hit = set(values) <= have if mode == "all" else bool(have & set(values))
        if hit != (kind == "filter"):
            return False
    for name, (low, high) in query.dates.items():
        when = to_datetime(result[name])
        if (low and when < low) or (high and when > high):
            return False
    return True


def _sort(results: list[dict[str, Any]], query: SearchQuery) -> list[dict[str, Any]]:
    order = query.order
    if order is None and query.q:  # "relevance": title hits first, then newest
        q = query.q.lower()
        results.sort(key=lambda r: r["public_timestamp"], reverse=True)
        return sorted(results, key=lambda r: q not in r["title"].lower())
    if order is None or order.lstrip("-") == "popularity":
        return sorted(results, key=lambda r: r["slug"], reverse=order == "-popularity")
    name = order.lstrip("-")
    key: Callable[[dict[str, Any]], Any] = (
        (lambda r: (r["title"].lower(), r["slug"]))
        if name == "title"
        else (lambda r: (r["public_timestamp"], r["slug"]))
    )
    return sorted(results, key=key, reverse=order.startswith("-"))


def search_api(site: FixtureSite, req: Request) -> Response:
    """``/api/search.json``: GOV.UK's Search API over the visible govuk documents."""
    try:
        query = parse_search(req)
    except ParamError as exc:
        return json_response({"error": str(exc)}, 422)
    results = [search_result(site, d, req.as_of) for d in site.visible(site.govuk_docs, req.as_of)]
    results = _sort([r for r in results if _matches(r, query)], query)
    page = results[query.start : query.start + query.count]
    if query.fields:
        page = [{k: r[k] for k in query.fields if k in r} for r in page]
    return json_response(
        {
            "results": page,
            "total": len(results),
            "start": query.start,
            "aggregates": {},
            "suggested_queries": [],
        },
        headers={"Cache-Control": "max-age=900, public", "Access-Control-Allow-Origin": "*"},
    )


# --------------------------------------------------------------------------- GOV.UK: content


def linked_organisation(site: FixtureSite, pub: Publisher) -> dict[str, Any]:
    base_path = f"/government/organisations/{pub.slug}"
    return {
        "api_path": f"/api/content{base_path}",
        "api_url": site.base_url + f"/api/content{base_path}",
        "base_path": base_path,
        "content_id": pub.content_id or "",
        "document_type": "organisation",
        "locale": "en",
        "schema_name": "organisation",
        "title": pub.title,
        "web_url": site.base_url + base_path,
        "withdrawn": False,
        "details": {
            "acronym": pub.acronym or "",
            "brand": pub.slug,
            "organisation_govuk_status": {"status": "live"},
        },
        "links": {},
    }


def linked_taxon(
    site: FixtureSite, taxon: Taxon, seen: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A taxon with its parent chain nested under links.parent_taxons."""
    parent = site.corpus.taxons.get(taxon.parent) if taxon.parent else None
    links: dict[str, Any] = {}
    if parent is not None and parent.base_path not in seen:
        links["parent_taxons"] = [linked_taxon(site, parent, seen | {taxon.base_path})]
    return {
        "content_id": taxon.content_id,
        "title": taxon.title,
        "locale": "en",
        "api_path": f"/api/content{taxon.base_path}",
        "api_url": site.base_url + f"/api/content{taxon.base_path}",
        "base_path": taxon.base_path,
        "document_type": "taxon",
        "schema_name": "taxon",
        "web_url": site.base_url + taxon.base_path,
        "withdrawn": False,
        "phase": "live",
        "details": {"internal_name": taxon.title},
        "links": links,
    }


def linked_person(site: FixtureSite, slug: str) -> dict[str, Any]:
    base_path = f"/government/people/{slug}"
    return {
        "base_path": base_path,
        "api_path": f"/api/content{base_path}",
        "title": slug.replace("-", " ").title(),
        "document_type": "person",
        "schema_name": "person",
        "locale": "en",
        "web_url": site.base_url + base_path,
        "content_id": str(uuid.uuid5(CONTENT_ID_NAMESPACE, f"person/{slug}")),
        "links": {},
    }


def content_links(site: FixtureSite, doc: CorpusDocument, as_of: datetime | None) -> dict[str, Any]:
    orgs = [linked_organisation(site, p) for p in doc_organisations(site, doc)]
    taxons = [linked_taxon(site, t) for b in doc.taxons if (t := site.corpus.taxons.get(b))]
    gov = government(doc.first_published_at, as_of)
    return {
        "organisations": orgs,
        "primary_publishing_organisation": orgs[:1],
        "taxons": taxons,
        "people": [linked_person(site, p) for p in doc.people],
        "government": [
            {
                "title": gov["title"],
                "base_path": f"/government/{gov['slug']}",
                "document_type": "government",
                "locale": "en",
                "details": {"current": gov["current"]},
            }
        ],
    }


def attachment_json(site: FixtureSite, doc: CorpusDocument) -> list[dict[str, Any]]:
    return [
        {
            "attachment_type": "file",
            "id": a.filename,
            "title": a.title,
            "url": site.base_url + site.attachment_path(doc, a),
            "content_type": "application/pdf",
            "filename": a.filename,
            "file_size": len(site.pdf_bytes(doc, a)),
        }
        for a in doc.attachments
    ]


def content_details(
    site: FixtureSite, doc: CorpusDocument, as_of: datetime | None
) -> dict[str, Any]:
    versions = doc.visible_versions(as_of)
    details: dict[str, Any] = {
        "body": f'<div class="govspeak">{render_body_html(doc.body_at(as_of) or "")}</div>',
        "change_history": [
            {"public_timestamp": iso(v.public_timestamp), "note": v.note}
            for v in reversed(versions)
        ],
        "government": government(doc.first_published_at, as_of),
        "political": is_political(doc),
        "attachments": attachment_json(site, doc),
    }
    if doc.document_type in NEWS_TYPES:
        details["first_public_at"] = iso(doc.first_published_at)
    if doc.document_type in SPEECH_TYPES:
        details["delivered_on"] = iso(doc.first_published_at)
    return details


def content_item(site: FixtureSite, doc: CorpusDocument, as_of: datetime | None) -> dict[str, Any]:
    """A content-store item for the document as it stood at ``as_of``."""
    version = doc.version_at(as_of)
    assert version is not None
    item: dict[str, Any] = {
        "analytics_identifier": None,
        "base_path": doc.base_path,
        "content_id": doc.content_id,
        "title": doc.title,
        "description": doc.description,
        "locale": "en",
        "document_type": doc.document_type,
        "schema_name": schema_name(doc.document_type),
        "first_published_at": iso(doc.first_published_at),
        "public_updated_at": iso(version.public_timestamp),
        "updated_at": iso(version.public_timestamp),
        "publishing_app": "whitehall",
        "rendering_app": "frontend",
        "phase": "live",
        "email_document_supertype": (
            "announcements" if doc.document_type in ANNOUNCEMENTS else "publications"
        ),
        "government_document_supertype": doc.document_type.replace("_", "-") + "s",
        "navigation_document_supertype": "other",
        "user_journey_document_supertype": "thing",
        "details": content_details(site, doc, as_of),
        "links": content_links(site, doc, as_of),
    }
    withdrawn = doc.withdrawn_at(as_of)
    if withdrawn is not None:
        item["withdrawn_notice"] = {
            "explanation": f'<div class="govspeak"><p>{escape(withdrawn.explanation)}</p></div>',
            "withdrawn_at": iso(withdrawn.withdrawn_at),
        }
    return item


def content_api(site: FixtureSite, req: Request, path: str) -> Response:
    """``/api/content/<base_path>``: documents, and the taxons and organisations they link."""
    base_path = "/" + path.strip("/")
    doc = site.visible_by_base_path(base_path, req.as_of)
    if doc is not None:
        return json_response(content_item(site, doc, req.as_of))
    taxon = site.corpus.taxons.get(base_path)
    if taxon is not None:
        return json_response(linked_taxon(site, taxon))
    org_slug = base_path.removeprefix("/government/organisations/")
    pub = site.corpus.publishers.get(org_slug)
    if pub is not None and pub.kind == "government" and org_slug != base_path:
        return json_response(linked_organisation(site, pub))
    return json_response(
        {"error": {"code": "not_found", "message": f"Could not find content item {base_path}"}}, 404
    )


# --------------------------------------------------------------------------- GOV.UK: pages


def govuk_page(site: FixtureSite, req: Request, doc: CorpusDocument) -> Response:
    """The human web page; crawlers that scrape HTML see the same content as the API."""
    version = doc.version_at(req.as_of)
    assert version is not None
    orgs = ", ".join(escape(p.title) for p in doc_organisations(site, doc))
    history = "".join(
        f'<li><time datetime="{iso(v.public_timestamp)}">{v.public_timestamp:%-d %B %Y}</time> '
        f"{escape(v.note)}</li>"
        for v in reversed(doc.visible_versions(req.as_of))
    )
    attachments = "".join(
        f'<li><a class="attachment" href="{site.attachment_path(doc, a)}">{escape(a.title)}</a>'
        "</li>"
        for a in doc.attachments
    )
    withdrawn = doc.withdrawn_at(req.as_of)
    kind = display_type(doc.document_type).lower()
    notice = (
        f'<div class="withdrawn-notice"><strong>This {kind} was withdrawn on '
        f"{withdrawn.withdrawn_at:%-d %B %Y}</strong><p>{escape(withdrawn.explanation)}</p></div>"
        if withdrawn
        else ""
    )
    body = f"""<header><p class="document-type">{display_type(doc.document_type)}</p>
<h1>{escape(doc.title)}</h1><p class="description">{escape(doc.description)}</p></header>
{notice}<dl class="metadata"><dt>From:</dt><dd class="organisations">{orgs}</dd>
<dt>Published</dt><dd><time class="published" datetime="{iso(doc.first_published_at)}">\
{doc.first_published_at:%-d %B %Y}</time></dd>
<dt>Last updated</dt><dd><time class="updated" datetime="{iso(version.public_timestamp)}">\
{version.public_timestamp:%-d %B %Y}</time></dd></dl>
<div class="govspeak">{render_body_html(doc.body_at(req.as_of) or "")}</div>
{f'<h2>Documents</h2><ul class="attachments">{attachments}</ul>' if attachments else ""}
<h2>Updates to this page</h2><ol class="change-history">{history}</ol>"""
    head = (
        f'<meta name="govuk:content-id" content="{doc.content_id}">\n'
        f'<link rel="canonical" href="{req.url(doc.base_path)}">\n'
    )
    return html_response(page_html(f"{doc.title} - GOV.UK", body, head))


def govuk_attachment(site: FixtureSite, req: Request, number: str, filename: str) -> Response:
    for doc in site.visible(site.govuk_docs, req.as_of):
        for a in doc.attachments:
            key = f"{doc.id}/{a.filename}"
            if site.attachment_numbers.get(key) == int(number) and quote(a.filename) == filename:
                return Response(200, site.pdf_bytes(doc, a), PDF)
    return not_found_html(req.path)


# --------------------------------------------------------------------------- GOV.UK: Atom


def atom_feed(req: Request, title: str, docs: list[CorpusDocument], entries: list[str]) -> Response:
    """Wrap entries in an Atom 1.0 feed whose ``updated`` is the newest entry's."""
    newest = [updated_at(d, req.as_of) for d in docs[:1]]
    updated = iso(newest[0] if newest else req.as_of or datetime(2015, 1, 1, tzinfo=UTC))
    self_path = req.path
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"'
        f' xml:lang="en-GB">\n<id>{escape(req.url(self_path))}</id>\n'
        f'<link rel="self" type="application/atom+xml" href="{escape(req.url(self_path))}"/>\n'
        f'<link rel="alternate" type="text/html" href="{escape(req.base_url)}/"/>\n'
        f"<title>{escape(title)}</title>\n<updated>{updated}</updated>\n"
        f"<author><name>HM Government</name></author>\n{''.join(entries)}</feed>\n"
    )
    return Response(200, xml.encode("utf-8"), ATOM, {"Access-Control-Allow-Origin": "*"})


def atom_entry(req: Request, doc: CorpusDocument, entry_id: str, title: str) -> str:
    version = doc.version_at(req.as_of)
    assert version is not None
    url = escape(req.url(doc.base_path))
    dtype = escape(display_type(doc.document_type))
    return (
        f"<entry>\n<id>{escape(entry_id)}</id>\n<updated>{iso(version.public_timestamp)}"
        f'</updated>\n<link rel="alternate" type="text/html" href="{url}"/>\n'
        f"<title>{escape(title)}</title>\n"
        f'<category term="{dtype}" label="{dtype}"/>\n'
        f'<summary type="html">{escape(doc.description)}</summary>\n</entry>\n'
    )


def latest_govuk(
    site: FixtureSite, req: Request, keep: Callable[[CorpusDocument], bool]
) -> list[CorpusDocument]:
    """The newest FEED_SIZE visible documents by their latest visible version."""
    docs = [d for d in site.visible(site.govuk_docs, req.as_of) if keep(d)]
    docs.sort(key=lambda d: (updated_at(d, req.as_of), d.id), reverse=True)
    return docs[:FEED_SIZE]


def organisation_atom(site: FixtureSite, req: Request, slug: str) -> Response:
    """Organisation feed: entry ids change with each major update, like GOV.UK's."""
    pub = site.corpus.publishers.get(slug)
    if pub is None or pub.kind != "government":
        return not_found_html(req.path)
    docs = latest_govuk(site, req, lambda d: slug in (d.publisher, *d.other_publishers))
    entries = []
    for doc in docs:
        version = doc.version_at(req.as_of)
        assert version is not None
        entry_id = f"{req.url(doc.base_path)}#{iso(version.public_timestamp)}"
        title = f"{display_type(doc.document_type)}: {doc.title}"
        entries.append(atom_entry(req, doc, entry_id, title))
    return atom_feed(req, f"{pub.title} - Activity on GOV.UK", docs, entries)


FINDERS = {
    "news-and-communications": (
        "News and communications",
        lambda d: d.document_type in SUPERGROUPS["news_and_communications"],
    ),
    "policy-papers-and-consultations": (
        "Policy papers and consultations",
        lambda d: d.document_type in SUPERGROUPS["policy_and_engagement"],
    ),
    "all": ("Search", lambda d: True),
}


def finder_atom(site: FixtureSite, req: Request, finder: str) -> Response:
    """Finder feeds (``/search/<finder>.atom``), honouring ``organisations[]``."""
    if finder not in FINDERS:
        return not_found_html(req.path)
    title, keep = FINDERS[finder]
    orgs = set(req.values("organisations[]") + req.values("organisations"))
    docs = latest_govuk(
        site,
        req,
        lambda d: keep(d) and (not orgs or bool(orgs & {d.publisher, *d.other_publishers})),
    )
    host = urlsplit(req.base_url).hostname
    entries = [atom_entry(req, d, f"tag:{host},2005:{d.base_path}", d.title) for d in docs]
    return atom_feed(req, title, docs, entries)


# --------------------------------------------------------------------------- sector: WordPress


def wp_post(site: FixtureSite, doc: CorpusDocument, req: Request) -> dict[str, Any]:
    """A wp/v2 post object; ``modified`` follows the latest visible version."""
    version = doc.version_at(req.as_of)
    assert version is not None
    post_id = site.post_ids[doc.id]
    return {
        "id": post_id,
        "date": wp_time(doc.first_published_at, SITE_TZ),
        "date_gmt": wp_time(doc.first_published_at, UTC),
        "guid": {"rendered": req.url(f"/sites/{doc.publisher}/?p={post_id}")},
        "modified": wp_time(version.public_timestamp, SITE_TZ),
        "modified_gmt": wp_time(version.public_timestamp, UTC),
        "slug": doc.id,
        "status": "publish",
        "type": "post",
        "link": req.url(site.post_path(doc)),
        "title": {"rendered": escape(doc.title, quote=False)},
        "content": {"rendered": sector_body_html(site, doc, req), "protected": False},
        "excerpt": {
            "rendered": f"<p>{escape(doc.description, quote=False)}</p>\n",
            "protected": False,
        },
        "author": 1,
        "categories": [1],
        "tags": [],
    }


def sector_body_html(site: FixtureSite, doc: CorpusDocument, req: Request) -> str:
    """Body HTML plus links to the attachments, as sector sites embed them."""
    links = "".join(
        f'<p><a href="{req.url(site.attachment_path(doc, a))}">{escape(a.title)} (PDF)</a></p>\n'
        for a in doc.attachments
    )
    return render_body_html(doc.body_at(req.as_of) or "") + "\n" + links


def wp_error(code: str, message: str, status: int) -> Response:
    return json_response({"code": code, "message": message, "data": {"status": status}}, status)


def _wp_when(raw: str | None, name: str) -> datetime | None:
    """WordPress date params: naive values are in the site's timezone."""
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ParamError(name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SITE_TZ)


def _wp_filter(site: FixtureSite, slug: str, req: Request) -> list[CorpusDocument]:
    after, before = _wp_when(req.first("after"), "after"), _wp_when(req.first("before"), "before")
    modified_after = _wp_when(req.first("modified_after"), "modified_after")
    search = (req.first("search") or "").lower()
    docs = []
    for doc in site.site_documents(slug, req.as_of):
        version = doc.version_at(req.as_of)
        assert version is not None
        if (
            (after and doc.first_published_at <= after)
            or (before and doc.first_published_at >= before)
            or (modified_after and version.public_timestamp <= modified_after)
            or (search and search not in f"{doc.title} {doc.body}".lower())
        ):
            continue
        docs.append(doc)
    return docs


def _wp_sort(site: FixtureSite, docs: list[CorpusDocument], req: Request) -> list[CorpusDocument]:
    orderby = req.first("orderby", "date") or "date"
    keys: dict[str, Callable[[CorpusDocument], Any]] = {
        "date": lambda d: (d.first_published_at, d.id),
        "modified": lambda d: (updated_at(d, req.as_of), d.id),
        "id": lambda d: site.post_ids[d.id],
        "title": lambda d: d.title.lower(),
        "slug": lambda d: d.id,
    }
    if orderby not in keys:
        raise ParamError("orderby")
    order = req.first("order", "desc")
    if order not in ("asc", "desc"):
        raise ParamError("order")
    return sorted(docs, key=keys[orderby], reverse=order == "desc")


def _wp_page_link(req: Request, page: int) -> str:
    params = [(k, v) for k, v in req.params if k != "page"] + [("page", str(page))]
    return f"<{req.url(req.path)}?{urlencode(params)}>"


def _wp_paging(req: Request, total: int) -> tuple[int, int, int]:
    per_page = _int_wp(req.first("per_page"), 10, "per_page")
    page = _int_wp(req.first("page"), 1, "page")
    if not 1 <= per_page <= 100 or page < 1:
        raise ParamError("per_page" if not 1 <= per_page <= 100 else "page")
    pages = -(-total // per_page)
    return per_page, page, pages


def _int_wp(raw: str | None, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ParamError(name)
    return int(raw)


def wp_posts(site: FixtureSite, req: Request, slug: str) -> Response:
    """``/wp-json/wp/v2/posts`` with WordPress's paging headers and errors."""
    pub = site.sector_sites.get(slug)
    if pub is None or pub.site_kind != "wordpress":
        return wp_error(
            "rest_no_route", "No route was found matching the URL and request method.", 404
        )
    try:
        docs = _wp_sort(site, _wp_filter(site, slug, req), req)
        per_page, page, pages = _wp_paging(req, len(docs))
    except ParamError as exc:
        return wp_error("rest_invalid_param", f"Invalid parameter(s): {exc}", 400)
    if page > max(pages, 1):
        return wp_error(
            "rest_post_invalid_page_number",
            "The page number requested is larger than the number of pages available.",
            400,
        )
    chunk = [wp_post(site, d, req) for d in docs[(page - 1) * per_page : page * per_page]]
    wanted = [f.split(".")[0] for raw in req.values("_fields") for f in raw.split(",") if f]
    if wanted:
        chunk = [{k: p[k] for k in wanted if k in p} for p in chunk]
    links = []
    if page > 1:
        links.append(f'{_wp_page_link(req, page - 1)}; rel="prev"')
    if page < pages:
        links.append(f'{_wp_page_link(req, page + 1)}; rel="next"')
    headers = {"X-WP-Total": str(len(docs)), "X-WP-TotalPages": str(pages)}
    if links:
        headers["Link"] = ", ".join(links)
    return json_response(chunk, headers=headers)


def wp_single_post(site: FixtureSite, req: Request, slug: str, post_id: str) -> Response:
    for doc in site.site_documents(slug, req.as_of):
        if site.post_ids.get(doc.id) == int(post_id):
            return json_response(wp_post(site, doc, req))
    return wp_error("rest_post_invalid_id", "Invalid post ID.", 404)


def rss_feed(site: FixtureSite, req: Request, slug: str) -> Response:
    """``/feed/``: RSS 2.0 with full content in content:encoded, like WordPress."""
    pub = site.sector_sites.get(slug)
    if pub is None or pub.site_kind != "wordpress":
        return not_found_html(req.path)
    docs = site.site_documents(slug, req.as_of)[:WP_FEED_SIZE]
    items = "".join(rss_item(site, d, req) for d in docs)
    last = format_datetime(docs[0].first_published_at.astimezone(UTC), usegmt=True) if docs else ""
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{escape(pub.title)}</title>\n"
        f'<atom:link href="{req.url(req.path)}" rel="self" type="application/rss+xml"/>\n'
        f"<link>{req.url(f'/sites/{slug}/')}</link>\n"
        f"<description>{escape(pub.title)}</description>\n"
        f"<lastBuildDate>{last}</lastBuildDate>\n<language>en-GB</language>\n"
        f"{items}</channel>\n</rss>\n"
    )
    return Response(200, xml.encode("utf-8"), RSS)


def rss_item(site: FixtureSite, doc: CorpusDocument, req: Request) -> str:
    link = escape(req.url(site.post_path(doc)))
    guid = escape(req.url(f"/sites/{doc.publisher}/?p={site.post_ids[doc.id]}"))
    published = format_datetime(doc.first_published_at.astimezone(UTC), usegmt=True)
    return (
        f"<item>\n<title>{escape(doc.title)}</title>\n<link>{link}</link>\n"
        f"<dc:creator>{escape(site.corpus.publishers[doc.publisher].title)}</dc:creator>\n"
        f"<pubDate>{published}</pubDate>\n"
        f'<guid isPermaLink="false">{guid}</guid>\n'
        f"<description>{escape(doc.description)}</description>\n"
        f"<content:encoded>{escape(sector_body_html(site, doc, req))}</content:encoded>\n"
        "</item>\n"
    )


def wp_post_page(
    site: FixtureSite, req: Request, slug: str, year: str, month: str, doc_id: str
) -> Response:
    doc = next(
        (
            d
            for d in site.site_documents(slug, req.as_of)
            if d.id == doc_id and d.source == "wordpress"
        ),
        None,
    )
    if doc is None or site.post_path(doc) != f"/sites/{slug}/{year}/{month}/{doc_id}/":
        return not_found_html(req.path)
    return sector_article(site, req, doc, "entry-content")


# --------------------------------------------------------------------------- sector: HTML sites


def sector_article(
    site: FixtureSite, req: Request, doc: CorpusDocument, body_class: str
) -> Response:
    """An article page; WordPress and hand-built sites differ only in the body class."""
    version = doc.version_at(req.as_of)
    assert version is not None
    pub = site.corpus.publishers[doc.publisher]
    updated = (
        f' <span class="updated">Updated <time class="modified" '
        f'datetime="{iso(version.public_timestamp)}">{version.public_timestamp:%-d %B %Y}'
        "</time></span>"
        if version is not doc.versions[0]
        else ""
    )
    body = (
        f'<header><p class="site"><a href="/sites/{doc.publisher}/">{escape(pub.title)}</a>'
        f"</p></header>\n<article>\n<h1>{escape(doc.title)}</h1>\n"
        f'<p class="meta"><time datetime="{iso(doc.first_published_at)}">'
        f"{doc.first_published_at:%-d %B %Y}</time>{updated}</p>\n"
        f'<div class="{body_class}">\n{sector_body_html(site, doc, req)}</div>\n'
        "</article>"
    )
    head = (
        f'<meta property="article:published_time" content="{iso(doc.first_published_at)}">\n'
        f'<meta property="article:modified_time" content="{iso(version.public_timestamp)}">\n'
        f'<meta name="description" content="{escape(doc.description)}">\n'
        f'<link rel="canonical" href="{req.url(site.post_path(doc))}">\n'
    )
    return html_response(page_html(f"{doc.title} | {pub.title}", body, head))


def html_listing(site: FixtureSite, req: Request, slug: str) -> Response:
    """``/news/?page=N``: ten per page, newest first, with rel=next/prev links."""
    pub = site.sector_sites.get(slug)
    raw_page = req.first("page", "1") or "1"
    if pub is None or pub.site_kind != "html" or not raw_page.isdigit():
        return not_found_html(req.path)
    docs = site.site_documents(slug, req.as_of)
    page, pages = int(raw_page), max(1, -(-len(docs) // HTML_PAGE_SIZE))
    if not 1 <= page <= pages:
        return not_found_html(req.path)
    items = "".join(
        f'<li class="news-item"><h2><a href="{site.post_path(d)}">{escape(d.title)}</a></h2>'
        f'<time datetime="{iso(d.first_published_at)}">{d.first_published_at:%-d %B %Y}</time>'
        f'<p class="summary">{escape(d.description)}</p></li>\n'
        for d in docs[(page - 1) * HTML_PAGE_SIZE : page * HTML_PAGE_SIZE]
    )
    nav = "".join(
        [
            f'<a rel="prev" href="/sites/{slug}/news/?page={page - 1}">Previous</a> '
            if page > 1
            else "",
            f'<a rel="next" href="/sites/{slug}/news/?page={page + 1}">Next</a>'
            if page < pages
            else "",
        ]
    )
    body = (
        f'<h1>{escape(pub.title)}: news</h1>\n<ul class="news-list">\n{items}</ul>\n'
        f'<nav class="pagination">{nav}</nav>'
    )
    return html_response(page_html(f"News | {pub.title}", body))


def html_article(site: FixtureSite, req: Request, slug: str, doc_id: str) -> Response:
    doc = next(
        (d for d in site.site_documents(slug, req.as_of) if d.id == doc_id and d.source == "html"),
        None,
    )
    if doc is None:
        return not_found_html(req.path)
    return sector_article(site, req, doc, "article-body")


def sector_attachment(
    site: FixtureSite, req: Request, slug: str, folder: str, filename: str
) -> Response:
    source = "wordpress" if folder == "wp-content/uploads" else "html"
    for doc in site.site_documents(slug, req.as_of):
        for a in doc.attachments:
            if doc.source == source and quote(a.filename) == filename:
                return Response(200, site.pdf_bytes(doc, a), PDF)
    return not_found_html(req.path)


def sector_home(site: FixtureSite, req: Request, slug: str) -> Response:
    pub = site.sector_sites.get(slug)
    if pub is None:
        return not_found_html(req.path)
    docs = site.site_documents(slug, req.as_of)[:HTML_PAGE_SIZE]
    items = "".join(f'<li><a href="{site.post_path(d)}">{escape(d.title)}</a></li>' for d in docs)
    extra = (
        f'<p><a href="/sites/{slug}/news/">All news</a></p>'
        if pub.site_kind == "html"
        else f'<p><a href="/sites/{slug}/feed/">RSS feed</a> · '
        f'<a href="/sites/{slug}/wp-json/wp/v2/posts">wp-json</a></p>'
    )
    head = (
        f'<link rel="alternate" type="application/rss+xml" href="/sites/{slug}/feed/">\n'
        if pub.site_kind == "wordpress"
        else ""
    )
    body = f"<h1>{escape(pub.title)}</h1>\n{extra}\n<ul>{items}</ul>"
    return html_response(page_html(pub.title, body, head))


# --------------------------------------------------------------------------- indexes, robots


def _sites_list(site: FixtureSite) -> str:
    items = "".join(
        f'<li><a href="/sites/{p.slug}/">{escape(p.title)}</a> ({p.site_kind})</li>'
        for p in site.sector_sites.values()
    )
    return f'<ul class="sites">{items}</ul>'


def sites_index(site: FixtureSite, req: Request) -> Response:
    body = f"<h1>Sector sites</h1>{_sites_list(site)}"
    return html_response(page_html("Sector sites", body))


def home(site: FixtureSite, req: Request) -> Response:
    when = iso(req.as_of) if req.as_of else "latest"
    orgs = "".join(
        f'<li>{escape(p.title)}: <a href="/government/organisations/{p.slug}.atom">Atom</a>, '
        f'<a href="/api/search.json?filter_organisations={p.slug}&amp;order=-public_timestamp">'
        "search</a></li>"
        for p in site.corpus.publishers.values()
        if p.kind == "government"
    )
    body = (
        f"<h1>PolicyWatch fixture site</h1><p>Serving the demo corpus as of {when}: "
        f"{len(site.visible(site.corpus.documents, req.as_of))} documents.</p>\n"
        '<h2>GOV.UK</h2><ul><li><a href="/api/search.json">Search API</a></li>'
        '<li><a href="/search/news-and-communications.atom">News and communications feed'
        f"</a></li>{orgs}</ul>\n"
        f'<h2><a href="/sites/">Sector sites</a></h2>{_sites_list(site)}'
    )
    return html_response(page_html("PolicyWatch fixture site", body))


def robots(site: FixtureSite, req: Request) -> Response:
    text = "User-agent: *\nDisallow: /private/\n"
    return Response(200, text.encode(), TEXT)


def private(site: FixtureSite, req: Request) -> Response:
    """Bait for robots.txt compliance: a polite crawler never asks for this."""
    return html_response(page_html("Private", "<h1>Private</h1><p>Disallowed by robots.txt.</p>"))


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
