"""The HTML-listing spider: a sector site's news pages and the articles they link to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse
from sqlalchemy.engine import Engine

from policywatch.config import Settings
from policywatch.fixture_site.corpus import Corpus, load_corpus
from policywatch.fixture_site.server import FixtureSite
from policywatch.store import migrate
from policywatch.store.db import make_engine
from spiders.html_listing import HtmlListingSpider, ListedArticle, Selectors, parse_listing
from tests.fixture_site.tiny_corpus import build_tiny_corpus
from tests.spiders.sector import (
    BASE,
    CORPUS,
    assert_item_matches,
    assert_store_matches_corpus,
    crawl,
    drive,
    errors,
    items,
    make_spider,
    offline_site,
    site_docs,
)

KINSHIP = "kinship"
NCERCC = "ncercc"
REPORT = "ncercc-2025-02-residential-sufficiency-report"  # edited on 2025-03-03, with a PDF


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """12 kinship news items: two listing pages."""
    return load_corpus(build_tiny_corpus(tmp_path_factory.mktemp("tiny") / "corpus"))


def tiny_site(corpus: Corpus) -> FixtureSite:
    site = FixtureSite(corpus)
    site.base_url = BASE
    return site


def test_every_listed_article_becomes_its_corpus_document() -> None:
    for slug in (KINSHIP, NCERCC):
        site = offline_site()
        out = drive(site, make_spider(HtmlListingSpider, slug, document_type="news"))
        assert errors(out) == []
        got = sorted(items(out), key=lambda i: i.first_published_at or "", reverse=True)
        for item, doc in zip(got, site_docs(slug), strict=True):
            assert_item_matches(item, doc, slug=slug)
            assert item.description == doc.description
            assert item.document_type == "news" and item.external_id is None
            assert set(item.http) == {"etag", "last_modified"}
            assert item.warnings == []
            for attachment, expected in zip(item.attachments, doc.attachments, strict=True):
                assert " ".join(expected.text.split()[:6]) in attachment["text"]
        assert len(got) == len(site_docs(slug))


def test_listing_pages_are_followed_by_rel_next_until_since(tiny: Corpus) -> None:
    site = tiny_site(tiny)
    got = items(drive(site, make_spider(HtmlListingSpider, KINSHIP)))
    assert sorted(i.title for i in got) == [f"Kinship news {i:02d}" for i in range(12)]
    listings = [p for p in site.request_log if p.startswith("/sites/kinship/news/?")]
    assert listings == ["/sites/kinship/news/?page=2"]  # page 1 is /news/ itself

    site = tiny_site(tiny)
    spider = make_spider(HtmlListingSpider, KINSHIP, since="2022-06-01")
    got = items(drive(site, spider))
    assert sorted(i.title for i in got) == [f"Kinship news {i:02d}" for i in range(5, 12)]
    assert site.request_log[0] == "/sites/kinship/news/"
    assert "/sites/kinship/news/?page=2" not in site.request_log  # page 1 reached `since`

    site = tiny_site(tiny)
    one_page = make_spider(HtmlListingSpider, KINSHIP, max_pages=1)
    assert len(items(drive(site, one_page))) == 10


def test_the_listing_time_decides_what_is_fetched_again(tmp_path: Path) -> None:
    site = offline_site()
    report = CORPUS.by_id[REPORT]
    known = tmp_path / "known.json"
    held = {
        site.post_path(d): {"updated": d.public_updated_at.isoformat()} for d in site_docs(NCERCC)
    }
    held[site.post_path(report)] = {"updated": report.first_published_at.isoformat()}
    known.write_text(json.dumps(held))
    spider = make_spider(HtmlListingSpider, NCERCC, known_path=str(known))
    [item] = items(drive(site, spider))
    # the listing shows "Updated 3 March 2025" beside the report: it alone is read again
    assert item.title == report.title
    assert item.public_updated_at == report.public_updated_at.isoformat()
    assert [p for p in site.request_log if "/news/ncercc" in p] == [site.post_path(report)]
    assert spider.crawler.stats.get_value("policywatch/skipped_unchanged") == 7


def test_parse_listing_with_css_and_xpath_selectors() -> None:
    html = (
        "<html><body><div class='list'>"
        "<article class='post'><a href='/tag/kinship/'>Kinship</a><h3><a href='/n/one/'> One "
        "</a></h3>"
        "<time datetime='2024-03-01T09:00:00Z'>1 March</time>"
        "<span class='updated'><time datetime='2024-04-01T09:00:00Z'>1 April</time></span>"
        "<p>First summary.</p></article>"
        "<article class='post'><h3>No link here</h3></article>"
        "<article class='post'><a href='https://elsewhere.org/two'>Two</a></article>"
        "</div><a rel='next' href='?page=2'>Next</a></body></html>"
    )
    listed, next_url = parse_listing(html, "https://x.org/news/")
    assert listed == [
        ListedArticle(
            url="https://x.org/n/one/",
            title="One",
            published="2024-03-01T09:00:00+00:00",
            updated="2024-04-01T09:00:00+00:00",
            summary="First summary.",
        ),
        ListedArticle(url="https://elsewhere.org/two", title="Two"),
    ]
    assert listed[0].when == "2024-04-01T09:00:00+00:00"
    assert next_url == "https://x.org/news/?page=2"
    xpath = Selectors(
        items="//article",
        link=".//a[not(contains(@href, '/tag/'))]",
        summary=".//p",
        next="//a[@rel='next']/@href",
    )
    again, next_again = parse_listing(html, "https://x.org/news/", xpath)
    assert [a.url for a in again] == [a.url for a in listed] and next_again == next_url
    assert parse_listing("", "https://x.org/") == ([], None)


def test_an_article_without_dates_takes_them_from_the_listing() -> None:
    spider = make_spider(HtmlListingSpider, KINSHIP)
    listed = ListedArticle(
        url=f"{BASE}/a/", title="Listed title", published="2024-01-05T10:00:00+00:00", summary="S"
    )
    page = (
        "<!DOCTYPE html><html><head><title>T</title></head><body><main><p>"
        + "Kinship carers told us the allowance came too late for most of them. " * 8
        + "</p></main></body></html>"
    )
    response = HtmlResponse(
        f"{BASE}/a/", body=page.encode(), encoding="utf-8", request=scrapy.Request(f"{BASE}/a/")
    )
    [item] = spider.parse_article(response, listed=listed)
    assert item.first_published_at == item.public_updated_at == "2024-01-05T10:00:00+00:00"
    assert (item.title, item.description) == ("T", "S")
    assert item.warnings == []  # the listing's date is no guess


@pytest.mark.parametrize(
    ("options", "fault", "reason"),
    [
        ({"listing_path": "/latest/"}, None, "listing_http_error"),  # 404
        ({"item_selector": ".story"}, None, "no_listing_items"),  # the site was redesigned
        ({}, 500, "listing_http_error"),
    ],
)
def test_an_unreadable_listing_is_an_error_record(
    options: dict, fault: int | None, reason: str
) -> None:
    site = offline_site()
    if fault is not None:
        site.faults[f"/sites/{KINSHIP}/news/"] = [fault]
    [error] = drive(site, make_spider(HtmlListingSpider, KINSHIP, **options))
    assert error.reason == reason


def test_a_cut_off_listing_keeps_its_whole_items_and_says_so() -> None:
    site = offline_site()
    site.faults[f"/sites/{KINSHIP}/news/"] = ["malformed"]
    out = drive(site, make_spider(HtmlListingSpider, KINSHIP))
    assert [e.reason for e in errors(out)] == ["truncated_page"]
    assert 0 < len(items(out)) < len(site_docs(KINSHIP))


def test_bad_articles_are_error_records_and_the_rest_go_on() -> None:
    site = offline_site()
    docs = site_docs(KINSHIP)
    latin = next(d for d in docs if d.id == "kinship-2024-11-allowance-trial-at-last")
    broken, missing = [d for d in docs if d is not latin and not d.attachments][:2]
    site.faults[site.post_path(broken)] = ["malformed"]
    site.faults[site.post_path(missing)] = [404]
    site.faults[site.post_path(latin)] = ["latin1"]  # latin-1 bytes labelled utf-8
    out = drive(site, make_spider(HtmlListingSpider, KINSHIP))
    assert sorted((e.reason, e.url.removeprefix(BASE)) for e in errors(out)) == [
        ("article_http_error", site.post_path(missing)),
        ("truncated_page", site.post_path(broken)),
    ]
    assert len(items(out)) == len(docs) - 2
    misread = next(i for i in items(out) if i.url == BASE + site.post_path(latin))
    assert misread.warnings == ["body is not valid utf-8; decoded as windows-1252"]
    assert "\ufffd" not in misread.body_text


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


def test_a_real_crawl_stores_the_site_and_a_second_fetches_no_article(
    store: Engine, site: FixtureSite
) -> None:
    first = crawl(Settings(), store, site, kind="html_listing", slug=NCERCC)
    site.request_log.clear()
    second = crawl(Settings(), store, site, kind="html_listing", slug=NCERCC)

    assert first.status == "succeeded", first.message
    assert first.report.run_counts()["items_new"] == len(site_docs(NCERCC))
    assert_store_matches_corpus(store, NCERCC)
    assert second.status == "succeeded" and second.report.run_counts()["items_seen"] == 0
    assert [p for p in site.request_log if p != "/robots.txt"] == [f"/sites/{NCERCC}/news/"]
    assert second.stats.get("policywatch/skipped_unchanged") == 1  # the rest predate `since`
