"""What the sector spiders share: turning one fetched article page into an item.

Feed, sitemap and HTML-listing spiders all end the same way: a page is
fetched, its charset checked, its main text and dates extracted, and an
announcement built. :meth:`ArticleSpider.read_article` does that once; each
spider then only adds what its own listing knew (feed dates, a listing's
time, a sitemap's lastmod).
"""

from __future__ import annotations

from scrapy.http import Response

from spiders.base import PolicyWatchSpider, response_charset, validators
from spiders.extract import Article, ExtractionError, article_item, extract_article
from spiders.items import AnnouncementItem, CrawlErrorItem
from spiders.text import decode_bytes


class ArticleSpider(PolicyWatchSpider):
    """Base for spiders that read article pages; subclasses set the attributes below."""

    body_selector: str | None = None
    document_type: str = "blog_post"
    publisher_title: str = ""

    def read_article(
        self,
        response: Response,
        *,
        url: str,
        error_reason: str,
        listed_published: str | None = None,
        publisher_title: str | None = None,
        external_id: str | None = None,
    ) -> tuple[Article, AnnouncementItem] | CrawlErrorItem | None:
        """The article and its item, an error record, or None for a 304 (nothing new)."""
        if response.status != 200:
            return self.http_error(response, error_reason)
        html, warning = decode_bytes(response.body, response_charset(response))
        try:
            article = extract_article(
                html,
                response.url,
                body_selector=self.body_selector,
                listed_published=listed_published,
            )
        except ExtractionError as exc:
            return self.error_item(response.url, exc.reason, exc.detail)
        title = self.publisher_title if publisher_title is None else publisher_title
        item = article_item(
            article,
            source_key=self.source_key,
            url=url,
            publisher=self.publisher,
            publisher_title=title,
            document_type=self.document_type,
            http=validators(response),
            external_id=external_id,
        )
        if warning:
            item.warnings.append(warning)
        return article, item
