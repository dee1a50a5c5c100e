"""UK Parliament: written ministerial statements from the Written Statements API.

``/api/writtenstatements/statements`` on questions-statements-api.parliament.uk
lists the statements made for the answering bodies (government departments)
we follow, newest first, from ``madeWhenFrom`` (the incremental ``since``),
paged with ``skip``/``take`` until ``totalResults``. Each listed statement
carries its member, role, department, UIN and date, but its ``text`` is cut to
a preview ending in "..." (as Parliament's own clients note), so a statement
whose preview is cut is read in full from ``/api/writtenstatements/statements/{id}``;
one that is not cut is complete and needs no second request.

A statement never changes once made (a correction is a new statement), so a
statement we already hold, by its human URL and date, is skipped without the
second request. Callbacks are pure; the conversion of a statement into an
:class:`AnnouncementItem` is a plain function, tested without Scrapy.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base import PolicyWatchSpider, option_list, response_charset, validators
from spiders.items import AnnouncementItem
from spiders.text import html_to_text, load_json

API_BASE_URL = "https://questions-statements-api.parliament.uk"
WEB_BASE_URL = "https://questions-statements.parliament.uk"
STATEMENTS_PATH = "/api/writtenstatements/statements"
#: in ``web_base_url``, ``{site}`` stands for the spider's ``base_url`` (the fixture site)
SITE_PLACEHOLDER = "{site}"

#: Parliament's answering body id -> the GOV.UK organisation slug PolicyWatch stores
ANSWERING_BODY_SLUGS: dict[int, str] = {
    60: "department-for-education",
    1: "home-office",
    17: "department-of-health-and-social-care",
    7: "ministry-of-housing-communities-and-local-government",
    211: "department-for-levelling-up-housing-and-communities",
    14: "hm-treasury",
    54: "ministry-of-justice",
    23: "prime-ministers-office-10-downing-street",
}


def body_slug(body_id: Any, name: str | None) -> str:
    """The organisation slug for an answering body; unknown ids use the body's name."""
    if isinstance(body_id, int) and body_id in ANSWERING_BODY_SLUGS:
        return ANSWERING_BODY_SLUGS[body_id]
    return re.sub(r"[^a-z0-9]+", "-", (name or "").lower()).strip("-")


def statements_url(
    base_url: str,
    *,
    answering_bodies: list[int],
    since: date | None,
    skip: int,
    take: int,
    house: str | None = None,
) -> str:
    """A list URL; ``answeringBodies`` repeats, as ASP.NET binds a list."""
    params: list[tuple[str, str]] = []
    if since is not None:
        params.append(("madeWhenFrom", since.isoformat()))
    params += [("answeringBodies", str(b)) for b in answering_bodies]
    if house:
        params.append(("house", house))
    params += [("skip", str(skip)), ("take", str(take)), ("expandMember", "true")]
    return f"{base_url.rstrip('/')}{STATEMENTS_PATH}?{urlencode(params)}"


def statement_api_url(base_url: str, statement_id: Any) -> str:
    return f"{base_url.rstrip('/')}{STATEMENTS_PATH}/{statement_id}?expandMember=true"


def statement_web_url(web_base_url: str, value: dict[str, Any]) -> str:
    """The page a person reads: ``/written-statements/detail/{yyyy-mm-dd}/{uin}``."""
    made = str(value.get("dateMade") or "")[:10]
    return f"{web_base_url.rstrip('/')}/written-statements/detail/{made}/{value.get('uin')}"


def made_at(value: dict[str, Any]) -> str | None:
    """``dateMade`` (a date at midnight, no zone) as an ISO UTC timestamp."""
    raw = value.get("dateMade")
    if not raw or not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def is_preview(text: Any) -> bool:
    """Whether a listed text is the cut preview rather than the whole statement."""
    plain = html_to_text(text) if isinstance(text, str) else ""
    return not plain or plain.rstrip().endswith(("...", "\u2026"))


def statement_to_announcement(
    value: dict[str, Any], *, source_key: str, web_base_url: str, api_url: str, fetched_at: str
) -> AnnouncementItem:
    """Map one statement (the API's ``value``) to an announcement (pure; tested directly)."""
    body_html = value.get("text") or ""
    member = value.get("member") or {}
    made = made_at(value)
    body_name = value.get("answeringBodyName")
    organisation = {
        "slug": body_slug(value.get("answeringBodyId"), body_name),
        "title": body_name or "",
    }
    return AnnouncementItem(
        source_key=source_key,
        url=statement_web_url(web_base_url, value),
        api_url=api_url,
        external_id=f"wms:{value.get('id')}",
        title=(value.get("title") or "").strip(),
        document_type="written_statement",
        body_html=body_html,
        body_text=html_to_text(body_html),
        organisations=[organisation] if organisation["slug"] else [],
        first_published_at=made,
        public_updated_at=made,
        people=[
            {
                "name": member.get("name"),
                "role": value.get("memberRole"),
                "member_id": value.get("memberId"),
            }
        ],
        fetched_at=fetched_at,
    )


class ParliamentStatementsSpider(PolicyWatchSpider):
    """Crawl the written statements made for a set of answering bodies."""

    name = "parliament_statements"

    def __init__(
        self,
        source_key: str = "parliament",
        base_url: str = API_BASE_URL,
        answering_bodies: str | list[int | str] = "",
        since: str | None = None,
        page_size: int | str = 20,
        house: str = "",
        web_base_url: str = WEB_BASE_URL,
        **kwargs: Any,
    ) -> None:
        super().__init__(source_key=source_key, base_url=base_url or API_BASE_URL, **kwargs)
        self.answering_bodies = [int(b) for b in option_list(answering_bodies)]
        self.since = date.fromisoformat(since[:10]) if since else None
        self.page_size = int(page_size)
        self.house = house or None
        self.web_base_url = web_base_url.replace(SITE_PLACEHOLDER, self.base_url).rstrip("/")

    def list_page(self, skip: int) -> str:
        return statements_url(
            self.base_url,
            answering_bodies=self.answering_bodies,
            since=self.since,
            skip=skip,
            take=self.page_size,
            house=self.house,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self._list_request(0)

    def _list_request(self, skip: int) -> scrapy.Request:
        return scrapy.Request(
            self.list_page(skip),
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"skip": skip},
        )

    def parse_list(self, response: Response, skip: int) -> Iterator[Any]:
        """One page: an item (or a full-text request) per new statement, then the next page."""
        error = self.http_error(response, "statements_http_error")
        if error is not None:
            yield error
            return
        try:
            data, warning = load_json(response.body, response_charset(response))
        except ValueError as exc:
            yield self.error_item(response.url, "malformed_statements_response", str(exc))
            return
        if not isinstance(data, dict):
            yield self.error_item(response.url, "malformed_statements_response", "not an object")
            return
        results = data.get("results") or []
        for result in results:
            value = result.get("value") if isinstance(result, dict) else None
            if not isinstance(value, dict) or not all(
                value.get(k) for k in ("id", "uin", "dateMade")
            ):
                yield self.error_item(
                    response.url, "malformed_statement", "listed statement without id/uin/date"
                )
                continue
            if self.is_unchanged(statement_web_url(self.web_base_url, value), made_at(value)):
                continue  # statements are never edited: one we hold is the one listed
            if is_preview(value.get("text")):
                yield scrapy.Request(
                    statement_api_url(self.base_url, value["id"]),
                    callback=self.parse_statement,
                    errback=self.on_error,
                    cb_kwargs={"listed": value},
                )
            else:
                yield self._item(value, warning)  # a short statement is listed whole
        next_skip = skip + len(results)
        if results and next_skip < int(data.get("totalResults") or 0):
            yield self._list_request(next_skip)

    def parse_statement(self, response: Response, listed: dict[str, Any]) -> Iterator[Any]:
        """One statement with its full text: an announcement, or an error record."""
        error = self.http_error(response, "statement_http_error")
        if error is not None:
            yield error
            return
        try:
            data, warning = load_json(response.body, response_charset(response))
        except ValueError as exc:
            yield self.error_item(response.url, "malformed_statement", str(exc))
            return
        value = data.get("value") if isinstance(data, dict) else None
        if not isinstance(value, dict) or not value.get("text"):
            yield self.error_item(response.url, "malformed_statement", "no statement text")
            return
        merged = {**listed, **{k: v for k, v in value.items() if v is not None}}
        item = self._item(merged, warning)
        item.http = validators(response)
        yield item

    def _item(self, value: dict[str, Any], warning: str | None) -> AnnouncementItem:
        item = statement_to_announcement(
            value,
            source_key=self.source_key,
            web_base_url=self.web_base_url,
            api_url=statement_api_url(self.base_url, value.get("id")),
            fetched_at=datetime.now(UTC).isoformat(),
        )
        if warning:
            item.warnings.append(warning)
        return item
