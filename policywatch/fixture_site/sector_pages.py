"""Pages every sector site has, whether WordPress or hand-built HTML.

Mimics a sector body's home page, its article pages (WordPress and plain
sites differ only in the body's CSS class) and its attachment PDFs, and
renders the body HTML with attachment links that the REST API and RSS share.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote

from policywatch.fixture_site.corpus import CorpusDocument, render_body_html
from policywatch.fixture_site.formats import iso
from policywatch.fixture_site.request import Request
from policywatch.fixture_site.responses import (
    PDF,
    Response,
    html_response,
    not_found_html,
    page_html,
)

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite


HTML_PAGE_SIZE = 10


def sector_body_html(site: FixtureSite, doc: CorpusDocument, req: Request) -> str:
    """Body HTML plus links to the attachments, as sector sites embed them."""
    links = "".join(
        f'<p><a href="{req.url(site.attachment_path(doc, a))}">{escape(a.title)} (PDF)</a></p>\n'
        for a in doc.attachments
    )
    return render_body_html(doc.body_at(req.as_of) or "") + "\n" + links


def sector_article(
    site: FixtureSite, req: Request, doc: CorpusDocument, body_class: str
) -> Response:
    """An article page; WordPress and hand-built sites differ only in the body class."""
    version = doc.version_at(req.as_of)
    assert version is not None
    pub = site.corpus.publishers[doc.publisher]
    updated = (
        f' <span class="updated">Updated <time class="modified" '
        f'datetime="{iso(version.public_timestamp)}">{version.public_timestamp:%-d %B %Y}'
        "</time></span>"
        if version is not doc.versions[0]
        else ""
    )
    body = (
        f'<header><p class="site"><a href="/sites/{doc.publisher}/">{escape(pub.title)}</a>'
        f"</p></header>\n<article>\n<h1>{escape(doc.title)}</h1>\n"
        f'<p class="meta"><time datetime="{iso(doc.first_published_at)}">'
        f"{doc.first_published_at:%-d %B %Y}</time>{updated}</p>\n"
        f'<div class="{body_class}">\n{sector_body_html(site, doc, req)}</div>\n'
        "</article>"
    )
    head = (
        f'<meta property="article:published_time" content="{iso(doc.first_published_at)}">\n'
        f'<meta property="article:modified_time" content="{iso(version.public_timestamp)}">\n'
        f'<meta name="description" content="{escape(doc.description)}">\n'
        f'<link rel="canonical" href="{req.url(site.post_path(doc))}">\n'
    )
    response = html_response(page_html(f"{doc.title} | {pub.title}", body, head))
    response.last_modified = version.public_timestamp
    return response


def sector_attachment(
    site: FixtureSite, req: Request, slug: str, folder: str, filename: str
) -> Response:
    source = "wordpress" if folder == "wp-content/uploads" else "html"
    for doc in site.site_documents(slug, req.as_of):
        for a in doc.attachments:
            if doc.source == source and quote(a.filename) == filename:
                return Response(200, site.pdf_bytes(doc, a), PDF)
    return not_found_html(req.path)


def sector_home(site: FixtureSite, req: Request, slug: str) -> Response:
    pub = site.sector_sites.get(slug)
    if pub is None:
        return not_found_html(req.path)
    docs = site.site_documents(slug, req.as_of)[:HTML_PAGE_SIZE]
    items = "".join(f'<li><a href="{site.post_path(d)}">{escape(d.title)}</a></li>' for d in docs)
    extra = (
        f'<p><a href="/sites/{slug}/news/">All news</a></p>'
        if pub.site_kind == "html"
        else f'<p><a href="/sites/{slug}/feed/">RSS feed</a> · '
        f'<a href="/sites/{slug}/wp-json/wp/v2/posts">wp-json</a></p>'
    )
    head = (
        f'<link rel="alternate" type="application/rss+xml" href="/sites/{slug}/feed/">\n'
        if pub.site_kind == "wordpress"
        else ""
    )
    body = f"<h1>{escape(pub.title)}</h1>\n{extra}\n<ul>{items}</ul>"
    return html_response(page_html(pub.title, body, head))
