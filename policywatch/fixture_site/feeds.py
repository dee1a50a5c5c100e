"""Feeds: GOV.UK's Atom feeds and WordPress's RSS 2.0 feed.

Mimics GOV.UK organisation feeds (entry ids that change with each major
update) and finder feeds (``/search/<finder>.atom``, filterable by
organisation), plus the ``/feed/`` of WordPress sector sites with full content
in ``content:encoded``. Feeds are how crawlers notice new and updated items.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from policywatch.fixture_site.corpus import CorpusDocument
from policywatch.fixture_site.formats import iso, updated_at
from policywatch.fixture_site.govuk_metadata import SUPERGROUPS, display_type
from policywatch.fixture_site.request import Request
from policywatch.fixture_site.responses import ATOM, RSS, Response, newest, not_found_html
from policywatch.fixture_site.sector_pages import sector_body_html

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite


FEED_SIZE = 20
WP_FEED_SIZE = 10


# --------------------------------------------------------------------------- GOV.UK: Atom


def atom_feed(req: Request, title: str, docs: list[CorpusDocument], entries: list[str]) -> Response:
    """Wrap entries in an Atom 1.0 feed whose ``updated`` is the newest entry's."""
    latest = updated_at(docs[0], req.as_of) if docs else None  # docs come newest first
    updated = iso(latest or req.as_of or datetime(2015, 1, 1, tzinfo=UTC))
    self_path = req.path
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"'
        f' xml:lang="en-GB">\n<id>{escape(req.url(self_path))}</id>\n'
        f'<link rel="self" type="application/atom+xml" href="{escape(req.url(self_path))}"/>\n'
        f'<link rel="alternate" type="text/html" href="{escape(req.base_url)}/"/>\n'
        f"<title>{escape(title)}</title>\n<updated>{updated}</updated>\n"
        f"<author><name>HM Government</name></author>\n{''.join(entries)}</feed>\n"
    )
    return Response(
        200,
        xml.encode("utf-8"),
        ATOM,
        {"Access-Control-Allow-Origin": "*"},
        last_modified=latest,
    )


def atom_entry(req: Request, doc: CorpusDocument, entry_id: str, title: str) -> str:
    version = doc.version_at(req.as_of)
    assert version is not None
    url = escape(req.url(doc.base_path))
    dtype = escape(display_type(doc.document_type))
    return (
        f"<entry>\n<id>{escape(entry_id)}</id>\n<updated>{iso(version.public_timestamp)}"
        f'</updated>\n<link rel="alternate" type="text/html" href="{url}"/>\n'
        f"<title>{escape(title)}</title>\n"
        f'<category term="{dtype}" label="{dtype}"/>\n'
        f'<summary type="html">{escape(doc.description)}</summary>\n</entry>\n'
    )


def latest_govuk(
    site: FixtureSite, req: Request, keep: Callable[[CorpusDocument], bool]
) -> list[CorpusDocument]:
    """The newest FEED_SIZE visible documents by their latest visible version."""
    docs = [d for d in site.visible(site.govuk_docs, req.as_of) if keep(d)]
    docs.sort(key=lambda d: (updated_at(d, req.as_of), d.id), reverse=True)
    return docs[:FEED_SIZE]


def organisation_atom(site: FixtureSite, req: Request, slug: str) -> Response:
    """Organisation feed: entry ids change with each major update, like GOV.UK's."""
    pub = site.corpus.publishers.get(slug)
    if pub is None or pub.kind != "government":
        return not_found_html(req.path)
    docs = latest_govuk(site, req, lambda d: slug in (d.publisher, *d.other_publishers))
    entries = []
    for doc in docs:
        version = doc.version_at(req.as_of)
        assert version is not None
        entry_id = f"{req.url(doc.base_path)}#{iso(version.public_timestamp)}"
        title = f"{display_type(doc.document_type)}: {doc.title}"
        entries.append(atom_entry(req, doc, entry_id, title))
    return atom_feed(req, f"{pub.title} - Activity on GOV.UK", docs, entries)


FINDERS = {
    "news-and-communications": (
        "News and communications",
        lambda d: d.document_type in SUPERGROUPS["news_and_communications"],
    ),
    "policy-papers-and-consultations": (
        "Policy papers and consultations",
        lambda d: d.document_type in SUPERGROUPS["policy_and_engagement"],
    ),
    "all": ("Search", lambda d: True),
}


def finder_atom(site: FixtureSite, req: Request, finder: str) -> Response:
    """Finder feeds (``/search/<finder>.atom``), honouring ``organisations[]``."""
    if finder not in FINDERS:
        return not_found_html(req.path)
    title, keep = FINDERS[finder]
    orgs = set(req.values("organisations[]") + req.values("organisations"))
    docs = latest_govuk(
        site,
        req,
        lambda d: keep(d) and (not orgs or bool(orgs & {d.publisher, *d.other_publishers})),
    )
    host = urlsplit(req.base_url).hostname
    entries = [atom_entry(req, d, f"tag:{host},2005:{d.base_path}", d.title) for d in docs]
    return atom_feed(req, title, docs, entries)


# --------------------------------------------------------------------------- WordPress: RSS


def rss_feed(site: FixtureSite, req: Request, slug: str) -> Response:
    """``/feed/``: RSS 2.0 with full content in content:encoded, like WordPress."""
    pub = site.sector_sites.get(slug)
    if pub is None or pub.site_kind != "wordpress":
        return not_found_html(req.path)
    docs = site.site_documents(slug, req.as_of)[:WP_FEED_SIZE]
    items = "".join(rss_item(site, d, req) for d in docs)
    last = format_datetime(docs[0].first_published_at.astimezone(UTC), usegmt=True) if docs else ""
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{escape(pub.title)}</title>\n"
        f'<atom:link href="{req.url(req.path)}" rel="self" type="application/rss+xml"/>\n'
        f"<link>{req.url(f'/sites/{slug}/')}</link>\n"
        f"<description>{escape(pub.title)}</description>\n"
        f"<lastBuildDate>{last}</lastBuildDate>\n<language>en-GB</language>\n"
        f"{items}</channel>\n</rss>\n"
    )
    # items show their current bodies, so the newest update of any of them
    return Response(
        200,
        xml.encode("utf-8"),
        RSS,
        last_modified=newest(*(updated_at(d, req.as_of) for d in docs)),
    )


def rss_item(site: FixtureSite, doc: CorpusDocument, req: Request) -> str:
    link = escape(req.url(site.post_path(doc)))
    guid = escape(req.url(f"/sites/{doc.publisher}/?p={site.post_ids[doc.id]}"))
    published = format_datetime(doc.first_published_at.astimezone(UTC), usegmt=True)
    return (
        f"<item>\n<title>{escape(doc.title)}</title>\n<link>{link}</link>\n"
        f"<dc:creator>{escape(site.corpus.publishers[doc.publisher].title)}</dc:creator>\n"
        f"<pubDate>{published}</pubDate>\n"
        f'<guid isPermaLink="false">{guid}</guid>\n'
        f"<description>{escape(doc.description)}</description>\n"
        f"<content:encoded>{escape(sector_body_html(site, doc, req))}</content:encoded>\n"
        "</item>\n"
    )
