"""XML sitemaps: every page a site wants found, with when it last changed.

A sitemap (sitemaps.org 0.9) is a ``urlset`` of ``<loc>``/``<lastmod>`` pairs,
or a ``sitemapindex`` of further sitemaps, followed recursively (WordPress
core's ``/wp-sitemap.xml`` is an index of paged post sitemaps). ``allow``
regular expressions keep the article URLs and drop the rest (home, listings,
tag pages). A URL whose ``lastmod`` equals the update we hold, or is older than
``since``, is not fetched; the others are fetched (conditionally) and read
with ``spiders.extract``: main text with trafilatura, dates from the page's
metadata, htmldate as a fallback, ``lastmod`` as the last resort for updates.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import scrapy
from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip

from spiders.article_spider import ArticleSpider
from spiders.extract import (
    newest,
    older_than,
    parse_since,
    to_utc_iso,
)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
#: sitemap indexes may nest; real ones go one level deep, loops must not go on forever
MAX_DEPTH = 5


class SitemapError(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str | None = None


@dataclass
class Sitemap:
    """A parsed sitemap: page entries (a urlset) or child sitemaps (an index)."""

    is_index: bool
    entries: list[SitemapEntry]


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """Read a urlset or sitemapindex (gzipped or not); raises :class:`SitemapError`."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body)
        except OSError as exc:
            raise SitemapError("malformed_sitemap", f"bad gzip: {exc}") from exc
    if not body.strip():
        raise SitemapError("malformed_sitemap", "empty response body")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        if b"<html" in body[:500].lower():
            raise SitemapError("not_a_sitemap", "the response is an HTML page") from exc
        raise SitemapError("malformed_sitemap", f"XML error: {exc}") from exc
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError("not_a_sitemap", f"root element is <{kind}>")
    child = "url" if kind == "urlset" else "sitemap"
    entries = []
    # namespace-agnostic: some generators omit or misspell the sitemaps.org namespace
    for node in root.iterchildren():
        if not isinstance(node.tag, str) or etree.QName(node).localname != child:
            continue
        values = {
            etree.QName(n).localname: (n.text or "").strip()
            for n in node.iterchildren()
            if isinstance(n.tag, str)
        }
        if values.get("loc"):
            entries.append(
                SitemapEntry(
                    loc=urljoin(base_url, values["loc"]), lastmod=to_utc_iso(values.get("lastmod"))
                )
            )
    return Sitemap(is_index=kind == "sitemapindex", entries=entries)


class SitemapSpider(ArticleSpider):
    """Crawl the pages a site's sitemap lists, skipping those that did not change.

    Options: ``sitemap_path`` (default ``/sitemap.xml``) or an absolute
    ``sitemap_url``; ``allow``, regular expressions (a list, or one string) a
    page URL must match one of (default: every URL); ``body_selector`` (CSS or
    XPath of the article body, when trafilatura needs help);
    ``document_type`` (default ``blog_post``); ``publisher_title``; ``since``.
    """

    name = "sitemap"

    def __init__(
        self,
        source_key: str = "sitemap",
        base_url: str = "",
        sitemap_path: str = "/sitemap.xml",
        sitemap_url: str | None = None,
        allow: str | list[str] | None = None,
        body_selector: str | None = None,
        document_type: str = "blog_post",
        publisher_title: str = "",
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(source_key=source_key, base_url=base_url, **kwargs)
        self.sitemap_url = sitemap_url or f"{self.base_url}/{sitemap_path.lstrip('/')}"
        patterns = [allow] if isinstance(allow, str) else list(allow or [])
        self.allow = [re.compile(p) for p in patterns if p]
        self.body_selector = body_selector
        self.document_type = document_type
        self.publisher_title = publisher_title
        self.since = parse_since(since)
        self._seen_sitemaps: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.sitemap_request(self.sitemap_url, depth=0)

    def sitemap_request(self, url: str, *, depth: int) -> scrapy.Request:
        self._seen_sitemaps.add(url)
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.on_error,
            headers=self.conditional_headers(url),
            cb_kwargs={"depth": depth},
        )

    def allowed(self, url: str) -> bool:
        return not self.allow or any(p.search(url) for p in self.allow)

    def parse_sitemap(self, response: Response, depth: int = 0) -> Iterator[Any]:
        """A urlset (page requests) or an index (sitemap requests, to a bounded depth)."""
        if response.status != 200:  # 304 Not Modified: nothing new, and no error
            error = self.http_error(response, "sitemap_http_error")
            if error is not None:
                yield error
            return
        try:
            sitemap = parse_sitemap(response.body, response.url)
        except SitemapError as exc:
            yield self.error_item(response.url, exc.reason, exc.detail)
            return
        if sitemap.is_index:
            for entry in sitemap.entries:
                if entry.loc in self._seen_sitemaps:
                    continue
                if depth + 1 > MAX_DEPTH:
                    yield self.error_item(entry.loc, "sitemap_too_deep", f"depth {depth + 1}")
                    continue
                if older_than(entry.lastmod, self.since):
                    continue  # nothing in it changed since then
                yield self.sitemap_request(entry.loc, depth=depth + 1)
            return
        for entry in sitemap.entries:
            if not self.allowed(entry.loc) or older_than(entry.lastmod, self.since):
                continue
            if self.is_unchanged(entry.loc, entry.lastmod):
                continue
            yield scrapy.Request(
                entry.loc,
                callback=self.parse_page,
                errback=self.on_error,
                headers=self.conditional_headers(entry.loc),
                cb_kwargs={"loc": entry.loc, "lastmod": entry.lastmod},
            )

    def parse_page(
        self, response: Response, loc: str | None = None, lastmod: str | None = None
    ) -> Iterator[Any]:
        """One page: an announcement (under its sitemap URL), or an error record saying why not."""
        result = self.read_article(
            response, url=loc or response.url, error_reason="page_http_error"
        )
        if not isinstance(result, tuple):
            yield from [result] if result is not None else []
            return
        article, item = result
        # the sitemap's lastmod is what the next run compares with: keep the two equal
        if lastmod and not article.updated:
            item.public_updated_at = lastmod
        elif lastmod:
            item.public_updated_at = newest([article.updated, lastmod])
        yield from self.with_attachments(item)
