"""The fixture's own top-level pages: home, sector-site index and robots.txt.

The home and ``/sites/`` pages let a person (or a link-following crawler)
find every feed, API and site served. ``robots.txt`` disallows ``/private/``,
which is served anyway as bait: a polite crawler never requests it.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from policywatch.fixture_site.formats import iso
from policywatch.fixture_site.request import Request
from policywatch.fixture_site.responses import TEXT, Response, html_response, page_html

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite


def _sites_list(site: FixtureSite) -> str:
    items = "".join(
        f'<li><a href="/sites/{p.slug}/">{escape(p.title)}</a> ({p.site_kind})</li>'
        for p in site.sector_sites.values()
    )
    return f'<ul class="sites">{items}</ul>'


def sites_index(site: FixtureSite, req: Request) -> Response:
    body = f"<h1>Sector sites</h1>{_sites_list(site)}"
    return html_response(page_html("Sector sites", body))


def home(site: FixtureSite, req: Request) -> Response:
    when = iso(req.as_of) if req.as_of else "latest"
    orgs = "".join(
        f'<li>{escape(p.title)}: <a href="/government/organisations/{p.slug}.atom">Atom</a>, '
        f'<a href="/api/search.json?filter_organisations={p.slug}&amp;order=-public_timestamp">'
        "search</a></li>"
        for p in site.corpus.publishers.values()
        if p.kind == "government"
    )
    body = (
        f"<h1>PolicyWatch fixture site</h1><p>Serving the demo corpus as of {when}: "
        f"{len(site.visible(site.corpus.documents, req.as_of))} documents.</p>\n"
        '<h2>GOV.UK</h2><ul><li><a href="/api/search.json">Search API</a></li>'
        '<li><a href="/search/news-and-communications.atom">News and communications feed'
        f"</a></li>{orgs}</ul>\n"
        f'<h2><a href="/sites/">Sector sites</a></h2>{_sites_list(site)}'
    )
    return html_response(page_html("PolicyWatch fixture site", body))


def robots(site: FixtureSite, req: Request) -> Response:
    text = "User-agent: *\nDisallow: /private/\n"
    return Response(200, text.encode(), TEXT)


def private(site: FixtureSite, req: Request) -> Response:
    """Bait for robots.txt compliance: a polite crawler never asks for this."""
    return html_response(page_html("Private", "<h1>Private</h1><p>Disallowed by robots.txt.</p>"))
