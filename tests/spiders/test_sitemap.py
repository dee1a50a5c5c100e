"""The sitemap spider: sector sites' sitemaps and the article pages they list."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import scrapy
from scrapy.http import XmlResponse
from sqlalchemy.engine import Engine

from policywatch.config import Settings
from policywatch.fixture_site.server import FixtureSite
from policywatch.store import migrate
from policywatch.store.db import make_engine
from spiders.sitemap import SitemapEntry, SitemapError, SitemapSpider, parse_sitemap
from tests.spiders.sector import (
    BASE,
    CORPUS,
    assert_item_matches,
    assert_store_matches_corpus,
    crawl,
    drive,
    errors,
    follow,
    items,
    make_spider,
    offline_site,
    site_docs,
)

NCERCC = "ncercc"
REPORT = "ncercc-2025-02-residential-sufficiency-report"  # edited on 2025-03-03, with a PDF


def test_every_listed_page_becomes_its_corpus_document() -> None:
    site = offline_site()
    out = drive(site, make_spider(SitemapSpider, NCERCC, document_type="news"))
    assert errors(out) == []
    got = sorted(items(out), key=lambda i: i.first_published_at or "", reverse=True)
    for item, doc in zip(got, site_docs(NCERCC), strict=True):
        assert_item_matches(item, doc, slug=NCERCC)
        assert item.description == doc.description
        assert item.document_type == "news" and item.external_id is None
        assert set(item.http) == {"etag", "last_modified"}
        assert item.warnings == []
    assert len(got) == len(site_docs(NCERCC))
    report = next(i for i in got if REPORT in i.url)
    first_words = " ".join(CORPUS.by_id[REPORT].attachments[0].text.split()[:6])
    assert first_words in report.attachments[0]["text"]  # the PDF was downloaded and read


def test_a_sitemap_index_is_followed_to_its_urlsets() -> None:
    site = offline_site()
    cc = "childrens-commissioner"
    out = drive(site, make_spider(SitemapSpider, cc, sitemap_path="/wp-sitemap.xml"))
    assert sorted(i.title for i in items(out)) == sorted(d.title for d in site_docs(cc))
    sitemaps = [p for p in site.request_log if p.endswith(".xml")]
    assert sitemaps == [
        f"/sites/{cc}/wp-sitemap.xml",
        f"/sites/{cc}/wp-sitemap-posts-post-1.xml",
        f"/sites/{cc}/wp-sitemap-posts-post-2.xml",
    ]


def test_allow_since_and_unchanged_lastmod_decide_what_is_fetched(tmp_path: Path) -> None:
    site = offline_site()
    docs = site_docs(NCERCC)
    held = docs[1]
    known = tmp_path / "known.json"
    known.write_text(
        json.dumps({site.post_path(held): {"updated": held.public_updated_at.isoformat()}})
    )
    spider = make_spider(
        SitemapSpider,
        NCERCC,
        allow=[r"/news/ncercc-202[3-5]-", r"/nothing-else/"],
        since="2023-03-01",
        known_path=str(known),
    )
    got = items(drive(site, spider))
    wanted = [d for d in docs if d.public_updated_at.year >= 2023 and d is not held]
    wanted = [d for d in wanted if d.public_updated_at.isoformat() >= "2023-03-01"]
    assert sorted(i.title for i in got) == sorted(d.title for d in wanted)
    pages = [p for p in site.request_log if "/news/" in p]
    assert pages == [site.post_path(d) for d in wanted]
    assert spider.crawler.stats.get_value("policywatch/skipped_unchanged") == 1
    one = make_spider(SitemapSpider, NCERCC, allow=r"2016")
    assert len(items(drive(offline_site(), one))) == 1


def test_lastmod_is_the_update_time_the_next_run_compares_with() -> None:
    site = offline_site()
    spider = make_spider(SitemapSpider, NCERCC)
    doc = CORPUS.by_id[REPORT]
    path = site.post_path(doc)
    body = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{BASE}{path}</loc><lastmod>2025-03-04</lastmod></url></urlset>"
    ).encode()
    response = XmlResponse(f"{BASE}/s.xml", body=body, request=scrapy.Request(f"{BASE}/s.xml"))
    [item] = items(follow(site, spider, spider.parse_sitemap(response)))
    assert item.first_published_at == doc.first_published_at.isoformat()
    assert item.public_updated_at == "2025-03-04T00:00:00+00:00"  # newer than the page says


def test_parse_sitemap_reads_urlsets_indexes_gzip_and_no_namespace() -> None:
    urlset = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>/a/</loc><lastmod>2024-01-02T03:04:05+01:00</lastmod></url>"
        b"<url><loc>https://x.org/b/</loc></url><url><lastmod>2024-01-01</lastmod></url>"
        b"</urlset>"
    )
    parsed = parse_sitemap(urlset, "https://x.org/sitemap.xml")
    assert not parsed.is_index
    assert parsed.entries == [
        SitemapEntry("https://x.org/a/", "2024-01-02T02:04:05+00:00"),
        SitemapEntry("https://x.org/b/", None),
    ]
    assert parse_sitemap(gzip.compress(urlset), "https://x.org/s.xml.gz") == parsed
    index = parse_sitemap(
        b"<sitemapindex><sitemap><loc>https://x.org/s1.xml</loc></sitemap></sitemapindex>",
        "https://x.org/",
    )
    assert index.is_index and index.entries == [SitemapEntry("https://x.org/s1.xml")]
    for body, reason in [
        (b"<!DOCTYPE html><html><body>Home", "not_a_sitemap"),
        (b"<rss version='2.0'><channel/></rss>", "not_a_sitemap"),
        (urlset[:100], "malformed_sitemap"),
        (b"", "malformed_sitemap"),
        (b"\x1f\x8bnot gzip", "malformed_sitemap"),
    ]:
        with pytest.raises(SitemapError) as error:
            parse_sitemap(body, "https://x.org/")
        assert error.value.reason == reason


@pytest.mark.parametrize(
    ("sitemap_path", "fault", "reason"),
    [
        ("/news/", None, "not_a_sitemap"),  # an HTML page
        ("/sitemap.xml", "malformed", "malformed_sitemap"),
        ("/sitemap.xml", 500, "sitemap_http_error"),
        ("/wp-sitemap.xml", None, "sitemap_http_error"),  # 404: not a WordPress site
    ],
)
def test_an_unreadable_sitemap_is_an_error_record(
    sitemap_path: str, fault: int | str | None, reason: str
) -> None:
    site = offline_site()
    if fault is not None:
        site.faults[f"/sites/{NCERCC}{sitemap_path}"] = [fault]
    [error] = drive(site, make_spider(SitemapSpider, NCERCC, sitemap_path=sitemap_path))
    assert error.reason == reason and error.url == f"{BASE}/sites/{NCERCC}{sitemap_path}"


def test_bad_pages_are_error_records_and_the_rest_go_on() -> None:
    site = offline_site()
    docs = site_docs(NCERCC)
    site.faults[site.post_path(docs[0])] = ["malformed"]  # cut off in transit
    site.faults[site.post_path(docs[1])] = [404]
    out = drive(site, make_spider(SitemapSpider, NCERCC))
    assert sorted((e.reason, e.url.removeprefix(BASE)) for e in errors(out)) == sorted(
        [
            ("truncated_page", site.post_path(docs[0])),
            ("page_http_error", site.post_path(docs[1])),
        ]
    )
    assert len(items(out)) == len(docs) - 2


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


def test_a_real_crawl_refetches_only_what_changed(store: Engine, site: FixtureSite) -> None:
    site.as_of = "2025-02-25"  # before the report's update
    first = crawl(Settings(), store, site, kind="sitemap", slug=NCERCC)
    site.as_of = None
    site.request_log.clear()
    second = crawl(Settings(), store, site, kind="sitemap", slug=NCERCC)
    second_log = list(site.request_log)
    site.request_log.clear()
    third = crawl(Settings(), store, site, kind="sitemap", slug=NCERCC)

    assert first.status == "succeeded", first.message
    assert first.report.run_counts()["items_new"] == len(site_docs(NCERCC))
    assert (second.report.run_counts()["items_new_version"], second.status) == (1, "succeeded")
    assert [p for p in second_log if "/news/" in p] == [
        site.post_path(CORPUS.by_id[REPORT])
    ]  # only the page whose lastmod moved
    assert_store_matches_corpus(store, NCERCC)
    assert third.report.run_counts()["items_seen"] == 0
    assert [p for p in site.request_log if p != "/robots.txt"] == [f"/sites/{NCERCC}/sitemap.xml"]
