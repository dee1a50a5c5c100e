"""WordPress sites through the REST API (``/wp-json/wp/v2/posts``).

The API gives each post's full HTML, its publication and modification times
in UTC (``date_gmt``, ``modified_gmt``), its permalink and its numeric id, so
no article page is fetched at all. Posts are asked for most recently modified
first, 100 a page, following ``X-WP-TotalPages``. Incremental runs pass
``modified_after`` (WordPress 5.7+), so a post edited long after publication
is still seen; ``since_param = "after"`` falls back to publication dates for
older sites. A post whose ``modified_gmt`` equals the update we hold is
skipped. WordPress answers a page past the end with HTTP 400
``rest_post_invalid_page_number``, which simply ends the paging.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base import PolicyWatchSpider, response_charset
from spiders.extract import (
    clean_excerpt,
    now_iso,
    organisation,
    parse_since,
    pdf_attachments,
    plain_title,
    to_utc_iso,
)
from spiders.items import AnnouncementItem, CrawlErrorItem
from spiders.text import html_to_text, load_json

#: only what we map, so a page of 100 posts stays small
FIELDS = "id,date,date_gmt,modified_gmt,link,title,excerpt,content"
SINCE_PARAMS = ("modified_after", "after")


def post_to_announcement(
    post: dict[str, Any],
    *,
    source_key: str,
    publisher: str,
    publisher_title: str = "",
    document_type: str = "blog_post",
    fetched_at: str | None = None,
) -> AnnouncementItem:
    """Map one wp/v2 post object to an announcement (pure; tested directly)."""
    content = post.get("content") or {}
    body_html = (content.get("rendered") or "").strip()
    link = post.get("link") or ""
    warnings = []
    published = to_utc_iso(_gmt(post.get("date_gmt")))
    if published is None and post.get("date"):
        published = to_utc_iso(post.get("date"))
        warnings.append("no date_gmt: the site's local time was read as UTC")
    updated = to_utc_iso(_gmt(post.get("modified_gmt"))) or published
    return AnnouncementItem(
        source_key=source_key,
        url=link,
        external_id=f"wp:{post['id']}" if post.get("id") is not None else None,
        title=plain_title((post.get("title") or {}).get("rendered") or ""),
        description=clean_excerpt((post.get("excerpt") or {}).get("rendered") or ""),
        document_type=document_type,
        body_html=body_html,
        body_text=html_to_text(body_html),
        organisations=organisation(publisher, publisher_title),
        first_published_at=published,
        public_updated_at=updated,
        attachments=pdf_attachments(body_html, link),
        warnings=warnings,
        fetched_at=fetched_at or now_iso(),
    )


def _gmt(value: Any) -> str | None:
    """WordPress writes ``0000-00-00T00:00:00`` for a GMT time it never set."""
    if not value or str(value).startswith("0000"):
        return None
    return str(value)


class WordpressSpider(PolicyWatchSpider):
    """Crawl one WordPress site's posts through its REST API.

    Options: ``api_path`` (default ``/wp-json/wp/v2/posts``), ``per_page``
    (default 100, WordPress's maximum), ``since_param`` (``modified_after``,
    the default, or ``after``), ``document_type`` (default ``blog_post``),
    ``publisher_title``, ``since``, ``max_pages`` (default 100).
    """

    name = "wordpress"

    def __init__(
        self,
        source_key: str = "wordpress",
        base_url: str = "",
        api_path: str = "/wp-json/wp/v2/posts",
        per_page: int | str = 100,
        since_param: str = "modified_after",
        document_type: str = "blog_post",
        publisher_title: str = "",
        since: str | None = None,
        max_pages: int | str = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(source_key=source_key, base_url=base_url, **kwargs)
        if since_param not in SINCE_PARAMS:
            raise ValueError(f"since_param must be one of {SINCE_PARAMS}")
        self.api_url = f"{self.base_url}/{api_path.strip('/')}"
        self.per_page = int(per_page)
        self.since_param = since_param
        self.document_type = document_type
        self.publisher_title = publisher_title
        self.since = parse_since(since)
        self.max_pages = int(max_pages)

    def page_url(self, page: int) -> str:
        params = [
            ("per_page", str(self.per_page)),
            ("page", str(page)),
            ("orderby", "modified"),
            ("order", "desc"),
            ("_fields", FIELDS),
        ]
        if self.since is not None:
            # a naive time is the site's own time zone; `since` already has a day of overlap
            params.append((self.since_param, self.since.strftime("%Y-%m-%dT%H:%M:%S")))
        return f"{self.api_url}?{urlencode(params)}"

    def page_request(self, page: int) -> scrapy.Request:
        return scrapy.Request(
            self.page_url(page),
            callback=self.parse_posts,
            errback=self.on_error,
            cb_kwargs={"page": page},
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.page_request(1)

    def parse_posts(self, response: Response, page: int = 1) -> Iterator[Any]:
        """One page of posts: an item per changed post, then the next page."""
        try:
            data, warning = load_json(response.body, response_charset(response))
        except ValueError as exc:
            if response.status != 200:
                yield self.error_item(
                    response.url, "wp_api_error", f"HTTP {response.status}", response.status
                )
            else:
                yield self.error_item(response.url, "malformed_wp_response", str(exc))
            return
        if response.status != 200:
            error = self.api_error(response, data)
            if error is not None:
                yield error
            return
        if not isinstance(data, list):
            yield self.error_item(response.url, "malformed_wp_response", "expected a list of posts")
            return
        for post in data:
            if not isinstance(post, dict) or not post.get("link"):
                yield self.error_item(response.url, "malformed_wp_response", "post without link")
                continue
            yield from self.handle_post(post, warning)
        total_pages = _int_header(response, b"X-WP-TotalPages")
        if data and page < min(total_pages or page + 1, self.max_pages):
            yield self.page_request(page + 1)

    def handle_post(self, post: dict[str, Any], warning: str | None) -> Iterator[Any]:
        if self.is_unchanged(post["link"], to_utc_iso(_gmt(post.get("modified_gmt")))):
            return
        if (post.get("content") or {}).get("protected"):
            yield self.error_item(post["link"], "protected_post", "the post needs a password")
            return
        item = post_to_announcement(
            post,
            source_key=self.source_key,
            publisher=self.publisher,
            publisher_title=self.publisher_title,
            document_type=self.document_type,
        )
        if not item.body_text:
            yield self.error_item(post["link"], "no_main_text", "the post's content is empty")
            return
        if warning:
            item.warnings.append(warning)
        yield from self.with_attachments(item)

    def api_error(self, response: Response, data: Any) -> CrawlErrorItem | None:
        """WordPress's JSON error; asking for a page past the end only ends the paging."""
        code = data.get("code", "") if isinstance(data, dict) else ""
        if response.status == 400 and code == "rest_post_invalid_page_number":
            self.crawler.stats.inc_value("policywatch/wp_past_last_page")
            return None
        message = data.get("message", "") if isinstance(data, dict) else ""
        detail = f"HTTP {response.status} {code}: {message}".strip(": ")
        return self.error_item(response.url, "wp_api_error", detail, response.status)


def _int_header(response: Response, name: bytes) -> int | None:
    raw = response.headers.get(name)
    try:
        return int(raw) if raw else None
    except ValueError:
        return None
