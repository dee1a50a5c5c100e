"""GOV.UK as a browser sees it: document pages and attachment downloads.

Mimics www.gov.uk's HTML (metadata list, body, attachments, change history,
withdrawn notice) so crawlers that scrape pages see the same content as the
Content API, and serves attachment PDFs under GOV.UK's uploads path.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote

from policywatch.fixture_site.corpus import CorpusDocument, render_body_html
from policywatch.fixture_site.formats import iso
from policywatch.fixture_site.govuk_metadata import display_type, doc_organisations
from policywatch.fixture_site.request import Request
from policywatch.fixture_site.responses import (
    PDF,
    Response,
    html_response,
    newest,
    not_found_html,
    page_html,
)

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite


UPLOADS = "/government/uploads/system/uploads/attachment_data/file"


def govuk_page(site: FixtureSite, req: Request, doc: CorpusDocument) -> Response:
    """The human web page; crawlers that scrape HTML see the same content as the API."""
    version = doc.version_at(req.as_of)
    assert version is not None
    orgs = ", ".join(escape(p.title) for p in doc_organisations(site, doc))
    history = "".join(
        f'<li><time datetime="{iso(v.public_timestamp)}">{v.public_timestamp:%-d %B %Y}</time> '
        f"{escape(v.note)}</li>"
        for v in reversed(doc.visible_versions(req.as_of))
    )
    attachments = "".join(
        f'<li><a class="attachment" href="{site.attachment_path(doc, a)}">{escape(a.title)}</a>'
        "</li>"
        for a in doc.attachments
    )
    withdrawn = doc.withdrawn_at(req.as_of)
    kind = display_type(doc.document_type).lower()
    notice = (
        f'<div class="withdrawn-notice"><strong>This {kind} was withdrawn on '
        f"{withdrawn.withdrawn_at:%-d %B %Y}</strong><p>{escape(withdrawn.explanation)}</p></div>"
        if withdrawn
        else ""
    )
    body = f"""<header><p class="document-type">{display_type(doc.document_type)}</p>
<h1>{escape(doc.title)}</h1><p class="description">{escape(doc.description)}</p></header>
{notice}<dl class="metadata"><dt>From:</dt><dd class="organisations">{orgs}</dd>
<dt>Published</dt><dd><time class="published" datetime="{iso(doc.first_published_at)}">\
{doc.first_published_at:%-d %B %Y}</time></dd>
<dt>Last updated</dt><dd><time class="updated" datetime="{iso(version.public_timestamp)}">\
{version.public_timestamp:%-d %B %Y}</time></dd></dl>
<div class="govspeak">{render_body_html(doc.body_at(req.as_of) or "")}</div>
{f'<h2>Documents</h2><ul class="attachments">{attachments}</ul>' if attachments else ""}
<h2>Updates to this page</h2><ol class="change-history">{history}</ol>"""
    head = (
        f'<meta name="govuk:content-id" content="{doc.content_id}">\n'
        f'<link rel="canonical" href="{req.url(doc.base_path)}">\n'
    )
    response = html_response(page_html(f"{doc.title} - GOV.UK", body, head))
    response.last_modified = newest(
        version.public_timestamp, withdrawn.withdrawn_at if withdrawn else None
    )
    return response


def govuk_attachment(site: FixtureSite, req: Request, number: str, filename: str) -> Response:
    for doc in site.visible(site.govuk_docs, req.as_of):
        for a in doc.attachments:
            key = f"{doc.id}/{a.filename}"
            if site.attachment_numbers.get(key) == int(number) and quote(a.filename) == filename:
                return Response(200, site.pdf_bytes(doc, a), PDF)
    return not_found_html(req.path)
