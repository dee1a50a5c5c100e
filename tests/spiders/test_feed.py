"""The feed spider: RSS 2.0 and Atom 1.0, on the fixture site's feeds and pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import scrapy
from scrapy.http import XmlResponse
from sqlalchemy.engine import Engine

from policywatch.config import Settings
from policywatch.fixture_site.server import FixtureSite
from policywatch.store import migrate
from policywatch.store.db import make_engine
from spiders.feed import FeedSpider, parse_feed
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

CC = "childrens-commissioner"


def test_a_wordpress_rss_feed_gives_every_post_with_its_full_content() -> None:
    site = offline_site()
    out = drive(site, make_spider(FeedSpider, CC))
    expected = site_docs(CC)
    assert errors(out) == []
    assert len(items(out)) == len(expected)
    for item, doc in zip(items(out), expected, strict=True):
        assert_item_matches(item, doc, slug=CC, whole_body=True)
        assert item.external_id == f"wp:{site.post_ids[doc.id]}"  # the REST API's post id
        assert item.description == doc.description
        assert item.document_type == "blog_post"
        assert item.organisations == [{"slug": CC, "title": "Children's Commissioner for England"}]
        assert item.http == {} and item.warnings == []  # the feed's validators are not the post's
    assert site.request_log == [f"/sites/{CC}/feed/"]  # content:encoded: no page fetched


def test_since_as_of_and_options() -> None:
    site = offline_site(as_of="2023-01-01")
    spider = make_spider(
        FeedSpider, CC, since="2021-12-01", document_type="news", publisher_title="CCO"
    )
    got = items(drive(site, spider))
    since = datetime(2021, 12, 1, tzinfo=UTC)
    assert [i.title for i in got] == [
        d.title for d in site_docs(CC, "2023-01-01") if d.first_published_at >= since
    ]
    assert len(got) == 2  # the feed as of 2023 also has older posts, and none newer
    assert {i.document_type for i in got} == {"news"}
    assert got[0].organisations == [{"slug": CC, "title": "CCO"}]
    with pytest.raises(ValueError, match="fetch_articles"):
        make_spider(FeedSpider, CC, fetch_articles="sometimes")
    assert make_spider(FeedSpider, CC, feed_url="https://elsewhere.org/rss").feed_url == (
        "https://elsewhere.org/rss"
    )


def test_fetch_articles_always_reads_each_page_and_keeps_its_validators() -> None:
    site = offline_site()
    out = drive(site, make_spider(FeedSpider, "adcs", fetch_articles="always"))
    expected = site_docs("adcs")
    for item, doc in zip(items(out), expected, strict=True):
        assert_item_matches(item, doc, slug="adcs", whole_body=True)
        assert set(item.http) == {"etag", "last_modified"}
    assert len(site.request_log) == 1 + len(expected)


def atom(entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>urn:x</id><title type='html'>NCERCC &amp;amp; friends</title>"
        f"<updated>2025-03-03T09:00:00Z</updated>{entries}</feed>"
    ).encode()


def atom_entry(site: FixtureSite, doc_id: str, content: str = "") -> str:
    doc = CORPUS.by_id[doc_id]
    return (
        f"<entry><id>urn:{doc.id}</id><title>{doc.title}</title>"
        f'<link href="{BASE}{site.post_path(doc)}"/>'
        f"<published>{doc.first_published_at.isoformat()}</published>"
        f"<updated>{doc.public_updated_at.isoformat()}</updated>"
        f"<summary>{doc.description}</summary>{content}</entry>"
    )


def test_an_atom_feed_without_content_leads_to_the_article_pages() -> None:
    site = offline_site()
    report = "ncercc-2025-02-residential-sufficiency-report"  # edited once, with a PDF
    news = "ncercc-2022-10-hesley-panel-news"
    body = atom(
        atom_entry(site, report)
        + atom_entry(
            site,
            news,
            '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
            "<p>The panel&#8217;s <b>own</b> words.</p></div></content>",
        )
    )
    spider = make_spider(FeedSpider, "ncercc", feed_path="/atom.xml")
    response = XmlResponse(
        f"{BASE}/sites/ncercc/atom.xml", body=body, request=scrapy.Request(f"{BASE}/x")
    )
    out = follow(site, spider, spider.parse_feed(response))
    inline, fetched = items(out)  # the inline entry comes first; the page needed a request
    assert inline.body_html == "<p>The panel\u2019s <b>own</b> words.</p>"
    assert inline.title == CORPUS.by_id[news].title and inline.external_id is None
    assert_item_matches(fetched, CORPUS.by_id[report], slug="ncercc")
    assert fetched.description == CORPUS.by_id[report].description
    assert fetched.attachments[0]["text"].startswith(
        " ".join(CORPUS.by_id[report].attachments[0].text.split()[:4])
    )  # the PDF was downloaded and read
    assert site.request_log == [
        f"/sites/ncercc/news/{report}/",
        "/sites/ncercc/reports/ncercc-residential-child-care-2025.pdf",
    ]
    feed = parse_feed(body, f"{BASE}/sites/ncercc/atom.xml")
    assert feed.title == "NCERCC & friends"
    assert (feed.entries[0].published, feed.entries[0].updated) == (
        "2025-02-20T10:00:00+00:00",
        "2025-03-03T09:00:00+00:00",
    )


def rss_page(items: list[tuple[str, str]], next_url: str | None) -> XmlResponse:
    entries = "".join(
        f"<item><title>{title}</title><link>{BASE}/p/{title}/</link><pubDate>{when}</pubDate>"
        f"<content:encoded>&lt;p&gt;Text of {title}.&lt;/p&gt;</content:encoded></item>"
        for title, when in items
    )
    paging = f'<atom:link rel="next" href="{next_url}"/>' if next_url else ""
    body = (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        f'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title>{paging}'
        f"{entries}</channel></rss>"
    )
    return XmlResponse(f"{BASE}/feed/", body=body.encode(), request=scrapy.Request(f"{BASE}/f"))


def test_a_paged_feed_is_followed_until_since() -> None:
    page = rss_page([("new", "Mon, 06 May 2024 09:00:00 GMT")], f"{BASE}/feed/?paged=2")
    spider = make_spider(FeedSpider, CC)
    [item, next_page] = spider.parse_feed(page)
    assert item.body_text == "Text of new." and item.first_published_at == (
        "2024-05-06T09:00:00+00:00"
    )
    assert next_page.url == f"{BASE}/feed/?paged=2" and next_page.cb_kwargs == {"page": 2}
    older = rss_page(
        [("new", "Mon, 06 May 2024 09:00:00 GMT"), ("old", "Mon, 01 Jan 2024 09:00:00 GMT")],
        f"{BASE}/feed/?paged=2",
    )
    since = make_spider(FeedSpider, CC, since="2024-02-01")
    assert [i.title for i in since.parse_feed(older)] == ["new"]  # no next page: since reached
    one_page = list(make_spider(FeedSpider, CC, max_pages=1).parse_feed(page))
    assert [type(o).__name__ for o in one_page] == ["AnnouncementItem"]


def test_only_an_explicit_update_time_can_skip_an_entry(tmp_path: Path) -> None:
    site = offline_site()
    report = CORPUS.by_id["ncercc-2025-02-residential-sufficiency-report"]
    path = site.post_path(report)
    known = tmp_path / "known.json"
    known.write_text(json.dumps({path: {"updated": "2025-03-03T09:00:00Z"}}))
    spider = make_spider(FeedSpider, "ncercc", known_path=str(known))
    response = XmlResponse(
        f"{BASE}/f", body=atom(atom_entry(site, report.id)), request=scrapy.Request(f"{BASE}/f")
    )
    assert list(spider.parse_feed(response)) == []  # Atom <updated> equals what we hold
    assert spider.crawler.stats.get_value("policywatch/skipped_unchanged") == 1

    rss_known = tmp_path / "rss.json"
    doc = site_docs(CC)[0]
    rss_known.write_text(
        json.dumps({site.post_path(doc): {"updated": doc.public_updated_at.isoformat()}})
    )
    rss = make_spider(FeedSpider, CC, known_path=str(rss_known))
    assert len(items(drive(site, rss))) == len(site_docs(CC))  # RSS pubDate proves nothing


def test_the_feed_is_fetched_conditionally(tmp_path: Path) -> None:
    site = offline_site()
    first = site.handle(f"/sites/{CC}/feed/")
    known = tmp_path / "known.json"
    known.write_text(json.dumps({f"/sites/{CC}/feed/": {"etag": first.headers["ETag"]}}))
    spider = make_spider(FeedSpider, CC, known_path=str(known))
    assert drive(site, spider) == []  # 304 Not Modified: nothing to do, nothing wrong
    assert spider.crawler.stats.get_value("policywatch/not_modified") == 1


@pytest.mark.parametrize(
    ("path", "fault", "reason"),
    [
        ("/sites/ncercc/news/", None, "not_a_feed"),  # an HTML page
        ("/sites/adcs/wp-json/wp/v2/posts", None, "not_a_feed"),  # JSON
        ("/sites/adcs/sitemap.xml", None, "not_a_feed"),  # XML of another kind
        ("/sites/adcs/feed/", "malformed", "malformed_feed"),  # cut short
        ("/sites/kinship/feed/", None, "feed_http_error"),  # 404
    ],
)
def test_what_is_not_a_readable_feed_is_an_error_record(
    path: str, fault: str | None, reason: str
) -> None:
    site = offline_site()
    if fault:
        site.faults[path] = [fault]
    slug = path.split("/")[2]
    out = drive(site, make_spider(FeedSpider, slug, feed_path=path.split(slug, 1)[1]))
    assert [(type(e).__name__, e.reason) for e in out] == [("CrawlErrorItem", reason)]
    assert out[0].url == BASE + path


def test_a_broken_article_page_is_an_error_record_and_the_rest_go_on() -> None:
    site = offline_site()
    docs = site_docs("adcs")
    site.faults[site.post_path(docs[0])] = ["malformed"]
    site.faults[site.post_path(docs[1])] = [404]
    out = drive(site, make_spider(FeedSpider, "adcs", fetch_articles="always"))
    assert sorted(e.reason for e in errors(out)) == ["article_http_error", "truncated_page"]
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


def test_a_real_crawl_stores_the_site_and_a_second_adds_nothing(
    store: Engine, site: FixtureSite
) -> None:
    first = crawl(Settings(), store, site, kind="feed", slug=CC)
    second = crawl(Settings(), store, site, kind="feed", slug=CC)

    assert first.status == "succeeded", first.message
    assert first.report.run_counts()["items_new"] == len(site_docs(CC))
    assert_store_matches_corpus(store, CC)
    assert second.status == "succeeded" and second.since is not None
    assert (
        second.report.run_counts()["items_new"],
        second.report.run_counts()["items_new_version"],
    ) == (0, 0)
    pages = [p for p in site.request_log if p.startswith(f"/sites/{CC}/") and "/feed/" not in p]
    assert pages == []  # the feed carries full content: no article page was ever fetched
