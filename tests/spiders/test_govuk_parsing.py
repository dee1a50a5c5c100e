"""The GOV.UK spider's pure parts, on real GOV.UK responses from ../shared/fixtures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from spiders.govuk import GovukSearchSpider, content_item_to_announcement, search_url
from spiders.items import AnnouncementItem, CrawlErrorItem
from spiders.text import decode_bytes, html_to_text, load_json
from tests.conftest import SHARED

GOVUK = SHARED / "fixtures" / "govuk"
needs_shared = pytest.mark.skipif(
    not GOVUK.exists(), reason="../shared/fixtures is not beside the repo"
)


def load(name: str) -> dict:
    return json.loads((GOVUK / "content-items" / name).read_text(encoding="utf-8"))


def convert(data: dict) -> AnnouncementItem:
    return content_item_to_announcement(
        data,
        source_key="govuk-test",
        web_base_url="https://www.gov.uk",
        api_url="https://www.gov.uk/api/content" + data["base_path"],
        fetched_at="2026-11-23T00:00:00+00:00",
    )


@needs_shared
def test_a_real_press_release_keeps_dates_history_and_organisations() -> None:
    data = load("news_article__best-practice-press-release.json")
    item = convert(data)
    assert item.url == "https://www.gov.uk" + data["base_path"]
    assert item.external_id == data["content_id"]
    assert item.first_published_at == data["first_published_at"]
    assert item.public_updated_at == data["public_updated_at"]
    assert item.change_history == data["details"]["change_history"]
    assert item.document_type == data["document_type"]
    assert (
        next(o["slug"] for o in item.organisations)
        == (data["links"]["primary_publishing_organisation"][0]["base_path"].rsplit("/", 1)[-1])
    )
    assert item.body_text and "<" not in item.body_text
    assert item.government == data["details"]["government"]["title"]


@needs_shared
def test_a_withdrawn_item_keeps_its_notice() -> None:
    item = convert(load("news_article__news_article_withdrawn.json"))
    assert item.withdrawn_at == "2019-08-22T10:29:02+01:00"
    assert "withdrawn" in (item.withdrawn_explanation or "")


@needs_shared
def test_taxons_and_co_publishers_are_kept() -> None:
    data = load("publication__tagged_to_two_coronavirus_taxons.json")
    item = convert(data)
    assert {o["slug"] for o in item.organisations} >= {
        "cabinet-office",
        "ministry-of-housing-communities-and-local-government",
    }
    assert len(item.taxons) == len(data["links"]["taxons"])
    assert all(t["base_path"] and t["content_id"] for t in item.taxons)
    assert any(t["ancestors"] for t in item.taxons)  # parent_taxons chains are followed


@needs_shared
def test_search_page_yields_content_requests_and_the_next_page() -> None:
    body = (GOVUK / "search-api" / "new_policies_for_dwp.json").read_bytes()
    data = json.loads(body)
    spider = GovukSearchSpider(source_key="s", base_url="https://www.gov.uk", page_size=10)
    request = Request(spider.search_page(0))
    response = TextResponse(
        request.url, body=body, request=request, headers={"Content-Type": "application/json"}
    )
    out = list(spider.parse_search(response, start=0))
    content = [r for r in out if r.callback == spider.parse_content]
    pages = [r for r in out if r.callback == spider.parse_search]
    internal = [r for r in data["results"] if r["link"].startswith("/")]
    assert [r.url for r in content] == [
        f"https://www.gov.uk/api/content{r['link']}" for r in internal
    ]
    assert len(pages) == 1  # total is 11, 10 on this page
    assert parse_qs(urlsplit(pages[0].url).query)["start"] == ["10"]


def test_search_url_has_filters_order_and_incremental_date() -> None:
    url = search_url(
        "http://127.0.0.1:8000/",
        organisations=["department-for-education", "ofsted"],
        document_types=["press_release"],
        supergroups=[],
        since=date(2024, 7, 5),
        start=100,
        count=50,
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("http://127.0.0.1:8000/api/search.json?")
    assert query["filter_organisations"] == ["department-for-education", "ofsted"]
    assert query["filter_content_store_document_type"] == ["press_release"]
    assert query["filter_public_timestamp"] == ["from:2024-07-05"]
    assert query["order"] == ["-public_timestamp"]
    assert (query["start"], query["count"]) == (["100"], ["50"])


def _response(url: str, body: bytes, status: int = 200) -> TextResponse:
    return TextResponse(
        url,
        body=body,
        status=status,
        request=Request(url),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


def test_bad_content_responses_become_error_records() -> None:
    spider = GovukSearchSpider(source_key="s", base_url="http://127.0.0.1:1")
    spider.crawler = type(
        "C", (), {"stats": type("S", (), {"inc_value": lambda *a, **k: None})()}
    )()
    malformed = list(
        spider.parse_content(
            _response("http://127.0.0.1:1/api/content/a", b'{"base_path": "/a", "ti')
        )
    )
    gone = list(
        spider.parse_content(_response("http://127.0.0.1:1/api/content/b", b"{}", status=500))
    )
    empty = list(spider.parse_content(_response("http://127.0.0.1:1/api/content/c", b"{}")))
    assert [type(i) for i in malformed + gone + empty] == [CrawlErrorItem] * 3
    assert [i.reason for i in malformed + gone + empty] == [
        "malformed_content_item",
        "content_http_error",
        "malformed_content_item",
    ]
    assert gone[0].status == 500


def test_a_latin1_body_is_read_with_a_warning() -> None:
    spider = GovukSearchSpider(source_key="s", base_url="http://127.0.0.1:1")
    body = json.dumps(
        {
            "base_path": "/government/news/x",
            "title": "Café funding £5m",
            "details": {"body": "<p>£5m for cafés</p>"},
        },
        ensure_ascii=False,
    )
    items = list(
        spider.parse_content(_response("http://127.0.0.1:1/api/content/x", body.encode("latin-1")))
    )
    assert items[0].title == "Café funding £5m"
    assert items[0].body_text == "£5m for cafés"
    assert items[0].warnings == ["body is not valid utf-8; decoded as windows-1252"]


def test_decode_bytes_prefers_utf8_then_the_declared_charset() -> None:
    assert decode_bytes("£".encode()) == ("£", None)
    assert decode_bytes("é".encode("iso-8859-1"), "iso-8859-1") == ("é", None)
    with pytest.raises(ValueError):
        load_json(b"{not json")


def test_html_to_text_keeps_blocks_lists_and_tables_apart() -> None:
    html = (
        "<h2>Funding</h2><p>We will invest <strong>£259m</strong> in\n homes.</p>"
        "<ul><li>Phase one</li><li>Phase two</li></ul>"
        "<table><tr><th>Year</th><th>£m</th></tr><tr><td>2023</td><td>100</td></tr></table>"
        "<script>alert(1)</script>"
    )
    assert (
        html_to_text(html)
        == "Funding\nWe will invest £259m in homes.\nPhase one\nPhase two\nYear £m\n2023 100"
    )
    assert html_to_text("") == ""


def test_html_response_is_not_needed_for_json_sources() -> None:
    # the GOV.UK spider only ever reads JSON; an HTML error page is a malformed item
    spider = GovukSearchSpider(source_key="s", base_url="http://127.0.0.1:1")
    spider.crawler = type(
        "C", (), {"stats": type("S", (), {"inc_value": lambda *a, **k: None})()}
    )()
    page = HtmlResponse(
        "http://127.0.0.1:1/api/content/a",
        body=b"<html>Oops</html>",
        request=Request("http://127.0.0.1:1/api/content/a"),
    )
    assert [i.reason for i in spider.parse_content(page)] == ["malformed_content_item"]


def test_repo_has_no_copy_of_the_shared_fixtures() -> None:
    repo = Path(__file__).resolve().parents[2]
    copied = [
        p
        for p in repo.rglob("*.json")
        if ".venv" not in p.parts and p.name.startswith("news_article__")
    ]
    assert copied == []


CONTENT_ITEMS = sorted((GOVUK / "content-items").glob("*.json")) if GOVUK.exists() else []
DOCUMENTS = [p for p in CONTENT_ITEMS if not p.name.startswith("taxon__")]


@needs_shared
@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_every_real_content_item_parses_into_a_complete_item(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    item = convert(data)
    assert item.url == "https://www.gov.uk" + data["base_path"]
    assert item.title and item.title == data["title"].strip()
    assert item.external_id == data["content_id"]
    assert item.document_type == data["document_type"]
    assert item.first_published_at == data["first_published_at"]
    assert item.public_updated_at == data["public_updated_at"]
    assert item.organisations, "every announcement has a publishing organisation"
    assert all(o["slug"] and "/" not in o["slug"] for o in item.organisations)
    body = data["details"].get("body")
    if body:
        assert item.body_text and "<p>" not in item.body_text
    assert item.change_history == list(data["details"].get("change_history") or [])
    assert len(item.taxons) == len(data["links"].get("taxons") or [])
    assert len(item.attachments) == len(data["details"].get("attachments") or [])


@needs_shared
@pytest.mark.parametrize(
    "name", ["new_policies_for_dwp.json", "search-api-app-search-response.json"]
)
def test_real_search_responses_yield_a_request_per_internal_hit(name: str) -> None:
    body = (GOVUK / "search-api" / name).read_bytes()
    data = json.loads(body)
    spider = GovukSearchSpider(source_key="s", base_url="https://www.gov.uk", page_size=1500)
    request = Request(spider.search_page(0))
    response = TextResponse(
        request.url, body=body, request=request, headers={"Content-Type": "application/json"}
    )
    requests = [
        r for r in spider.parse_search(response, start=0) if r.callback == spider.parse_content
    ]
    internal = [r["link"] for r in data["results"] if r.get("link", "").startswith("/")]
    assert [r.url for r in requests] == [
        f"https://www.gov.uk/api/content{link}" for link in internal
    ]
