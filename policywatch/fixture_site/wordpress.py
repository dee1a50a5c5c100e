"""WordPress sector sites: the wp/v2 REST API and post permalinks.

Mimics ``/wp-json/wp/v2/posts`` (paging with ``X-WP-Total``/``Link`` headers,
``after``/``before``/``modified_after``/``search``/``orderby``/``_fields``,
WordPress's JSON errors) and single posts, plus the dated permalink pages, as
many sector bodies publish through WordPress.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from policywatch.fixture_site.corpus import CorpusDocument
from policywatch.fixture_site.formats import SITE_TZ, updated_at, wp_time
from policywatch.fixture_site.request import ParamError, Request
from policywatch.fixture_site.responses import Response, json_response, newest, not_found_html
from policywatch.fixture_site.sector_pages import sector_article, sector_body_html

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite


def wp_post(site: FixtureSite, doc: CorpusDocument, req: Request) -> dict[str, Any]:
    """A wp/v2 post object; ``modified`` follows the latest visible version."""
    version = doc.version_at(req.as_of)
    assert version is not None
    post_id = site.post_ids[doc.id]
    return {
        "id": post_id,
        "date": wp_time(doc.first_published_at, SITE_TZ),
        "date_gmt": wp_time(doc.first_published_at, UTC),
        "guid": {"rendered": req.url(f"/sites/{doc.publisher}/?p={post_id}")},
        "modified": wp_time(version.public_timestamp, SITE_TZ),
        "modified_gmt": wp_time(version.public_timestamp, UTC),
        "slug": doc.id,
        "status": "publish",
        "type": "post",
        "link": req.url(site.post_path(doc)),
        "title": {"rendered": escape(doc.title, quote=False)},
        "content": {"rendered": sector_body_html(site, doc, req), "protected": False},
        "excerpt": {
            "rendered": f"<p>{escape(doc.description, quote=False)}</p>\n",
            "protected": False,
        },
        "author": 1,
        "categories": [1],
        "tags": [],
    }


def wp_error(code: str, message: str, status: int) -> Response:
    return json_response({"code": code, "message": message, "data": {"status": status}}, status)


def _wp_when(raw: str | None, name: str) -> datetime | None:
    """WordPress date params: naive values are in the site's timezone."""
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ParamError(name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SITE_TZ)


def _wp_filter(site: FixtureSite, slug: str, req: Request) -> list[CorpusDocument]:
    after, before = _wp_when(req.first("after"), "after"), _wp_when(req.first("before"), "before")
    modified_after = _wp_when(req.first("modified_after"), "modified_after")
    search = (req.first("search") or "").lower()
    docs = []
    for doc in site.site_documents(slug, req.as_of):
        version = doc.version_at(req.as_of)
        assert version is not None
        if (
            (after and doc.first_published_at <= after)
            or (before and doc.first_published_at >= before)
            or (modified_after and version.public_timestamp <= modified_after)
            or (search and search not in f"{doc.title} {doc.body}".lower())
        ):
            continue
        docs.append(doc)
    return docs


def _wp_sort(site: FixtureSite, docs: list[CorpusDocument], req: Request) -> list[CorpusDocument]:
    orderby = req.first("orderby", "date") or "date"
    keys: dict[str, Callable[[CorpusDocument], Any]] = {
        "date": lambda d: (d.first_published_at, d.id),
        "modified": lambda d: (updated_at(d, req.as_of), d.id),
        "id": lambda d: site.post_ids[d.id],
        "title": lambda d: d.title.lower(),
        "slug": lambda d: d.id,
    }
    if orderby not in keys:
        raise ParamError("orderby")
    order = req.first("order", "desc")
    if order not in ("asc", "desc"):
        raise ParamError("order")
    return sorted(docs, key=keys[orderby], reverse=order == "desc")


def _wp_page_link(req: Request, page: int) -> str:
    params = [(k, v) for k, v in req.params if k != "page"] + [("page", str(page))]
    return f"<{req.url(req.path)}?{urlencode(params)}>"


def _wp_paging(req: Request, total: int) -> tuple[int, int, int]:
    per_page = _int_wp(req.first("per_page"), 10, "per_page")
    page = _int_wp(req.first("page"), 1, "page")
    if not 1 <= per_page <= 100 or page < 1:
        raise ParamError("per_page" if not 1 <= per_page <= 100 else "page")
    pages = -(-total // per_page)
    return per_page, page, pages


def _int_wp(raw: str | None, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ParamError(name)
    return int(raw)


def wp_posts(site: FixtureSite, req: Request, slug: str) -> Response:
    """``/wp-json/wp/v2/posts`` with WordPress's paging headers and errors."""
    pub = site.sector_sites.get(slug)
    if pub is None or pub.site_kind != "wordpress":
        return wp_error(
            "rest_no_route", "No route was found matching the URL and request method.", 404
        )
    try:
        docs = _wp_sort(site, _wp_filter(site, slug, req), req)
        per_page, page, pages = _wp_paging(req, len(docs))
    except ParamError as exc:
        return wp_error("rest_invalid_param", f"Invalid parameter(s): {exc}", 400)
    if page > max(pages, 1):
        return wp_error(
            "rest_post_invalid_page_number",
            "The page number requested is larger than the number of pages available.",
            400,
        )
    chunk = [wp_post(site, d, req) for d in docs[(page - 1) * per_page : page * per_page]]
    wanted = [f.split(".")[0] for raw in req.values("_fields") for f in raw.split(",") if f]
    if wanted:
        chunk = [{k: p[k] for k in wanted if k in p} for p in chunk]
    links = []
    if page > 1:
        links.append(f'{_wp_page_link(req, page - 1)}; rel="prev"')
    if page < pages:
        links.append(f'{_wp_page_link(req, page + 1)}; rel="next"')
    headers = {"X-WP-Total": str(len(docs)), "X-WP-TotalPages": str(pages)}
    if links:
        headers["Link"] = ", ".join(links)
    response = json_response(chunk, headers=headers)
    # every matching post, not just this page's: paging and X-WP-Total depend on them all
    response.last_modified = newest(*(updated_at(d, req.as_of) for d in docs))
    return response


def wp_single_post(site: FixtureSite, req: Request, slug: str, post_id: str) -> Response:
    for doc in site.site_documents(slug, req.as_of):
        if site.post_ids.get(doc.id) == int(post_id):
            response = json_response(wp_post(site, doc, req))
            response.last_modified = updated_at(doc, req.as_of)
            return response
    return wp_error("rest_post_invalid_id", "Invalid post ID.", 404)


def wp_post_page(
    site: FixtureSite, req: Request, slug: str, year: str, month: str, doc_id: str
) -> Response:
    doc = next(
        (
            d
            for d in site.site_documents(slug, req.as_of)
            if d.id == doc_id and d.source == "wordpress"
        ),
        None,
    )
    if doc is None or site.post_path(doc) != f"/sites/{slug}/{year}/{month}/{doc_id}/":
        return not_found_html(req.path)
    return sector_article(site, req, doc, "entry-content")
