"""Hand-built HTML sector sites: a paginated news listing and its articles.

Mimics the many sector bodies with no API or feed, so crawlers must walk
``/news/?page=N`` by its rel=next/prev links and scrape each article page.
An item edited since publication shows an "Updated" time beside its date, so
a crawler can tell from the listing which articles changed.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from policywatch.fixture_site.corpus import CorpusDocument
from policywatch.fixture_site.formats import iso, updated_at
from policywatch.fixture_site.request import Request
from policywatch.fixture_site.responses import (
    Response,
    html_response,
    newest,
    not_found_html,
    page_html,
)
from policywatch.fixture_site.sector_pages import HTML_PAGE_SIZE, sector_article

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite


def html_listing(site: FixtureSite, req: Request, slug: str) -> Response:
    """``/news/?page=N``: ten per page, newest first, with rel=next/prev links."""
    pub = site.sector_sites.get(slug)
    raw_page = req.first("page", "1") or "1"
    if pub is None or pub.site_kind != "html" or not raw_page.isdigit():
        return not_found_html(req.path)
    docs = site.site_documents(slug, req.as_of)
    page, pages = int(raw_page), max(1, -(-len(docs) // HTML_PAGE_SIZE))
    if not 1 <= page <= pages:
        return not_found_html(req.path)
    items = "".join(
        f'<li class="news-item"><h2><a href="{site.post_path(d)}">{escape(d.title)}</a></h2>'
        f'<time datetime="{iso(d.first_published_at)}">{d.first_published_at:%-d %B %Y}</time>'
        f"{_updated(d, req)}"
        f'<p class="summary">{escape(d.description)}</p></li>\n'
        for d in docs[(page - 1) * HTML_PAGE_SIZE : page * HTML_PAGE_SIZE]
    )
    nav = "".join(
        [
            f'<a rel="prev" href="/sites/{slug}/news/?page={page - 1}">Previous</a> '
            if page > 1
            else "",
            f'<a rel="next" href="/sites/{slug}/news/?page={page + 1}">Next</a>'
            if page < pages
            else "",
        ]
    )
    body = (
        f'<h1>{escape(pub.title)}: news</h1>\n<ul class="news-list">\n{items}</ul>\n'
        f'<nav class="pagination">{nav}</nav>'
    )
    response = html_response(page_html(f"News | {pub.title}", body))
    # every visible item, not just this page's: a new item shifts the later pages too
    response.last_modified = newest(*(updated_at(d, req.as_of) for d in docs))
    return response


def _updated(doc: CorpusDocument, req: Request) -> str:
    """The listing's "Updated" line for an item edited since publication, as news sites show."""
    version = doc.version_at(req.as_of)
    if version is None or version is doc.versions[0]:
        return ""
    stamp = version.public_timestamp
    return (
        f' <span class="updated">Updated <time class="modified" datetime="{iso(stamp)}">'
        f"{stamp:%-d %B %Y}</time></span>"
    )


def html_article(site: FixtureSite, req: Request, slug: str, doc_id: str) -> Response:
    doc = next(
        (d for d in site.site_documents(slug, req.as_of) if d.id == doc_id and d.source == "html"),
        None,
    )
    if doc is None:
        return not_found_html(req.path)
    return sector_article(site, req, doc, "article-body")
