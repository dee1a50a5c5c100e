"""The Parliament written statements spider: pure callbacks, then a real crawl.

The callback tests feed the spider responses in the Written Statements API's
shape; the crawl runs ``policywatch.crawl.crawl_source`` (Scrapy in a
subprocess, raw JSONL, ingest) against the fixture site on 127.0.0.1 and
checks the store against the corpus's parliament documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import Request, TextResponse
from sqlalchemy.engine import Engine
from sqlmodel import select

from policywatch.config import Settings
from policywatch.crawl import crawl_source
from policywatch.fixture_site.corpus import load_corpus
from policywatch.fixture_site.formats import SITE_TZ
from policywatch.fixture_site.server import FixtureSite
from policywatch.registry import SourceConfig
from policywatch.store import migrate, queries, session_scope
from policywatch.store.db import make_engine
from policywatch.store.tables import Document
from spiders.items import AnnouncementItem, CrawlErrorItem
from spiders.parliament import (
    ParliamentStatementsSpider,
    body_slug,
    is_preview,
    statement_to_announcement,
    statements_url,
)

API = "https://questions-statements-api.parliament.uk"
WEB = "https://questions-statements.parliament.uk"
FULL_TEXT = (
    "<p>Tomorrow the Supported Accommodation (England) Regulations 2023 come into force.</p>"
    "<p>We are investing £142 million of new funding.</p>"
)


def statement(**changes: Any) -> dict[str, Any]:
    """One statement as the list endpoint gives it (expandMember=true)."""
    value: dict[str, Any] = {
        "id": 1234,
        "memberId": 4876,
        "member": {
            "id": 4876,
            "listAs": "Coutinho, Claire",
            "name": "Claire Coutinho",
            "party": "Conservative",
            "partyColour": "0000ff",
            "partyAbbreviation": "Con",
            "memberFrom": "East Surrey",
            "thumbnailUrl": "https://members-api.parliament.uk/api/Members/4876/Thumbnail",
        },
        "memberRole": "Parliamentary Under-Secretary of State for Children, Families and Wellbeing",
        "uin": "HCWS753",
        "dateMade": "2023-04-27T00:00:00",
        "answeringBodyId": 60,
        "answeringBodyName": "Department for Education",
        "title": "Supported Accommodation Reforms",
        "text": "Tomorrow the Supported Accommodation (England) Regulations 2023 come...",
        "house": "Commons",
        "noticeNumber": 753,
        "hasAttachments": False,
        "hasLinkedStatements": False,
        "linkedStatements": [],
        "attachments": [],
    }
    value.update(changes)
    return value


def json_response(url: str, data: Any, status: int = 200) -> TextResponse:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return TextResponse(
        url,
        body=body,
        status=status,
        request=Request(url),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count


def make_spider(**kwargs: Any) -> ParliamentStatementsSpider:
    spider = ParliamentStatementsSpider(source_key="wms", **kwargs)
    spider.crawler = type("C", (), {"stats": _Stats()})()  # type: ignore[assignment]
    return spider


# --------------------------------------------------------------------------- pure parts


def test_list_url_repeats_answering_bodies_and_asks_for_members() -> None:
    url = statements_url(
        "http://127.0.0.1:8000/", answering_bodies=[60, 1], since=date(2023, 1, 2), skip=40, take=20
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("http://127.0.0.1:8000/api/writtenstatements/statements?")
    assert query == {
        "madeWhenFrom": ["2023-01-02"],
        "answeringBodies": ["60", "1"],
        "skip": ["40"],
        "take": ["20"],
        "expandMember": ["true"],
    }


def test_spider_arguments_accept_lists_or_comma_strings() -> None:
    listed = make_spider(answering_bodies=[60, "1"], since="2024-07-05T00:00:00", page_size="5")
    comma = make_spider(answering_bodies="60, 1")
    assert listed.answering_bodies == comma.answering_bodies == [60, 1]
    assert listed.since is not None and listed.since.isoformat() == "2024-07-05"
    assert listed.page_size == 5
    assert listed.base_url == API and listed.web_base_url == WEB
    site = make_spider(base_url="http://127.0.0.1:9/", web_base_url="{site}")
    assert site.web_base_url == "http://127.0.0.1:9"


def test_answering_bodies_map_to_organisation_slugs() -> None:
    assert body_slug(60, "Department for Education") == "department-for-education"
    assert body_slug(14, "Treasury") == "hm-treasury"
    assert body_slug(7, "Ministry of Housing, Communities and Local Government") == (
        "ministry-of-housing-communities-and-local-government"
    )
    assert body_slug(999, "Department for Culture, Media and Sport") == (
        "department-for-culture-media-and-sport"
    )


def test_a_list_page_asks_for_cut_statements_and_the_next_page() -> None:
    spider = make_spider(answering_bodies=[60], page_size=2)
    short = statement(id=99, uin="HLWS12", house="Lords", text="<p>A short statement.</p>")
    data = {"totalResults": 5, "results": [{"value": statement(), "links": []}, {"value": short}]}
    out = list(spider.parse_list(json_response(spider.list_page(0), data), skip=0))

    detail, item, page = out
    assert detail.url == f"{API}/api/writtenstatements/statements/1234?expandMember=true"
    assert detail.callback == spider.parse_statement and detail.errback == spider.on_error
    assert detail.cb_kwargs == {"listed": statement()}
    assert isinstance(item, AnnouncementItem)  # not cut: the list holds all of it
    assert item.body_text == "A short statement." and item.http == {}
    assert page.callback == spider.parse_list and page.cb_kwargs == {"skip": 2}
    assert parse_qs(urlsplit(page.url).query)["skip"] == ["2"]
    assert is_preview("Cut short…") and is_preview("") and not is_preview("<p>Whole.</p>")


def test_the_full_statement_becomes_an_announcement_with_every_field() -> None:
    spider = make_spider(answering_bodies=[60])
    url = f"{API}/api/writtenstatements/statements/1234?expandMember=true"
    detail = {"value": statement(text=FULL_TEXT, member=None), "links": []}
    response = json_response(url, detail)
    response.headers[b"ETag"] = b'"abc"'

    (item,) = list(spider.parse_statement(response, listed=statement()))

    assert isinstance(item, AnnouncementItem)
    fields = item.to_dict()
    fetched_at = fields.pop("fetched_at")
    assert fetched_at.endswith("+00:00")
    assert fields == {
        "source_key": "wms",
        "url": f"{WEB}/written-statements/detail/2023-04-27/HCWS753",
        "title": "Supported Accommodation Reforms",
        "body_html": FULL_TEXT,
        "body_text": (
            "Tomorrow the Supported Accommodation (England) Regulations 2023 come into force.\n"
            "We are investing £142 million of new funding."
        ),
        "external_id": "wms:1234",
        "api_url": url,
        "description": "",
        "document_type": "written_statement",
        "organisations": [
            {"slug": "department-for-education", "title": "Department for Education"}
        ],
        "first_published_at": "2023-04-27T00:00:00+00:00",
        "public_updated_at": "2023-04-27T00:00:00+00:00",
        "change_history": [],
        "taxons": [],
        "attachments": [],
        "government": None,
        "political": None,
        "withdrawn_at": None,
        "withdrawn_explanation": None,
        "people": [
            {
                "name": "Claire Coutinho",  # kept from the list when the detail has no member
                "role": (
                    "Parliamentary Under-Secretary of State for Children, Families and Wellbeing"
                ),
                "member_id": 4876,
            }
        ],
        "http": {"etag": '"abc"'},
        "warnings": [],
        "kind": "announcement",
    }


def test_conversion_tolerates_an_unknown_body_and_no_member() -> None:
    item = statement_to_announcement(
        statement(answeringBodyId=12, answeringBodyName="Ministry of Defence", member=None),
        source_key="s",
        web_base_url="http://127.0.0.1:1",
        api_url="http://127.0.0.1:1/api/writtenstatements/statements/1234",
        fetched_at="2026-01-01T00:00:00+00:00",
    )
    assert item.organisations == [{"slug": "ministry-of-defence", "title": "Ministry of Defence"}]
    assert item.people[0]["name"] is None and item.people[0]["member_id"] == 4876
    assert item.url == "http://127.0.0.1:1/written-statements/detail/2023-04-27/HCWS753"


def test_statements_we_hold_are_not_fetched_again(tmp_path: Path) -> None:
    known = tmp_path / "known.json"
    known.write_text(
        json.dumps(
            {"/written-statements/detail/2023-04-27/HCWS753": {"updated": "2023-04-27T00:00:00Z"}}
        )
    )
    spider = make_spider(answering_bodies=[60], known_path=str(known))
    data = {"totalResults": 1, "results": [{"value": statement()}]}
    assert list(spider.parse_list(json_response(spider.list_page(0), data), skip=0)) == []
    assert spider.crawler.stats.values == {"policywatch/skipped_unchanged": 1}


def test_bad_responses_become_error_records() -> None:
    spider = make_spider(answering_bodies=[60])
    list_url = spider.list_page(0)
    detail_url = f"{API}/api/writtenstatements/statements/1234?expandMember=true"
    out = [
        *spider.parse_list(json_response(list_url, b'{"totalResults": 3, "resu'), skip=0),
        *spider.parse_list(json_response(list_url, {"title": "Error"}, status=503), skip=0),
        *spider.parse_list(
            json_response(list_url, {"totalResults": 1, "results": [{"value": {"id": 1}}]}),
            skip=0,
        ),
        *spider.parse_statement(json_response(detail_url, {"value": {}}), listed=statement()),
        *spider.parse_statement(json_response(detail_url, {}, status=404), listed=statement()),
    ]
    assert all(isinstance(i, CrawlErrorItem) for i in out)
    assert [i.reason for i in out] == [
        "malformed_statements_response",
        "statements_http_error",
        "malformed_statement",
        "malformed_statement",
        "statement_http_error",
    ]
    assert out[-1].status == 404


# --------------------------------------------------------------------------- a real crawl

CORPUS = load_corpus()
STATEMENTS = [d for d in CORPUS.documents if d.source == "parliament"]
BODIES = [60, 1, 17, 7]  # DfE, Home Office, DHSC, MHCLG


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite(CORPUS) as running:
        yield running


@pytest.fixture
def store(isolated_settings: Path) -> Engine:
    engine = make_engine(Settings().resolved_database_url)
    migrate.upgrade(engine)
    return engine


def crawl(store: Engine, site: FixtureSite):  # type: ignore[no-untyped-def]
    source = SourceConfig(
        key="parliament-statements",
        kind="parliament_statements",
        base_url=site.base_url,
        options={"answering_bodies": BODIES, "page_size": 3, "web_base_url": "{site}"},
    )
    return crawl_source(Settings(), store, source, requests_per_second=200.0)


@pytest.mark.slow
def test_a_crawl_stores_every_statement_and_a_rerun_adds_nothing(
    store: Engine, site: FixtureSite
) -> None:
    assert len(STATEMENTS) >= 8
    first = crawl(store, site)
    first_requests = list(site.request_log)
    second = crawl(store, site)

    assert first.status == "succeeded", first.message
    assert first.report.run_counts()["items_new"] == len(STATEMENTS)
    assert second.status == "succeeded", second.message
    assert second.since is not None  # incremental: madeWhenFrom
    assert second.report.run_counts()["items_new"] == 0
    assert second.report.run_counts()["items_new_version"] == 0
    details = [r for r in site.request_log if r.startswith("/api/writtenstatements/statements/")]
    assert len(details) == len(STATEMENTS)  # full texts fetched once, not again on the re-run
    assert sum("skip=" in r for r in first_requests) == -(-len(STATEMENTS) // 3)  # pages of 3

    expected = {
        f"{site.base_url}/written-statements/detail/"
        f"{d.first_published_at.astimezone(SITE_TZ).date().isoformat()}/{d.uin}": d
        for d in STATEMENTS
    }
    with session_scope(store) as session:
        documents = session.exec(select(Document)).all()
        assert {d.canonical_url for d in documents} == set(expected)
        for document in documents:
            doc = expected[document.canonical_url]
            assert document.title == doc.title
            assert document.document_type == "written_statement"
            assert document.external_id and document.external_id.startswith("wms:")
            assert document.first_published_at is not None
            assert document.first_published_at.date() == doc.first_published_at.date()
            publishers = queries.document_publishers(session, document_id=document.id)
            assert [p.slug for p in publishers] == [doc.publisher]
            (version,) = queries.document_versions(session, document_id=document.id)
            assert version.meta["people"] == [
                {
                    "name": doc.member_name,
                    "role": doc.member_role,
                    "member_id": version.meta["people"][0]["member_id"],
                }
            ]
            assert doc.labels.statements[0].sentence in " ".join(version.body_text.split())
