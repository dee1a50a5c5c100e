"""Sector-site sitemaps (tiny corpus) and the listing's "Updated" times (demo corpus)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from policywatch.fixture_site import sitemaps
from policywatch.fixture_site.corpus import load_corpus
from policywatch.fixture_site.server import FixtureSite

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def urlset(client: httpx.Client, path: str) -> list[tuple[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SM}urlset"
    return [(u.findtext(f"{SM}loc") or "", u.findtext(f"{SM}lastmod") or "") for u in root]


def test_every_sector_site_has_a_sitemap_of_its_articles(
    site: FixtureSite, client: httpx.Client
) -> None:
    cc = urlset(client, "/sites/childrens-commissioner/sitemap.xml")
    assert cc == [
        (
            f"{site.base_url}/sites/childrens-commissioner/2023/11/cc-blog-2/",
            "2024-01-05T10:00:00Z",
        ),
        (
            f"{site.base_url}/sites/childrens-commissioner/2021/03/cc-blog-1/",
            "2021-03-03T10:00:00Z",
        ),
        (
            f"{site.base_url}/sites/childrens-commissioner/2018/01/cc-blog-0/",
            "2018-01-10T10:00:00Z",
        ),
    ]
    kinship = urlset(client, "/sites/kinship/sitemap.xml")
    assert len(kinship) == 12
    assert kinship[0] == (
        f"{site.base_url}/sites/kinship/news/kinship-news-11/",
        "2022-12-15T10:00:00Z",
    )
    for loc, _ in kinship + cc:  # every URL in a sitemap is a page that exists
        assert client.get(loc.removeprefix(site.base_url)).status_code == 200
    assert client.get("/sites/nobody/sitemap.xml").status_code == 404


def test_sitemap_lastmod_follows_as_of(site: FixtureSite, client: httpx.Client) -> None:
    site.as_of = "2023-12-31"
    cc = urlset(client, "/sites/childrens-commissioner/sitemap.xml")
    assert cc[0] == (
        f"{site.base_url}/sites/childrens-commissioner/2023/11/cc-blog-2/",
        "2023-11-20T10:00:00Z",  # the update of 2024-01-05 has not happened yet
    )
    site.as_of = "2019-01-01"
    assert [loc for loc, _ in urlset(client, "/sites/childrens-commissioner/sitemap.xml")] == [
        f"{site.base_url}/sites/childrens-commissioner/2018/01/cc-blog-0/"
    ]


def test_wordpress_sitemap_index_pages_posts_oldest_first(
    site: FixtureSite, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sitemaps, "WP_SITEMAP_PAGE_SIZE", 2)
    index = ET.fromstring(client.get("/sites/childrens-commissioner/wp-sitemap.xml").content)
    assert index.tag == f"{SM}sitemapindex"
    locs = [s.findtext(f"{SM}loc") for s in index]
    assert locs == [
        f"{site.base_url}/sites/childrens-commissioner/wp-sitemap-posts-post-1.xml",
        f"{site.base_url}/sites/childrens-commissioner/wp-sitemap-posts-post-2.xml",
    ]
    first = urlset(client, "/sites/childrens-commissioner/wp-sitemap-posts-post-1.xml")
    second = urlset(client, "/sites/childrens-commissioner/wp-sitemap-posts-post-2.xml")
    assert [loc.rsplit("/", 2)[1] for loc, _ in first + second] == [
        "cc-blog-0",
        "cc-blog-1",
        "cc-blog-2",
    ]
    assert (
        client.get("/sites/childrens-commissioner/wp-sitemap-posts-post-3.xml").status_code == 404
    )
    assert client.get("/sites/kinship/wp-sitemap.xml").status_code == 404  # not WordPress


def test_listing_shows_the_update_time_of_edited_items() -> None:
    demo = FixtureSite(load_corpus())  # the tiny corpus has no edited HTML-site item
    report = "ncercc-2025-02-residential-sufficiency-report"
    item = next(
        li for li in demo.handle("/sites/ncercc/news/").body.decode().split("<li") if report in li
    )
    assert '<time datetime="2025-02-20T10:00:00Z">20 February 2025</time>' in item
    assert (
        '<span class="updated">Updated <time class="modified" '
        'datetime="2025-03-03T09:00:00Z">3 March 2025</time></span>'
    ) in item
    demo.as_of = "2025-02-25"
    item = next(
        li for li in demo.handle("/sites/ncercc/news/").body.decode().split("<li") if report in li
    )
    assert 'class="updated"' not in item
