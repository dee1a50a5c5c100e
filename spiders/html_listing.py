"""Plain HTML sites: walk a news listing, then read each article page.

Many sector bodies have no feed, API or sitemap, only a paginated "News"
page. The spider reads each listing page with CSS (or XPath) selectors: the
items, each item's link and ``<time datetime>`` values (the newest one is
the item's last change, so an "Updated" time beside the date counts), and
the ``rel="next"`` link. Listings are newest first, so paging stops at the
first item older than ``since``. An item whose listing time equals the
update we hold is not fetched; the others are fetched (conditionally) and
read with ``spiders.extract``, the listing's title, summary and dates filling
anything the page lacks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import lxml.html
import scrapy
from lxml import etree
from scrapy.http import Response

from spiders.article_spider import ArticleSpider
from spiders.base import response_charset
from spiders.extract import (
    looks_truncated,
    newest,
    older_than,
    parse_since,
    select,
    select_first,
    time_elements,
    to_utc_iso,
)
from spiders.text import decode_bytes

DEFAULT_ITEM_SELECTOR = ".news-item, .views-row, article.post"
DEFAULT_LINK_SELECTOR = "h2 a[href], h3 a[href], a[href]"
DEFAULT_SUMMARY_SELECTOR = ".summary, p"
DEFAULT_NEXT_SELECTOR = 'a[rel~="next"], link[rel~="next"]'


@dataclass(frozen=True)
class ListedArticle:
    """One item of a listing page, as the listing shows it."""

    url: str
    title: str
    published: str | None = None
    updated: str | None = None
    summary: str = ""

    @property
    def when(self) -> str | None:
        """The item's last change as the listing shows it."""
        return newest([self.published, self.updated])


@dataclass(frozen=True)
class Selectors:
    items: str = DEFAULT_ITEM_SELECTOR
    link: str = DEFAULT_LINK_SELECTOR
    summary: str = DEFAULT_SUMMARY_SELECTOR
    next: str = DEFAULT_NEXT_SELECTOR


def _text(node: Any) -> str:
    """An element's text on one line (an XPath may also select a string)."""
    raw = node.text_content() if isinstance(node, lxml.html.HtmlElement) else str(node)
    return " ".join(raw.split())


def _href(node: Any) -> str:
    """A link's target: the element's ``href``, or the string an XPath selected."""
    raw = node.get("href") if isinstance(node, lxml.html.HtmlElement) else str(node)
    return (raw or "").strip()


def parse_listing(
    html: str, url: str, selectors: Selectors = Selectors()
) -> tuple[list[ListedArticle], str | None]:
    """The articles a listing page shows and its next page's URL (pure)."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return [], None
    listed = []
    for node in select(tree, selectors.items):
        link = select_first(node, selectors.link)
        href = _href(link) if link is not None else ""
        if not href:
            continue
        published, updated = time_elements(node)
        summary = select_first(node, selectors.summary)
        listed.append(
            ListedArticle(
                url=urljoin(url, href),
                title=_text(link) if isinstance(link, lxml.html.HtmlElement) else "",
                published=to_utc_iso(published),
                updated=to_utc_iso(updated),
                summary=_text(summary) if summary is not None else "",
            )
        )
    next_link = select_first(tree, selectors.next)
    next_href = _href(next_link) if next_link is not None else ""
    return listed, urljoin(url, next_href) if next_href else None


class HtmlListingSpider(ArticleSpider):
    """Crawl a site's news listing and the articles it links to.

    Options: ``listing_path`` (default ``/news/``) or an absolute
    ``listing_url``; selectors, CSS or XPath (starting with ``/``):
    ``item_selector`` (default ``.news-item, .views-row, article.post``),
    ``link_selector`` (first match in an item; default ``h2 a[href], h3
    a[href], a[href]``), ``summary_selector`` (default ``.summary, p``),
    ``next_selector`` (default ``a[rel~="next"], link[rel~="next"]``),
    ``body_selector`` (the article body on article pages; default: let
    trafilatura find it); ``max_pages`` (default 50); ``document_type``
    (default ``blog_post``); ``publisher_title``; ``since``.
    """

    name = "html_listing"

    def __init__(
        self,
        source_key: str = "html_listing",
        base_url: str = "",
        listing_path: str = "/news/",
        listing_url: str | None = None,
        item_selector: str = DEFAULT_ITEM_SELECTOR,
        link_selector: str = DEFAULT_LINK_SELECTOR,
        summary_selector: str = DEFAULT_SUMMARY_SELECTOR,
        next_selector: str = DEFAULT_NEXT_SELECTOR,
        body_selector: str | None = None,
        max_pages: int | str = 50,
        document_type: str = "blog_post",
        publisher_title: str = "",
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(source_key=source_key, base_url=base_url, **kwargs)
        self.listing_url = listing_url or f"{self.base_url}/{listing_path.lstrip('/')}"
        self.selectors = Selectors(
            items=item_selector, link=link_selector, summary=summary_selector, next=next_selector
        )
        self.body_selector = body_selector
        self.max_pages = int(max_pages)
        self.document_type = document_type
        self.publisher_title = publisher_title
        self.since = parse_since(since)
        self._seen_listings: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.listing_request(self.listing_url, page=1)

    def listing_request(self, url: str, *, page: int) -> scrapy.Request:
        self._seen_listings.add(url)
        return scrapy.Request(
            url, callback=self.parse_listing, errback=self.on_error, cb_kwargs={"page": page}
        )

    def parse_listing(self, response: Response, page: int = 1) -> Iterator[Any]:
        """One listing page: article requests, then the next page unless ``since`` was passed."""
        if response.status != 200:
            error = self.http_error(response, "listing_http_error")
            if error is not None:
                yield error
            return
        html, _warning = decode_bytes(response.body, response_charset(response))
        listed, next_url = parse_listing(html, response.url, self.selectors)
        if looks_truncated(html):
            # the items read so far are whole; the rest of the page (and its next link) is lost
            yield self.error_item(response.url, "truncated_page", "the listing page is cut off")
            next_url = None
        elif not listed and page == 1:
            yield self.error_item(
                response.url, "no_listing_items", f"nothing matches {self.selectors.items!r}"
            )
            return
        reached_since = False
        for article in listed:
            if older_than(article.when, self.since):
                reached_since = True
                continue
            if self.is_unchanged(article.url, article.when):
                continue
            yield scrapy.Request(
                article.url,
                callback=self.parse_article,
                errback=self.on_error,
                headers=self.conditional_headers(article.url),
                cb_kwargs={"listed": article},
            )
        if (
            next_url
            and not reached_since
            and page < self.max_pages
            and next_url not in self._seen_listings
        ):
            yield self.listing_request(next_url, page=page + 1)

    def parse_article(self, response: Response, listed: ListedArticle) -> Iterator[Any]:
        """One article page: an announcement, or an error record saying why not."""
        result = self.read_article(
            response,
            url=listed.url,
            error_reason="article_http_error",
            listed_published=listed.published,
        )
        if not isinstance(result, tuple):
            yield from [result] if result is not None else []
            return
        article, item = result
        item.title = item.title or listed.title
        item.description = item.description or listed.summary
        item.first_published_at = article.published or listed.published
        # the listing's time is what the next run compares with: keep the two equal
        item.public_updated_at = newest([article.updated, listed.when]) or item.first_published_at
        yield from self.with_attachments(item)
