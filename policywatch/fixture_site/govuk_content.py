"""GOV.UK's Content API (``/api/content/<base_path>``): content-store items.

Mimics the JSON a crawler fetches after finding a document via search or a
feed: body, change history, attachments and expanded links (organisations,
taxons with their parents, people, government), as the document stood at
``as_of``. Taxons and organisations are served at their own paths too.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from policywatch.fixture_site.corpus import (
    CONSULTATION_TYPES,
    CONTENT_ID_NAMESPACE,
    NEWS_TYPES,
    SPEECH_TYPES,
    CorpusDocument,
    Publisher,
    Taxon,
    render_body_html,
)
from policywatch.fixture_site.formats import iso, updated_at
from policywatch.fixture_site.govuk_metadata import (
    ANNOUNCEMENTS,
    doc_organisations,
    government,
    is_political,
)
from policywatch.fixture_site.request import Request
from policywatch.fixture_site.responses import Response, json_response, newest

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite


def schema_name(document_type: str) -> str:
    if document_type in NEWS_TYPES:
        return "news_article"
    if document_type in SPEECH_TYPES:
        return "speech"
    if document_type in CONSULTATION_TYPES:
        return "consultation"
    return "publication"


def linked_organisation(site: FixtureSite, pub: Publisher) -> dict[str, Any]:
    base_path = f"/government/organisations/{pub.slug}"
    return {
        "api_path": f"/api/content{base_path}",
        "api_url": site.base_url + f"/api/content{base_path}",
        "base_path": base_path,
        "content_id": pub.content_id or "",
        "document_type": "organisation",
        "locale": "en",
        "schema_name": "organisation",
        "title": pub.title,
        "web_url": site.base_url + base_path,
        "withdrawn": False,
        "details": {
            "acronym": pub.acronym or "",
            "brand": pub.slug,
            "organisation_govuk_status": {"status": "live"},
        },
        "links": {},
    }


def linked_taxon(
    site: FixtureSite, taxon: Taxon, seen: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A taxon with its parent chain nested under links.parent_taxons."""
    parent = site.corpus.taxons.get(taxon.parent) if taxon.parent else None
    links: dict[str, Any] = {}
    if parent is not None and parent.base_path not in seen:
        links["parent_taxons"] = [linked_taxon(site, parent, seen | {taxon.base_path})]
    return {
        "content_id": taxon.content_id,
        "title": taxon.title,
        "locale": "en",
        "api_path": f"/api/content{taxon.base_path}",
        "api_url": site.base_url + f"/api/content{taxon.base_path}",
        "base_path": taxon.base_path,
        "document_type": "taxon",
        "schema_name": "taxon",
        "web_url": site.base_url + taxon.base_path,
        "withdrawn": False,
        "phase": "live",
        "details": {"internal_name": taxon.title},
        "links": links,
    }


def linked_person(site: FixtureSite, slug: str) -> dict[str, Any]:
    base_path = f"/government/people/{slug}"
    return {
        "base_path": base_path,
        "api_path": f"/api/content{base_path}",
        "title": slug.replace("-", " ").title(),
        "document_type": "person",
        "schema_name": "person",
        "locale": "en",
        "web_url": site.base_url + base_path,
        "content_id": str(uuid.uuid5(CONTENT_ID_NAMESPACE, f"person/{slug}")),
        "links": {},
    }


def content_links(site: FixtureSite, doc: CorpusDocument, as_of: datetime | None) -> dict[str, Any]:
    orgs = [linked_organisation(site, p) for p in doc_organisations(site, doc)]
    taxons = [linked_taxon(site, t) for b in doc.taxons if (t := site.corpus.taxons.get(b))]
    gov = government(doc.first_published_at, as_of)
    return {
        "organisations": orgs,
        "primary_publishing_organisation": orgs[:1],
        "taxons": taxons,
        "people": [linked_person(site, p) for p in doc.people],
        "government": [
            {
                "title": gov["title"],
                "base_path": f"/government/{gov['slug']}",
                "document_type": "government",
                "locale": "en",
                "details": {"current": gov["current"]},
            }
        ],
    }


def attachment_json(site: FixtureSite, doc: CorpusDocument) -> list[dict[str, Any]]:
    return [
        {
            "attachment_type": "file",
            "id": a.filename,
            "title": a.title,
            "url": site.base_url + site.attachment_path(doc, a),
            "content_type": "application/pdf",
            "filename": a.filename,
            "file_size": len(site.pdf_bytes(doc, a)),
        }
        for a in doc.attachments
    ]


def content_details(
    site: FixtureSite, doc: CorpusDocument, as_of: datetime | None
) -> dict[str, Any]:
    versions = doc.visible_versions(as_of)
    details: dict[str, Any] = {
        "body": f'<div class="govspeak">{render_body_html(doc.body_at(as_of) or "")}</div>',
        "change_history": [
            {"public_timestamp": iso(v.public_timestamp), "note": v.note}
            for v in reversed(versions)
        ],
        "government": government(doc.first_published_at, as_of),
        "political": is_political(doc),
        "attachments": attachment_json(site, doc),
    }
    if doc.document_type in NEWS_TYPES:
        details["first_public_at"] = iso(doc.first_published_at)
    if doc.document_type in SPEECH_TYPES:
        details["delivered_on"] = iso(doc.first_published_at)
    return details


def content_item(site: FixtureSite, doc: CorpusDocument, as_of: datetime | None) -> dict[str, Any]:
    """A content-store item for the document as it stood at ``as_of``."""
    version = doc.version_at(as_of)
    assert version is not None
    item: dict[str, Any] = {
        "analytics_identifier": None,
        "base_path": doc.base_path,
        "content_id": doc.content_id,
        "title": doc.title,
        "description": doc.description,
        "locale": "en",
        "document_type": doc.document_type,
        "schema_name": schema_name(doc.document_type),
        "first_published_at": iso(doc.first_published_at),
        "public_updated_at": iso(version.public_timestamp),
        "updated_at": iso(version.public_timestamp),
        "publishing_app": "whitehall",
        "rendering_app": "frontend",
        "phase": "live",
        "email_document_supertype": (
            "announcements" if doc.document_type in ANNOUNCEMENTS else "publications"
        ),
        "government_document_supertype": doc.document_type.replace("_", "-") + "s",
        "navigation_document_supertype": "other",
        "user_journey_document_supertype": "thing",
        "details": content_details(site, doc, as_of),
        "links": content_links(site, doc, as_of),
    }
    withdrawn = doc.withdrawn_at(as_of)
    if withdrawn is not None:
        item["withdrawn_notice"] = {
            "explanation": f'<div class="govspeak"><p>{escape(withdrawn.explanation)}</p></div>',
            "withdrawn_at": iso(withdrawn.withdrawn_at),
        }
    return item


def last_change(doc: CorpusDocument, as_of: datetime | None) -> datetime | None:
    """When a GOV.UK document last changed at ``as_of``: its latest version or withdrawal."""
    withdrawn = doc.withdrawn_at(as_of)
    return newest(updated_at(doc, as_of), withdrawn.withdrawn_at if withdrawn else None)


def content_api(site: FixtureSite, req: Request, path: str) -> Response:
    """``/api/content/<base_path>``: documents, and the taxons and organisations they link."""
    base_path = "/" + path.strip("/")
    doc = site.visible_by_base_path(base_path, req.as_of)
    if doc is not None:
        response = json_response(content_item(site, doc, req.as_of))
        response.last_modified = last_change(doc, req.as_of)
        return response
    taxon = site.corpus.taxons.get(base_path)
    if taxon is not None:
        return json_response(linked_taxon(site, taxon))
    org_slug = base_path.removeprefix("/government/organisations/")
    pub = site.corpus.publishers.get(org_slug)
    if pub is not None and pub.kind == "government" and org_slug != base_path:
        return json_response(linked_organisation(site, pub))
    return json_response(
        {"error": {"code": "not_found", "message": f"Could not find content item {base_path}"}}, 404
    )
