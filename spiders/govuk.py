"""GOV.UK: discover with the Search API, read each hit from the Content API.

The Search API finds what is new (filtered by organisation, document type or
supergroup, newest first, ``filter_public_timestamp=from:`` for incremental
runs, paged with ``start``/``count``); the Content API gives the full item
with body, change history, organisations and taxons. Callbacks are pure:
response in, requests and items out. The conversion of a content item into an
:class:`AnnouncementItem` is a plain function so it can be tested without
Scrapy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base import PolicyWatchSpider, option_list, response_charset, validators
from spiders.items import AnnouncementItem
from spiders.text import html_to_text, load_json

SEARCH_FIELDS = [
    "title",
    "link",
    "description",
    "public_timestamp",
    "content_store_document_type",
    "content_id",
]


def search_url(
    base_url: str,
    *,
    organisations: list[str],
    document_types: list[str],
    supergroups: list[str],
    since: date | None,
    start: int,
    count: int,
    taxons: list[str] | None = None,
) -> str:
    """A Search API URL, always ordered newest first so paging is stable.

    ``taxons`` are taxon content_ids; GOV.UK's ``part_of_taxonomy_tree`` also
    matches everything tagged to their descendants.
    """
    params: list[tuple[str, str]] = [("filter_organisations", o) for o in organisations]
    params += [("filter_content_store_document_type", t) for t in document_types]
    params += [("filter_content_purpose_supergroup", g) for g in supergroups]
    params += [("filter_part_of_taxonomy_tree", t) for t in taxons or []]
    if since is not None:
        params.append(("filter_public_timestamp", f"from:{since.isoformat()}"))
    params += [
        ("order", "-public_timestamp"),
        ("count", str(count)),
        ("start", str(start)),
        ("fields", ",".join(SEARCH_FIELDS)),
    ]
    return f"{base_url.rstrip('/')}/api/search.json?{urlencode(params)}"


def _organisation(link: dict[str, Any]) -> dict[str, Any]:
    base_path = link.get("base_path") or ""
    slug = base_path.rsplit("/", 1)[-1] if base_path else link.get("slug", "")
    return {
        "slug": slug,
        "title": link.get("title", slug),
        "acronym": (link.get("details") or {}).get("acronym") or link.get("acronym"),
        "content_id": link.get("content_id"),
    }


def _taxon(link: dict[str, Any]) -> dict[str, Any]:
    """A taxon with the chain of its ancestors (GOV.UK nests them as parent_taxons)."""
    ancestors: list[str] = []
    parents = (link.get("links") or {}).get("parent_taxons") or []
    while parents:
        parent = parents[0]
        ancestors.append(parent.get("base_path", ""))
        parents = (parent.get("links") or {}).get("parent_taxons") or []
    return {
        "content_id": link.get("content_id"),
        "base_path": link.get("base_path"),
        "title": link.get("title"),
        "ancestors": ancestors,
    }


def content_item_to_announcement(
    data: dict[str, Any], *, source_key: str, web_base_url: str, api_url: str, fetched_at: str
) -> AnnouncementItem:
    """Map a GOV.UK content item to an announcement (pure; tested directly)."""
    details = data.get("details") or {}
    links = data.get("links") or {}
    organisations = [
        _organisation(o)
        for o in (links.get("primary_publishing_organisation") or [])
        + (links.get("organisations") or [])
    ]
    unique_orgs = list({o["slug"]: o for o in reversed(organisations) if o["slug"]}.values())[::-1]
    body_html = details.get("body") or ""
    if isinstance(body_html, list):  # multi-part bodies: [{content_type, content}]
        body_html = next((p.get("content", "") for p in body_html if "html" in str(p)), "")
    government = details.get("government") or {}
    withdrawn = data.get("withdrawn_notice") or {}
    base_path = data.get("base_path") or ""
    return AnnouncementItem(
        source_key=source_key,
        url=f"{web_base_url.rstrip('/')}{base_path}",
        api_url=api_url,
        external_id=data.get("content_id"),
        title=(data.get("title") or "").strip(),
        description=(data.get("description") or "").strip(),
        document_type=data.get("document_type") or "",
        body_html=body_html,
        body_text=html_to_text(body_html),
        organisations=unique_orgs,
        first_published_at=data.get("first_published_at"),
        public_updated_at=data.get("public_updated_at"),
        change_history=list(details.get("change_history") or []),
        taxons=[_taxon(t) for t in links.get("taxons") or []],
        attachments=[
            {k: a.get(k) for k in ("title", "url", "filename", "content_type", "file_size")}
            for a in details.get("attachments") or []
        ],
        government=government.get("title"),
        political=details.get("political"),
        withdrawn_at=withdrawn.get("withdrawn_at"),
        withdrawn_explanation=withdrawn.get("explanation"),
        fetched_at=fetched_at,
    )


class GovukSearchSpider(PolicyWatchSpider):
    """Crawl one GOV.UK source: a Search API filter plus a Content API fetch per hit."""

    name = "govuk_search"

    def __init__(
        self,
        source_key: str = "govuk",
        base_url: str = "https://www.gov.uk",
        organisations: str | list[str] = "",
        document_types: str | list[str] = "",
        content_purpose_supergroups: str | list[str] = "",
        taxonomy_tree: str | list[str] = "",
        taxonomy_base_paths: str | list[str] = "",
        since: str | None = None,
        page_size: int | str = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(source_key=source_key, base_url=base_url, **kwargs)
        self.organisations = option_list(organisations)
        self.document_types = option_list(document_types)
        self.supergroups = option_list(content_purpose_supergroups)
        self.taxons = option_list(taxonomy_tree)
        #: taxon base paths (readable in sources.toml) resolved to content_ids at start
        self.taxon_paths = option_list(taxonomy_base_paths)
        self.since = date.fromisoformat(since[:10]) if since else None
        self.page_size = int(page_size)

    def search_page(self, start: int, taxons: list[str] | None = None) -> str:
        return search_url(
            self.base_url,
            organisations=self.organisations,
            document_types=self.document_types,
            supergroups=self.supergroups,
            taxons=self.taxons + (taxons or []),
            since=self.since,
            start=start,
            count=self.page_size,
        )

    def first_search(self, taxons: list[str]) -> scrapy.Request:
        return scrapy.Request(
            self.search_page(0, taxons),
            callback=self.parse_search,
            errback=self.on_error,
            cb_kwargs={"start": 0, "taxons": taxons},
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.taxon_paths:
            yield self.taxon_request(self.taxon_paths, [])
        else:
            yield self.first_search([])

    def taxon_request(self, pending: list[str], resolved: list[str]) -> scrapy.Request:
        return scrapy.Request(
            f"{self.base_url}/api/content{pending[0]}",
            callback=self.parse_taxon,
            errback=self.on_error,
            cb_kwargs={"pending": pending, "resolved": resolved},
        )

    def parse_taxon(
        self, response: Response, pending: list[str], resolved: list[str]
    ) -> Iterator[Any]:
        """Resolve one taxon base path to its content_id, then the next, then search.

        A taxon that cannot be resolved is an error, and the search does not run:
        searching without the filter would crawl a whole department's output.
        """
        error = self.http_error(response, "taxon_http_error")
        content_id = None
        if error is None:
            try:
                content_id = (load_json(response.body, response_charset(response))[0] or {}).get(
                    "content_id"
                )
            except (ValueError, AttributeError):
                content_id = None
        if not content_id:
            yield error or self.error_item(response.url, "taxon_not_found", pending[0])
            return
        resolved = [*resolved, content_id]
        if pending[1:]:
            yield self.taxon_request(pending[1:], resolved)
        else:
            yield self.first_search(resolved)

    def parse_search(
        self, response: Response, start: int, taxons: list[str] | None = None
    ) -> Iterator[Any]:
        """One page of search results: a content request per hit, then the next page."""
        error = self.http_error(response, "search_http_error")
        if error is not None:
            yield error
            return
        try:
            data, _warning = load_json(response.body, response_charset(response))
        except ValueError as exc:
            yield self.error_item(response.url, "malformed_search_response", str(exc))
            return
        results = data.get("results") or []
        for result in results:
            link = result.get("link") or ""
            if not link.startswith("/"):
                continue  # external links point off GOV.UK; nothing to fetch from the Content API
            if self.is_unchanged(f"{self.base_url}{link}", result.get("public_timestamp")):
                continue  # the search hit shows the same update we already hold
            url = f"{self.base_url}/api/content{link}"
            yield scrapy.Request(
                url,
                callback=self.parse_content,
                errback=self.on_error,
                headers=self.conditional_headers(f"{self.base_url}{link}"),
            )
        total = int(data.get("total") or 0)
        next_start = start + len(results)
        if results and next_start < total:
            yield scrapy.Request(
                self.search_page(next_start, taxons),
                callback=self.parse_search,
                errback=self.on_error,
                cb_kwargs={"start": next_start, "taxons": taxons},
            )

    def parse_content(self, response: Response) -> Iterator[Any]:
        """One content item: an announcement, or an error record saying why not."""
        if response.status == 304:
            return  # not modified since the version we hold
        error = self.http_error(response, "content_http_error")
        if error is not None:
            yield error
            return
        try:
            data, warning = load_json(response.body, response_charset(response))
        except ValueError as exc:
            yield self.error_item(response.url, "malformed_content_item", str(exc))
            return
        if not isinstance(data, dict) or not data.get("base_path"):
            yield self.error_item(
                response.url, "malformed_content_item", "no base_path in content item"
            )
            return
        item = content_item_to_announcement(
            data,
            source_key=self.source_key,
            web_base_url=self.base_url,
            api_url=response.url,
            fetched_at=datetime.now(UTC).isoformat(),
        )
        if warning:
            item.warnings.append(warning)
        item.http = validators(response)
        yield from self.with_attachments(item)
