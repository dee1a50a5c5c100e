"""The WordPress spider: wp/v2 posts from the fixture site's REST API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import scrapy
from scrapy.http import TextResponse
from sqlalchemy.engine import Engine

from policywatch.config import Settings
from policywatch.fixture_site.server import FixtureSite
from policywatch.store import migrate
from policywatch.store.db import make_engine
from spiders.wordpress import WordpressSpider, post_to_announcement
from tests.spiders.sector import (
    CORPUS,
    assert_item_matches,
    assert_store_matches_corpus,
    crawl,
    drive,
    errors,
    items,
    make_spider,
    offline_site,
    response_for,
    site_docs,
)

ADCS = "adcs"
API = f"/sites/{ADCS}/wp-json/wp/v2/posts"


def by_modified(slug: str, as_of: str | None = None) -> list:
    """The order the spider asks for: most recently modified first."""
    return sorted(site_docs(slug, as_of), key=lambda d: (d.public_updated_at, d.id), reverse=True)


def test_every_post_is_mapped_field_by_field() -> None:
    site = offline_site()
    out = drive(site, make_spider(WordpressSpider, ADCS))
    assert errors(out) == []
    for item, doc in zip(items(out), by_modified(ADCS), strict=True):
        assert_item_matches(item, doc, slug=ADCS, whole_body=True)
        assert item.external_id == f"wp:{site.post_ids[doc.id]}"
        assert item.description == doc.description
        assert item.document_type == "blog_post"
        assert item.http == {} and item.warnings == []
    assert len(items(out)) == len(site_docs(ADCS))
    [request] = site.request_log  # one API page, no permalink page fetched
    query = parse_qs(urlsplit(request).query)
    assert (query["per_page"], query["page"]) == (["100"], ["1"])
    assert (query["orderby"], query["order"]) == (["modified"], ["desc"])
    assert "content" in query["_fields"][0] and "modified_after" not in query


def test_paging_follows_total_pages_and_since_asks_for_modified_posts() -> None:
    site = offline_site()
    out = drive(site, make_spider(WordpressSpider, ADCS, per_page=2))
    assert [i.title for i in items(out)] == [d.title for d in by_modified(ADCS)]
    pages = [parse_qs(urlsplit(r).query)["page"][0] for r in site.request_log]
    assert pages == ["1", "2", "3", "4", "5"]  # 9 posts, 2 a page: X-WP-TotalPages is 5

    site = offline_site()
    spider = make_spider(WordpressSpider, ADCS, since="2023-06-01", document_type="news")
    got = items(drive(site, spider))
    assert [i.title for i in got] == [
        d.title for d in by_modified(ADCS) if d.public_updated_at.isoformat() >= "2023-06-01"
    ]
    assert {i.document_type for i in got} == {"news"}
    assert parse_qs(urlsplit(site.request_log[0]).query)["modified_after"] == [
        "2023-06-01T00:00:00"
    ]
    after = make_spider(WordpressSpider, ADCS, since="2023-06-01", since_param="after")
    assert "after=2023-06-01" in after.page_url(1) and "modified_after" not in after.page_url(1)
    with pytest.raises(ValueError, match="since_param"):
        make_spider(WordpressSpider, ADCS, since_param="date")


def test_a_page_past_the_end_ends_paging_cleanly() -> None:
    site = offline_site()
    spider = make_spider(WordpressSpider, ADCS)
    past = response_for(site, spider.page_url(7))
    assert past.status == 400 and b"rest_post_invalid_page_number" in past.body
    assert list(spider.parse_posts(past, page=7)) == []
    assert spider.crawler.stats.get_value("policywatch/wp_past_last_page") == 1

    # without X-WP-TotalPages (a proxy dropped it) the spider pages on until that 400
    page = response_for(site, spider.page_url(1).replace("per_page=100", "per_page=5"))
    headless = page.replace(headers={"Content-Type": "application/json; charset=utf-8"})
    [*posts, next_page] = spider.parse_posts(headless, page=1)
    assert len(posts) == 5 and isinstance(next_page, scrapy.Request)


def test_posts_we_hold_unchanged_are_skipped(tmp_path: Path) -> None:
    site = offline_site()
    newest, older = by_modified(ADCS)[:2]
    known = tmp_path / "known.json"
    known.write_text(
        json.dumps(
            {
                site.post_path(newest): {"updated": newest.public_updated_at.isoformat()},
                site.post_path(older): {"updated": "2001-01-01T00:00:00Z"},  # changed since
            }
        )
    )
    spider = make_spider(WordpressSpider, ADCS, known_path=str(known))
    got = items(drive(site, spider))
    assert newest.title not in [i.title for i in got] and older.title in [i.title for i in got]
    assert len(got) == len(site_docs(ADCS)) - 1
    assert spider.crawler.stats.get_value("policywatch/skipped_unchanged") == 1


@pytest.mark.parametrize(
    ("slug", "fault", "options", "reason", "detail"),
    [
        (ADCS, "malformed", {}, "malformed_wp_response", "line "),
        ("kinship", None, {}, "wp_api_error", "rest_no_route"),  # not a WordPress site
        (ADCS, None, {"per_page": 500}, "wp_api_error", "rest_invalid_param"),
        (ADCS, 503, {}, "wp_api_error", "HTTP 503"),
    ],
)
def test_api_failures_are_error_records(
    slug: str, fault: int | str | None, options: dict, reason: str, detail: str
) -> None:
    site = offline_site()
    if fault is not None:
        site.faults[f"/sites/{slug}/wp-json/wp/v2/posts"] = [fault]
    [error] = drive(site, make_spider(WordpressSpider, slug, **options))
    assert error.reason == reason and detail in error.detail


def post(**changes: object) -> dict:
    base = {
        "id": 42,
        "date": "2024-06-01T10:00:00",
        "date_gmt": "2024-06-01T09:00:00",
        "modified": "2024-06-02T10:00:00",
        "modified_gmt": "2024-06-02T09:00:00",
        "link": "https://example.org/2024/06/a-post/",
        "title": {"rendered": "Children&#8217;s homes &amp; <em>care</em>"},
        "excerpt": {"rendered": "<p>What we said [&hellip;]</p>\n"},
        "content": {
            "rendered": '<p>Text.</p><p><a href="/wp-content/uploads/2024/06/r.pdf">Our '
            "report (PDF)</a></p>",
            "protected": False,
        },
    }
    base.update(changes)
    return base


def test_post_to_announcement_maps_one_post() -> None:
    item = post_to_announcement(
        post(), source_key="k", publisher="adcs", publisher_title="ADCS", document_type="news"
    )
    assert item.url == "https://example.org/2024/06/a-post/" and item.external_id == "wp:42"
    assert item.title == "Children\u2019s homes & care"
    assert item.description == "What we said"
    assert item.first_published_at == "2024-06-01T09:00:00+00:00"  # date_gmt is UTC
    assert item.public_updated_at == "2024-06-02T09:00:00+00:00"
    assert item.body_text == "Text.\nOur report (PDF)"
    assert item.attachments == [
        {
            "title": "Our report",
            "url": "https://example.org/wp-content/uploads/2024/06/r.pdf",
            "filename": "r.pdf",
        }
    ]
    assert item.organisations == [{"slug": "adcs", "title": "ADCS"}]
    unset = post_to_announcement(
        post(date_gmt="0000-00-00T00:00:00", modified_gmt=None), source_key="k", publisher="adcs"
    )
    assert unset.first_published_at == unset.public_updated_at == "2024-06-01T10:00:00+00:00"
    assert unset.warnings == ["no date_gmt: the site's local time was read as UTC"]


def test_protected_empty_and_linkless_posts_are_error_records() -> None:
    spider = make_spider(WordpressSpider, ADCS)
    body = json.dumps(
        [
            post(content={"rendered": "", "protected": True}),
            post(id=43, content={"rendered": "<p> </p>", "protected": False}),
            post(id=44, link=""),
            post(id=45),
        ]
    ).encode()
    url = spider.page_url(1)
    response = TextResponse(
        url,
        body=body,
        request=scrapy.Request(url),
        headers={"Content-Type": "application/json", "X-WP-TotalPages": "1"},
    )
    out = list(spider.parse_posts(response, page=1))
    assert [e.reason for e in errors(out)] == [
        "protected_post",
        "no_main_text",
        "malformed_wp_response",
    ]
    # the good post has a PDF link: its request comes first, the item after it is read
    assert [type(o).__name__ for o in out][-1] == "Request"
    assert out[-1].url == "https://example.org/wp-content/uploads/2024/06/r.pdf"


def test_a_body_in_the_wrong_encoding_is_read_with_a_warning() -> None:
    site = offline_site()
    site.faults[API] = ["latin1"]  # latin-1 bytes labelled utf-8
    got = items(drive(site, make_spider(WordpressSpider, ADCS)))
    assert len(got) == len(site_docs(ADCS))
    assert {tuple(i.warnings) for i in got} == {
        ("body is not valid utf-8; decoded as windows-1252",)
    }
    assert all("\ufffd" not in i.body_text for i in got)


# --------------------------------------------------------------------------- real crawl


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite(CORPUS) as running:
        yield running


@pytest.fixture
def store(isolated_settings: Path) -> Engine:
    engine = make_engine(Settings().resolved_database_url)
    migrate.upgrade(engine)
    return engine


def test_a_real_crawl_stores_the_site_and_a_second_fetches_nothing_again(
    store: Engine, site: FixtureSite
) -> None:
    first = crawl(Settings(), store, site, kind="wordpress", slug=ADCS)
    site.request_log.clear()
    second = crawl(Settings(), store, site, kind="wordpress", slug=ADCS)

    assert first.status == "succeeded", first.message
    assert first.report.run_counts()["items_new"] == len(site_docs(ADCS))
    assert_store_matches_corpus(store, ADCS)
    counts = second.report.run_counts()
    assert second.status == "succeeded" and (counts["items_seen"], counts["items_new"]) == (0, 0)
    # the second run asked only for posts modified lately and skipped the one it holds
    api = [p for p in site.request_log if p.startswith(API)]
    assert len(api) == 1 and "modified_after=" in api[0]
    assert second.stats.get("policywatch/skipped_unchanged") == 1
    assert [p for p in site.request_log if p.startswith(f"/sites/{ADCS}/") and p not in api] == []
