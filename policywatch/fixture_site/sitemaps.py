"""Sitemaps for the sector sites: ``/sitemap.xml`` and WordPress core's index.

Mimics the XML sitemaps (sitemaps.org protocol 0.9) sector bodies publish:
every sector site has ``/sitemap.xml``, a ``urlset`` of its article URLs with
``<lastmod>`` set to the time of the version visible at ``as_of`` (so a
crawler can skip what has not changed), and WordPress sites also have the
``/wp-sitemap.xml`` index WordPress 5.5+ generates, pointing at paged
``/wp-sitemap-posts-post-<n>.xml`` urlsets, so crawlers must follow an index.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from policywatch.fixture_site.corpus import CorpusDocument
from policywatch.fixture_site.formats import iso, updated_at
from policywatch.fixture_site.request import Request
from policywatch.fixture_site.responses import Response, newest, not_found_html

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite

XML = "application/xml; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: posts per WordPress core sitemap page (WordPress uses 2000; small here so paging shows)
WP_SITEMAP_PAGE_SIZE = 5


def _xml(body: str) -> Response:
    return Response(200, f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode(), XML)


def _urlset(site: FixtureSite, req: Request, docs: list[CorpusDocument]) -> Response:
    urls = "".join(
        f"<url><loc>{escape(req.url(site.post_path(d)))}</loc>"
        f"<lastmod>{iso(updated_at(d, req.as_of))}</lastmod></url>\n"
        for d in docs
    )
    response = _xml(f'<urlset xmlns="{SITEMAP_NS}">\n{urls}</urlset>\n')
    response.last_modified = newest(*(updated_at(d, req.as_of) for d in docs))
    return response


def sitemap(site: FixtureSite, req: Request, slug: str) -> Response:
    """``/sites/<slug>/sitemap.xml``: every visible article, newest first."""
    if slug not in site.sector_sites:
        return not_found_html(req.path)
    return _urlset(site, req, site.site_documents(slug, req.as_of))


def _wp_docs(site: FixtureSite, req: Request, slug: str) -> list[CorpusDocument] | None:
    pub = site.sector_sites.get(slug)
    if pub is None or pub.site_kind != "wordpress":
        return None
    # WordPress core lists posts oldest first, so page N keeps its posts as new ones arrive
    return site.site_documents(slug, req.as_of)[::-1]


def wp_sitemap_index(site: FixtureSite, req: Request, slug: str) -> Response:
    """``/sites/<slug>/wp-sitemap.xml``: a sitemapindex of the paged post sitemaps."""
    docs = _wp_docs(site, req, slug)
    if docs is None:
        return not_found_html(req.path)
    pages = max(1, -(-len(docs) // WP_SITEMAP_PAGE_SIZE))
    entries = "".join(
        f"<sitemap><loc>{escape(req.url(f'/sites/{slug}/wp-sitemap-posts-post-{n}.xml'))}"
        "</loc></sitemap>\n"
        for n in range(1, pages + 1)
    )
    response = _xml(f'<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}</sitemapindex>\n')
    response.last_modified = newest(*(updated_at(d, req.as_of) for d in docs))
    return response


def wp_sitemap_posts(site: FixtureSite, req: Request, slug: str, page: str) -> Response:
    """``/sites/<slug>/wp-sitemap-posts-post-<n>.xml``: one page of posts, oldest first."""
    docs = _wp_docs(site, req, slug)
    number = int(page)
    if docs is None or number < 1:
        return not_found_html(req.path)
    chunk = docs[(number - 1) * WP_SITEMAP_PAGE_SIZE : number * WP_SITEMAP_PAGE_SIZE]
    if not chunk and number > 1:
        return not_found_html(req.path)
    return _urlset(site, req, chunk)
