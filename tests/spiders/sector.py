"""Helpers for the sector-body spider tests (feed, wordpress, sitemap, html_listing).

Two ways to run a spider against the fixture site:

- :func:`drive` calls the spider's callbacks directly on responses the
  fixture site builds in-process (no server, no Scrapy engine): pure
  callbacks, response in, items and requests out;
- :func:`crawl` runs the real thing through ``policywatch.crawl.crawl_source``
  (Scrapy in a subprocess over HTTP, then ingest into a store).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy.engine import Engine

from policywatch.config import Settings
from policywatch.crawl import CrawlSummary, crawl_source
from policywatch.fixture_site.corpus import CorpusDocument, load_corpus, render_body_html
from policywatch.fixture_site.server import FixtureSite
from policywatch.registry import SourceConfig
from policywatch.store import queries, session_scope
from spiders.items import AnnouncementItem, CrawlErrorItem
from spiders.text import html_to_text

CORPUS = load_corpus()
BASE = "http://fixture.test"
FAST = 200.0  # requests per second: the fixture site is on this machine


def offline_site(as_of: str | None = None) -> FixtureSite:
    """The fixture site, not started: ``handle`` builds responses in-process."""
    site = FixtureSite(CORPUS, as_of=as_of)
    site.base_url = BASE
    return site


def site_docs(slug: str, as_of: datetime | str | None = None) -> list[CorpusDocument]:
    """A sector site's corpus documents visible at ``as_of``, newest first."""
    site = offline_site(as_of)
    return site.site_documents(slug, site.as_of)


def corpus_text(doc: CorpusDocument, as_of: datetime | None = None) -> str:
    return html_to_text(render_body_html(doc.body_at(as_of) or ""))


def first_sentence(doc: CorpusDocument) -> str:
    """The first sentence of a document's body as text (what every spider must keep)."""
    first_line = corpus_text(doc).splitlines()[0]
    return first_line.split(". ")[0]


def make_spider(cls: type, slug: str, **options: Any) -> Any:
    """A spider bound to a test crawler (stats, settings), for a sector site."""
    crawler = get_crawler(cls)
    spider = cls.from_crawler(
        crawler,
        source_key=f"{slug}-test",
        base_url=f"{BASE}/sites/{slug}",
        publisher=slug,
        **options,
    )
    crawler.spider = spider
    return spider


def response_for(
    site: FixtureSite, request: scrapy.Request | str, headers: dict[str, str] | None = None
) -> Response:
    """The fixture site's answer to a request, as the Scrapy response class it would be."""
    if isinstance(request, str):
        request = scrapy.Request(request)
    parts = urlsplit(request.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    sent = {k.decode(): v[0].decode() for k, v in request.headers.items()}
    answer = site.handle(target, {**sent, **(headers or {})})
    content_type = answer.content_type.lower()
    cls: type[Response] = Response
    if "html" in content_type:
        cls = HtmlResponse
    elif "xml" in content_type:
        cls = XmlResponse
    elif content_type.startswith(("text/", "application/json")):
        cls = TextResponse
    return cls(
        request.url,
        status=answer.status,
        body=answer.body,
        headers={"Content-Type": answer.content_type, **answer.headers},
        request=request,
    )


def drive(site: FixtureSite, spider: Any, first: scrapy.Request | None = None) -> list[Any]:
    """Run a spider's callbacks on in-process responses until no request is left.

    Starts from ``first`` or the spider's start requests; returns the items and
    error records in the order the callbacks yielded them.
    """
    import asyncio

    async def starts() -> list[scrapy.Request]:
        return [r async for r in spider.start()]

    return follow(site, spider, [first] if first is not None else asyncio.run(starts()))


def follow(site: FixtureSite, spider: Any, outputs: Iterable[Any]) -> list[Any]:
    """Items among ``outputs``, plus what their requests lead to, fetched in-process."""
    pending: list[scrapy.Request] = []
    out: list[Any] = []

    def take(results: Iterable[Any]) -> None:
        for result in results or []:
            (pending if isinstance(result, scrapy.Request) else out).append(result)

    take(outputs)
    while pending:
        request = pending.pop(0)
        callback = request.callback or spider.parse
        take(callback(response_for(site, request), **request.cb_kwargs))
    return out


def items(results: Iterable[Any]) -> list[AnnouncementItem]:
    return [r for r in results if isinstance(r, AnnouncementItem)]


def errors(results: Iterable[Any]) -> list[CrawlErrorItem]:
    return [r for r in results if isinstance(r, CrawlErrorItem)]


def assert_item_matches(
    item: AnnouncementItem,
    doc: CorpusDocument,
    *,
    slug: str,
    base: str = BASE,
    whole_body: bool = False,
) -> None:
    """Every field a sector item must carry, against its corpus document."""
    site = offline_site()
    assert item.url == base + site.post_path(doc)
    assert item.title == doc.title
    assert item.first_published_at == doc.first_published_at.isoformat()
    assert item.public_updated_at == doc.public_updated_at.isoformat()
    assert item.organisations[0]["slug"] == slug
    assert first_sentence(doc) in item.body_text
    if whole_body:
        assert corpus_text(doc) in item.body_text
    assert "<" not in item.body_text and item.body_html.lstrip().startswith("<")
    assert [(a["title"], a["filename"]) for a in item.attachments] == [
        (a.title, a.filename) for a in doc.attachments
    ]
    for attachment in item.attachments:
        assert attachment["url"].startswith(base + f"/sites/{slug}/")
    assert item.fetched_at and datetime.fromisoformat(item.fetched_at).tzinfo is not None
    assert item.source_key == f"{slug}-test"


# --------------------------------------------------------------------------- real crawls


@dataclass(frozen=True)
class Stored:
    """A stored document, in the terms the corpus uses."""

    path: str
    title: str
    publisher: str | None
    first_published_at: datetime | None
    public_updated_at: datetime | None
    body_text: str
    attachments: list[dict[str, Any]]


def crawl(
    settings: Settings,
    store: Engine,
    site: FixtureSite,
    *,
    kind: str,
    slug: str,
    **options: Any,
) -> CrawlSummary:
    source = SourceConfig(
        key=f"{slug}-{kind}",
        kind=kind,
        base_url=f"{site.base_url}/sites/{slug}",
        options={"publisher": slug, **options},
    )
    return crawl_source(settings, store, source, requests_per_second=FAST)


def stored(store: Engine, slug: str) -> list[Stored]:
    """Every stored document of a publisher, newest publication first."""
    with session_scope(store) as session:
        rows = queries.list_documents(session, publisher=slug, limit=1000)
        out = []
        for row in rows:
            latest = queries.document_versions(session, document_id=row.id)[-1]
            out.append(
                Stored(
                    path=urlsplit(row.canonical_url).path,
                    title=row.title,
                    publisher=row.publisher,
                    first_published_at=row.first_published_at,
                    public_updated_at=row.public_updated_at,
                    body_text=latest.body_text,
                    attachments=list(latest.meta.get("attachments") or []),
                )
            )
    return out


def assert_store_matches_corpus(store: Engine, slug: str) -> None:
    """The store holds exactly the site's corpus documents, field by field."""
    site = offline_site()
    expected = site_docs(slug)
    got = stored(store, slug)
    assert [s.path for s in got] == [site.post_path(d) for d in expected]
    for doc, row in zip(expected, got, strict=True):
        assert row.title == doc.title
        assert row.publisher == slug
        assert row.first_published_at == doc.first_published_at
        assert row.public_updated_at == doc.public_updated_at
        assert first_sentence(doc) in row.body_text
        assert [a["filename"] for a in row.attachments] == [a.filename for a in doc.attachments]
        for attachment, expected_attachment in zip(row.attachments, doc.attachments, strict=True):
            assert " ".join(expected_attachment.text.split()[:6]) in attachment.get("text", "")
