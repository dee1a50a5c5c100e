"""RSS 2.0 and Atom 1.0 feeds: the cheapest way to notice what a site published.

Most sector bodies run WordPress, whose ``/feed/`` carries each post's full
HTML in ``content:encoded``; Atom feeds may carry it in ``<content>``. When a
feed has only titles and summaries, the spider fetches each article page and
extracts its main text (``spiders.extract``). The feed is parsed with lxml
(no entities resolved, no network), strictly: a truncated or broken feed is
an error record, not half a crawl, and the next run reads the window again.

Callbacks are pure; :func:`parse_feed` turns bytes into :class:`FeedEntry`
values and is tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urljoin

import lxml.html
import scrapy
from lxml import etree
from scrapy.http import Response

from spiders.article_spider import ArticleSpider
from spiders.extract import (
    inner_html,
    merge_attachments,
    newest,
    now_iso,
    older_than,
    organisation,
    parse_since,
    pdf_attachments,
    plain_title,
    to_utc_iso,
)
from spiders.items import AnnouncementItem
from spiders.text import html_to_text

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
NS = {"atom": ATOM, "content": CONTENT, "dc": DC, "dcterms": DCTERMS}
FETCH_ARTICLES = ("auto", "always", "never")
_WP_POST_ID = re.compile(r"[?&]p=(\d+)\b")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class FeedError(ValueError):
    """Bytes that are not a feed we can read; ``reason`` is the error item's reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class FeedEntry:
    """One RSS item or Atom entry, dates as ISO UTC."""

    title: str
    link: str
    guid: str = ""
    published: str | None = None
    #: an explicit update time (Atom ``updated``, ``dcterms:modified``); RSS items have none
    updated: str | None = None
    summary_html: str = ""
    content_html: str = ""
    enclosures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def when(self) -> str | None:
        """The entry's latest known time: what ``since`` is compared with."""
        return newest([self.published, self.updated])

    @property
    def external_id(self) -> str | None:
        """``wp:<post id>`` for a WordPress guid (``…/?p=123``), the id its REST API uses."""
        match = _WP_POST_ID.search(self.guid)
        return f"wp:{match.group(1)}" if match else None


@dataclass
class Feed:
    title: str
    entries: list[FeedEntry]
    #: the next page (RFC 5005 ``rel="next"``), if the feed is paged
    next_url: str | None = None


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]


def _text(element: Any, path: str) -> str:
    found = element.find(path, NS)
    return "".join(found.itertext()).strip() if found is not None else ""


def _atom_html(element: Any | None) -> str:
    """An Atom text construct (``type`` text, html or xhtml) as HTML."""
    if element is None or element.get("src"):
        return ""
    kind = (element.get("type") or "text").lower()
    if kind == "xhtml":
        div = element.find(f"{{{XHTML}}}div")
        container = div if div is not None else element
        markup = (escape(container.text, quote=False) if container.text else "") + "".join(
            etree.tostring(child, encoding="unicode", with_tail=True) for child in container
        )
        if not markup.strip():
            return ""
        # re-read as HTML: the XHTML namespace declarations are of no use in a body
        fragment = lxml.html.fragment_fromstring(markup, create_parent="div")
        for node in fragment.iter():
            if isinstance(node.tag, str):
                node.attrib.pop("xmlns", None)
        return inner_html(fragment).strip()
    text = (element.text or "").strip()
    if kind in ("html", "text/html"):
        return text
    return f"<p>{escape(text, quote=False)}</p>" if text else ""


def _rss_entry(item: Any, base_url: str) -> FeedEntry:
    link = _text(item, "link") or _text(item, "guid")
    enclosures = [
        {"url": urljoin(base_url, e.get("url", "")), "type": e.get("type", "")}
        for e in item.findall("enclosure")
        if e.get("url")
    ]
    return FeedEntry(
        title=plain_title(_text(item, "title")),
        link=urljoin(base_url, link),
        guid=_text(item, "guid"),
        published=to_utc_iso(_text(item, "pubDate") or _text(item, "dc:date")),
        updated=to_utc_iso(_text(item, "dcterms:modified") or _text(item, "atom:updated")),
        summary_html=_text(item, "description"),
        content_html=_text(item, "content:encoded"),
        enclosures=enclosures,
    )


def _atom_link(entry: Any, rel: str) -> str:
    for link in entry.findall("atom:link", NS):
        if (link.get("rel") or "alternate") == rel and link.get("href"):
            return link.get("href")
    return ""


def _atom_entry(entry: Any, base_url: str) -> FeedEntry:
    enclosures = [
        {"url": urljoin(base_url, link.get("href")), "type": link.get("type", "")}
        for link in entry.findall("atom:link", NS)
        if link.get("rel") == "enclosure" and link.get("href")
    ]
    published = _text(entry, "atom:published")
    updated = _text(entry, "atom:updated")
    return FeedEntry(
        title=plain_title(html_to_text(_atom_html(entry.find("atom:title", NS)))),
        link=urljoin(base_url, _atom_link(entry, "alternate")),
        guid=_text(entry, "atom:id"),
        published=to_utc_iso(published or updated),
        updated=to_utc_iso(updated),
        summary_html=_atom_html(entry.find("atom:summary", NS)),
        content_html=_atom_html(entry.find("atom:content", NS)),
        enclosures=enclosures,
    )


def parse_feed(body: bytes, base_url: str) -> Feed:
    """Read an RSS 2.0 or Atom 1.0 document; raises :class:`FeedError`.

    ``not_a_feed``: an HTML page (a moved feed often redirects to the home
    page) or XML of another kind; ``malformed_feed``: XML that does not parse
    (truncated, undeclared entities): we do not guess at what was lost. The
    body decides, not the Content-Type header, which servers often get wrong.
    """
    if not body.strip():
        raise FeedError("malformed_feed", "empty response body")
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise FeedError("not_a_feed", "the response is not XML")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        if _looks_like_html(body):
            raise FeedError("not_a_feed", "the response is an HTML page") from exc
        raise FeedError("malformed_feed", f"XML error: {exc}") from exc
    tag = etree.QName(root)
    if tag.localname == "rss":
        channel = root.find("channel")
        if channel is None:
            raise FeedError("malformed_feed", "RSS without a <channel>")
        next_url = next(
            (
                link.get("href")
                for link in channel.findall("atom:link", NS)
                if link.get("rel") == "next" and link.get("href")
            ),
            None,
        )
        return Feed(
            title=_text(channel, "title"),
            entries=[_rss_entry(item, base_url) for item in channel.findall("item")],
            next_url=urljoin(base_url, next_url) if next_url else None,
        )
    if tag.localname == "feed" and tag.namespace == ATOM:
        next_url = _atom_link(root, "next")
        title = root.find("atom:title", NS)
        return Feed(
            title=html_to_text(_atom_html(title)) if title is not None else "",
            entries=[_atom_entry(entry, base_url) for entry in root.findall("atom:entry", NS)],
            next_url=urljoin(base_url, next_url) if next_url else None,
        )
    raise FeedError("not_a_feed", f"root element is <{tag.localname}>, not <rss> or <feed>")


class FeedSpider(ArticleSpider):
    """Crawl one RSS or Atom feed; fetch article pages when the feed has no full text.

    Options: ``feed_path`` (default ``/feed/``, joined to ``base_url``) or an
    absolute ``feed_url``; ``fetch_articles`` ``auto`` (only for entries
    without full content), ``always`` or ``never`` (then the summary is the
    body, with a warning); ``body_selector`` (CSS or XPath of the body on
    article pages; default: trafilatura finds it); ``document_type``
    (default ``blog_post``); ``publisher_title``; ``since``; ``max_pages`` of
    a paged feed (default 10).
    """

    name = "feed"

    def __init__(
        self,
        source_key: str = "feed",
        base_url: str = "",
        feed_path: str = "/feed/",
        feed_url: str | None = None,
        fetch_articles: str | bool = "auto",
        document_type: str = "blog_post",
        publisher_title: str = "",
        since: str | None = None,
        max_pages: int | str = 10,
        body_selector: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(source_key=source_key, base_url=base_url, **kwargs)
        self.feed_url = feed_url or f"{self.base_url}/{feed_path.lstrip('/')}"
        if isinstance(fetch_articles, bool):
            fetch_articles = "always" if fetch_articles else "never"
        if fetch_articles not in FETCH_ARTICLES:
            raise ValueError(f"fetch_articles must be one of {FETCH_ARTICLES}")
        self.fetch_articles = fetch_articles
        self.document_type = document_type
        self.publisher_title = publisher_title
        self.since = parse_since(since)
        self.max_pages = int(max_pages)
        self.body_selector = body_selector

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.feed_request(self.feed_url, page=1)

    def feed_request(self, url: str, *, page: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_feed,
            errback=self.on_error,
            headers=self.conditional_headers(url),
            cb_kwargs={"page": page},
        )

    def parse_feed(self, response: Response, page: int = 1) -> Iterator[Any]:
        """One feed document: items (or article requests), then the next page if any."""
        if response.status != 200:  # 304 Not Modified: nothing new, and no error
            error = self.http_error(response, "feed_http_error")
            if error is not None:
                yield error
            return
        try:
            feed = parse_feed(response.body, response.url)
        except FeedError as exc:
            yield self.error_item(response.url, exc.reason, exc.detail)
            return
        reached_since = False
        for entry in feed.entries:
            if older_than(entry.when, self.since):
                reached_since = True
                continue
            if not entry.link:
                yield self.error_item(response.url, "feed_entry_without_link", entry.title)
                continue
            yield from self.handle_entry(entry, feed)
        if feed.next_url and not reached_since and page < self.max_pages:
            yield self.feed_request(feed.next_url, page=page + 1)

    def handle_entry(self, entry: FeedEntry, feed: Feed) -> Iterator[Any]:
        """An item from the feed's own content, or a request for the article page."""
        if entry.updated and self.is_unchanged(entry.link, entry.updated):
            return  # only an explicit update time can say "unchanged"; RSS pubDate cannot
        has_content = bool(html_to_text(entry.content_html))
        if self.fetch_articles == "always" or (self.fetch_articles == "auto" and not has_content):
            yield scrapy.Request(
                entry.link,
                callback=self.parse_article,
                errback=self.on_error,
                headers=self.conditional_headers(entry.link),
                cb_kwargs={"entry": entry, "feed_title": feed.title},
            )
            return
        item = self.entry_item(entry, feed_title=feed.title)
        if not item.body_text:
            yield self.error_item(entry.link, "no_main_text", "the feed entry has no text")
            return
        yield from self.with_attachments(item)

    def entry_item(self, entry: FeedEntry, *, feed_title: str) -> AnnouncementItem:
        """An announcement from the feed alone (full content, or the summary as a last resort)."""
        body_html = entry.content_html or entry.summary_html
        warnings = [] if entry.content_html else ["body is the feed summary, not the full text"]
        return AnnouncementItem(
            source_key=self.source_key,
            url=entry.link,
            external_id=entry.external_id,
            title=entry.title,
            description=" ".join(html_to_text(entry.summary_html).split()),
            document_type=self.document_type,
            body_html=body_html,
            body_text=html_to_text(body_html),
            organisations=organisation(self.publisher, self.publisher_title or feed_title),
            first_published_at=entry.published or entry.updated,
            public_updated_at=entry.when,
            attachments=merge_attachments(
                pdf_attachments(body_html, entry.link), self.enclosures(entry)
            ),
            warnings=warnings,
            fetched_at=now_iso(),
        )

    def enclosures(self, entry: FeedEntry) -> list[dict[str, Any]]:
        """PDF enclosures of an entry, as attachments."""
        links = "".join(
            f'<a href="{escape(e["url"])}"></a>'
            for e in entry.enclosures
            if "pdf" in e["type"].lower() or e["url"].lower().endswith(".pdf")
        )
        return pdf_attachments(links, entry.link)

    def parse_article(self, response: Response, entry: FeedEntry, feed_title: str) -> Iterator[Any]:
        """The article page of a feed entry: main text from the page, dates from the feed."""
        result = self.read_article(
            response,
            url=entry.link,
            error_reason="article_http_error",
            listed_published=entry.published,
            publisher_title=self.publisher_title or feed_title,
            external_id=entry.external_id,
        )
        if not isinstance(result, tuple):
            yield from [result] if result is not None else []
            return
        article, item = result
        item.title = entry.title or item.title
        item.description = " ".join(html_to_text(entry.summary_html).split()) or item.description
        item.first_published_at = entry.published or item.first_published_at
        item.public_updated_at = (
            newest([entry.published, entry.updated, article.updated]) or item.first_published_at
        )
        item.attachments = merge_attachments(article.attachments, self.enclosures(entry))
        yield from self.with_attachments(item)
