"""GOV.UK's Search API (``/api/search.json``) over the visible govuk documents.

Mimics search-api's parameters (``q``, ``count``, ``start``, ``order``,
``fields``, ``filter_*``/``reject_*`` with any/all, date ranges), its result
fields (organisations, supergroups, taxonomy tree, ...) and its strictness:
anything it would refuse is a 422, so the crawler's queries are checked too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from policywatch.fixture_site.corpus import CorpusDocument, Publisher, to_datetime
from policywatch.fixture_site.formats import iso
from policywatch.fixture_site.govuk_metadata import (
    ANNOUNCEMENTS,
    SUBGROUPS,
    SUPERGROUPS,
    display_type,
    doc_organisations,
    government,
    group_of,
    is_political,
)
from policywatch.fixture_site.request import ParamError, Request
from policywatch.fixture_site.responses import Response, json_response

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite


MAX_COUNT = 1500


def organisation_summary(pub: Publisher) -> dict[str, Any]:
    """The organisation object the Search API embeds in each result."""
    return {
        "slug": pub.slug,
        "title": pub.title,
        "acronym": pub.acronym or "",
        "link": f"/government/organisations/{pub.slug}",
        "content_id": pub.content_id or "",
        "organisation_state": "live",
    }


def taxonomy_tree(site: FixtureSite, doc: CorpusDocument) -> list[str]:
    """Content ids of the tagged taxons and all their ancestors (part_of_taxonomy_tree)."""
    ids: list[str] = []
    for base_path in doc.taxons:
        for taxon in site.corpus.taxon_chain(base_path):
            if taxon.content_id not in ids:
                ids.append(taxon.content_id)
    return ids


def search_result(site: FixtureSite, doc: CorpusDocument, as_of: datetime | None) -> dict[str, Any]:
    """Every field the fixture can answer for; ``fields`` then narrows it."""
    version = doc.version_at(as_of)
    assert version is not None
    orgs = [organisation_summary(p) for p in doc_organisations(site, doc)]
    return {
        "title": doc.title,
        "link": doc.base_path,
        "description": doc.description,
        "public_timestamp": iso(version.public_timestamp),
        "first_published_at": iso(doc.first_published_at),
        "updated_at": iso(version.public_timestamp),
        "content_store_document_type": doc.document_type,
        "format": doc.document_type,
        "display_type": display_type(doc.document_type),
        "organisations": orgs,
        "expanded_organisations": orgs,
        "organisation_content_ids": [o["content_id"] for o in orgs],
        "content_id": doc.content_id,
        "slug": doc.id,
        "is_withdrawn": doc.withdrawn_at(as_of) is not None,
        "is_political": is_political(doc),
        "government_name": government(doc.first_published_at, as_of)["title"],
        "part_of_taxonomy_tree": taxonomy_tree(site, doc),
        "taxons": [t.content_id for b in doc.taxons if (t := site.corpus.taxons.get(b))],
        "people": list(doc.people),
        "content_purpose_supergroup": group_of(doc.document_type, SUPERGROUPS),
        "content_purpose_subgroup": group_of(doc.document_type, SUBGROUPS),
        "email_document_supertype": (
            "announcements" if doc.document_type in ANNOUNCEMENTS else "publications"
        ),
        "index": "government",
        "es_score": None,
        "_id": doc.base_path,
        "elasticsearch_type": "edition",
        "document_type": "edition",
    }


FILTERABLE = {
    "organisations",
    "content_store_document_type",
    "content_purpose_supergroup",
    "content_purpose_subgroup",
    "part_of_taxonomy_tree",
    "taxons",
    "people",
    "content_id",
    "email_document_supertype",
    "is_withdrawn",
    "is_political",
    "government_name",
}
DATE_FILTERS = {"public_timestamp", "first_published_at"}
SORTABLE = {"public_timestamp", "title", "popularity"}
PLAIN_PARAMS = {"q", "count", "start", "order", "fields", "fields[]", "c"}
_FILTER_PARAM = re.compile(r"(filter|reject)_(?:(any|all)_)?(.+)")


def field_values(result: dict[str, Any], name: str) -> set[str]:
    """A result field as a set of strings, so one matcher serves every filter."""
    value = result.get(name)
    if name == "organisations":
        return {o["slug"] for o in value or []}
    if isinstance(value, bool):
        return {str(value).lower()}
    if isinstance(value, list):
        return {str(v) for v in value}
    return set() if value is None else {str(value)}


def parse_date_filter(raw: str, name: str) -> tuple[datetime | None, datetime | None]:
    """``from:YYYY-MM-DD[,to:YYYY-MM-DD]``, inclusive, whole days by default."""
    low = high = None
    for part in raw.split(","):
        key, _, value = part.partition(":")
        try:
            when = to_datetime(value.strip())
        except ValueError:
            raise ParamError(
                f'Invalid value "{raw}" for parameter "{name}" (expected ISO8601 date)'
            ) from None
        date_only = len(value.strip()) <= 10
        if key == "from":
            low = when
        elif key == "to":
            high = when + timedelta(days=1, microseconds=-1) if date_only else when
        else:
            raise ParamError(f'Invalid value "{raw}" for parameter "{name}" (expected from:/to:)')
    return low, high


@dataclass
class SearchQuery:
    """Validated Search API parameters."""

    q: str = ""
    count: int = 10
    start: int = 0
    order: str | None = None
    fields: list[str] = field(default_factory=list)
    filters: list[tuple[str, str, str, list[str]]] = field(default_factory=list)
    dates: dict[str, tuple[datetime | None, datetime | None]] = field(default_factory=dict)


def _int_param(req: Request, name: str, default: int) -> int:
    raw = req.first(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ParamError(
            f'Invalid value "{raw}" for parameter "{name}" (expected positive integer)'
        )
    return int(raw)


def _search_filters(req: Request, query: SearchQuery) -> list[str]:
    """Collect filter_/reject_ params; return the names GOV.UK would not accept."""
    unexpected = []
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for name, value in req.params:
        if name in PLAIN_PARAMS:
            continue
        match = _FILTER_PARAM.fullmatch(name)
        field_name = match.group(3) if match else ""
        if match and match.group(1) == "filter" and field_name in DATE_FILTERS:
            if field_name in query.dates:
                raise ParamError(
                    f"Too many values ({len(req.values(name))}) for parameter "
                    f'"{field_name}" (must occur at most once)'
                )
            query.dates[field_name] = parse_date_filter(value, field_name)
        elif match and field_name in FILTERABLE:
            key = (match.group(1), match.group(2) or "any", field_name)
            grouped.setdefault(key, []).extend(v for v in value.split(",") if v)
        elif name not in unexpected:
            unexpected.append(name)
    query.filters = [(kind, mode, name, values) for (kind, mode, name), values in grouped.items()]
    return unexpected


def parse_search(req: Request) -> SearchQuery:
    """Validate like search-api: anything unknown or out of range is a 422."""
    query = SearchQuery(q=(req.first("q") or "").strip())
    unexpected = _search_filters(req, query)
    if unexpected:
        raise ParamError(f"Unexpected parameters: {', '.join(unexpected)}")
    query.count = _int_param(req, "count", 10)
    query.start = _int_param(req, "start", 0)
    if query.count > MAX_COUNT:
        raise ParamError(f"Maximum result set size (as specified in 'count') is {MAX_COUNT}")
    order = req.first("order")
    if order and order.lstrip("-") not in SORTABLE:
        raise ParamError(f'"{order}" is not a valid sort field')
    query.order = order or None
    for raw in req.values("fields") + req.values("fields[]"):
        query.fields += [f for f in raw.split(",") if f]
    return query


def _matches(result: dict[str, Any], query: SearchQuery) -> bool:
    if query.q:
        haystack = f"{result['title']} {result['description']}".lower()
        if query.q.lower() not in haystack:
            return False
    for kind, mode, name, values in query.filters:
        have = field_values(result, name)
        hit = set(values) <= have if mode == "all" else bool(have & set(values))
        if hit != (kind == "filter"):
            return False
    for name, (low, high) in query.dates.items():
        when = to_datetime(result[name])
        if (low and when < low) or (high and when > high):
            return False
    return True


def _sort(results: list[dict[str, Any]], query: SearchQuery) -> list[dict[str, Any]]:
    order = query.order
    if order is None and query.q:  # "relevance": title hits first, then newest
        q = query.q.lower()
        results.sort(key=lambda r: r["public_timestamp"], reverse=True)
        return sorted(results, key=lambda r: q not in r["title"].lower())
    if order is None or order.lstrip("-") == "popularity":
        return sorted(results, key=lambda r: r["slug"], reverse=order == "-popularity")
    name = order.lstrip("-")
    key: Callable[[dict[str, Any]], Any] = (
        (lambda r: (r["title"].lower(), r["slug"]))
        if name == "title"
        else (lambda r: (r["public_timestamp"], r["slug"]))
    )
    return sorted(results, key=key, reverse=order.startswith("-"))


def search_api(site: FixtureSite, req: Request) -> Response:
    """``/api/search.json``: GOV.UK's Search API over the visible govuk documents."""
    try:
        query = parse_search(req)
    except ParamError as exc:
        return json_response({"error": str(exc)}, 422)
    results = [search_result(site, d, req.as_of) for d in site.visible(site.govuk_docs, req.as_of)]
    results = _sort([r for r in results if _matches(r, query)], query)
    page = results[query.start : query.start + query.count]
    if query.fields:
        page = [{k: r[k] for k in query.fields if k in r} for r in page]
    return json_response(
        {
            "results": page,
            "total": len(results),
            "start": query.start,
            "aggregates": {},
            "suggested_queries": [],
        },
        headers={"Cache-Control": "max-age=900, public", "Access-Control-Allow-Origin": "*"},
    )
