"""UK Parliament's Written Statements API and statement pages, over parliament documents.

Mimics ``https://questions-statements-api.parliament.uk`` (the Written
Questions and Statements API, an ASP.NET Core service) as its OpenAPI
description and public clients show it:

- ``/api/writtenstatements/statements`` lists statements, newest first, as
  ``{"totalResults": N, "results": [{"value": {...}, "links": []}]}``, filtered
  by ``madeWhenFrom``/``madeWhenTo`` (yyyy-mm-dd, inclusive), repeated
  ``answeringBodies`` and ``members`` ids, ``house`` (Commons, Lords or
  Bicameral), ``uIN`` and ``searchTerm``, paged with ``skip``/``take``
  (default 20). ``member`` is only filled with ``expandMember=true``.
  Parameter names are case-insensitive and unknown ones are ignored, as
  ASP.NET model binding does; a value that does not bind (``take=ten``) is a
  400 validation problem.
- The list cuts each statement's ``text`` to a plain-text preview of about
  255 characters ending in ``...``; the full HTML is only in
  ``/api/writtenstatements/statements/{id}`` (and ``/{date}/{uin}``), which
  return ``{"value": {...}, "links": []}``. Clients that want the statement
  must fetch it, as the real API's clients do.
- ``/written-statements/detail/{date}/{uin}`` is the human page, in the URL
  shape of ``https://questions-statements.parliament.uk``.

Answering body ids are Parliament's (DfE 60, Home Office 1, DHSC 17, MHCLG 7,
Treasury 14, MoJ 54, Prime Minister 23). Statement, member and notice ids are
invented but stable: derived from hashes of document ids and person slugs.
A statement exists from its (single) version's timestamp, so ``as_of`` hides
statements not yet made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import TYPE_CHECKING, Any

from policywatch.fixture_site.corpus import (
    PARLIAMENT_HOUSES,
    Corpus,
    CorpusDocument,
    render_body_html,
    render_body_text,
)
from policywatch.fixture_site.formats import SITE_TZ, stable_ids
from policywatch.fixture_site.govuk_metadata import LABOUR_FROM
from policywatch.fixture_site.request import Request
from policywatch.fixture_site.responses import (
    Response,
    html_response,
    json_response,
    not_found_html,
    page_html,
)

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite

#: publisher slug -> (answering body id, name) as the Written Statements API gives them
ANSWERING_BODIES: dict[str, tuple[int, str]] = {
    "department-for-education": (60, "Department for Education"),
    "home-office": (1, "Home Office"),
    "department-of-health-and-social-care": (17, "Department of Health and Social Care"),
    "ministry-of-housing-communities-and-local-government": (
        7,
        "Ministry of Housing, Communities and Local Government",
    ),
    "hm-treasury": (14, "Treasury"),
    "ministry-of-justice": (54, "Ministry of Justice"),
    "prime-ministers-office-10-downing-street": (23, "Prime Minister"),
}
PREVIEW_CHARS = 255
DEFAULT_TAKE = 20
PROBLEM_JSON = "application/problem+json; charset=utf-8"
PARTIES = {  # the governing party, by date: every minister belongs to it
    "Conservative": ("Con", "0000ff"),
    "Labour": ("Lab", "ff0000"),
}
_TRUE_FALSE = {"true": True, "false": False}


# --------------------------------------------------------------------------- index


@dataclass(frozen=True)
class StatementIndex:
    """Stable ids for the corpus's parliament documents, built once per corpus."""

    corpus: Corpus
    documents: tuple[CorpusDocument, ...]
    statement_ids: dict[str, int]
    member_ids: dict[str, int]
    other_bodies: dict[str, int]

    @classmethod
    def build(cls, corpus: Corpus) -> StatementIndex:
        docs = tuple(d for d in corpus.documents if d.source == "parliament")
        people = {d.people[0] for d in docs if d.people}
        unknown = {d.publisher for d in docs if d.publisher not in ANSWERING_BODIES}
        return cls(
            corpus=corpus,
            documents=docs,
            statement_ids=stable_ids((d.id for d in docs), 10000, 80000),
            member_ids=stable_ids(people, 1000, 4000),
            other_bodies=stable_ids(unknown, 300, 600),
        )

    def body(self, doc: CorpusDocument) -> tuple[int, str]:
        if doc.publisher in ANSWERING_BODIES:
            return ANSWERING_BODIES[doc.publisher]
        publisher = self.corpus.publishers.get(doc.publisher)
        return self.other_bodies[doc.publisher], publisher.title if publisher else doc.publisher

    def by_statement_id(self, statement_id: int) -> CorpusDocument | None:
        return next((d for d in self.documents if self.statement_ids[d.id] == statement_id), None)


def statement_index(site: FixtureSite) -> StatementIndex:
    """The site's index, rebuilt only if the site was given another corpus."""
    index: StatementIndex | None = getattr(site, "_statement_index", None)
    if index is None or index.corpus is not site.corpus:
        index = StatementIndex.build(site.corpus)
        site._statement_index = index  # type: ignore[attr-defined]
    return index


# --------------------------------------------------------------------------- values


def house_of(doc: CorpusDocument) -> str:
    return doc.house or "Commons"


def made_on(doc: CorpusDocument) -> date:
    """The sitting day the statement was made: the London date of its timestamp."""
    return doc.first_published_at.astimezone(SITE_TZ).date()


def uin_of(index: StatementIndex, doc: CorpusDocument) -> str:
    """The corpus UIN, or an invented one in the house's style."""
    if doc.uin:
        return doc.uin
    return f"{PARLIAMENT_HOUSES[house_of(doc)]}{index.statement_ids[doc.id] % 1000 + 1}"


def preview(doc: CorpusDocument) -> str:
    """The list endpoint's text: plain text cut at a word near 255 characters."""
    text = render_body_text(doc.body)
    if len(text) <= PREVIEW_CHARS:
        return text
    cut = text[: PREVIEW_CHARS - 3]
    return cut[: cut.rfind(" ")].rstrip(" ,;:") + "..."


def _list_as(name: str) -> str:
    first, _, rest = name.partition(" ")
    if not rest:
        return name
    if first in {"Baroness", "Lord", "Lady", "Sir", "Dame"}:
        return f"{rest}, {first}"
    return f"{rest.split()[-1]}, {name.rsplit(' ', 1)[0]}"


def member_view(index: StatementIndex, doc: CorpusDocument) -> dict[str, Any]:
    """The expanded member (MemberViewModel); the party is the governing party then."""
    member_id = index.member_ids[doc.people[0]]
    party = "Labour" if doc.first_published_at >= LABOUR_FROM else "Conservative"
    abbreviation, colour = PARTIES[party]
    name = doc.member_name
    return {
        "id": member_id,
        "listAs": _list_as(name) if name else None,
        "name": name,
        "party": party,
        "partyColour": colour,
        "partyAbbreviation": abbreviation,
        "memberFrom": doc.member_from,
        "thumbnailUrl": f"https://members-api.parliament.uk/api/Members/{member_id}/Thumbnail",
    }


def statement_value(
    index: StatementIndex, doc: CorpusDocument, *, expand_member: bool, full_text: bool
) -> dict[str, Any]:
    """One statement (StatementsViewModel): full HTML text, or the list's preview."""
    body_id, body_name = index.body(doc)
    uin = uin_of(index, doc)
    return {
        "id": index.statement_ids[doc.id],
        "memberId": index.member_ids[doc.people[0]],
        "member": member_view(index, doc) if expand_member else None,
        "memberRole": doc.member_role,
        "uin": uin,
        "dateMade": f"{made_on(doc).isoformat()}T00:00:00",
        "answeringBodyId": body_id,
        "answeringBodyName": body_name,
        "title": doc.title,
        "text": render_body_html(doc.body) if full_text else preview(doc),
        "house": house_of(doc),
        "noticeNumber": int(re.sub(r"\D", "", uin) or 0),
        "hasAttachments": False,
        "hasLinkedStatements": False,
        "linkedStatements": [],
        "attachments": [],
    }


# --------------------------------------------------------------------------- parameters


class BindError(ValueError):
    """A query value ASP.NET could not bind: the API answers 400."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(f"The value '{value}' is not valid.")
        self.name = name


def _values(req: Request, name: str) -> list[str]:
    """Query values by name, case-insensitively (ASP.NET binds names that way)."""
    wanted = name.lower()
    return [v for k, v in req.params if k.lower() == wanted]


def _first(req: Request, name: str) -> str | None:
    values = [v for v in _values(req, name) if v != ""]
    return values[0] if values else None


def _int(name: str, raw: str) -> int:
    if not re.fullmatch(r"[+-]?\d{1,9}", raw.strip()):
        raise BindError(name, raw)
    return int(raw)


def _date(name: str, raw: str) -> date:
    try:
        return datetime.fromisoformat(raw.strip()).date()
    except ValueError:
        raise BindError(name, raw) from None


@dataclass
class StatementQuery:
    made_from: date | None = None
    made_to: date | None = None
    bodies: set[int] | None = None
    members: set[int] | None = None
    house: str | None = None
    uin: str | None = None
    search: str | None = None
    skip: int = 0
    take: int = DEFAULT_TAKE
    expand_member: bool = False


def parse_query(req: Request) -> StatementQuery:
    """Bind the parameters the API knows; ignore the rest, as the real one does."""
    query = StatementQuery()
    if (raw := _first(req, "madeWhenFrom")) is not None:
        query.made_from = _date("madeWhenFrom", raw)
    if (raw := _first(req, "madeWhenTo")) is not None:
        query.made_to = _date("madeWhenTo", raw)
    if bodies := [v for v in _values(req, "answeringBodies") if v != ""]:
        query.bodies = {_int("answeringBodies", v) for v in bodies}
    if members := [v for v in _values(req, "members") if v != ""]:
        query.members = {_int("members", v) for v in members}
    if (raw := _first(req, "house")) is not None:
        houses = {h.lower(): h for h in (*PARLIAMENT_HOUSES, "Bicameral")}
        if raw.lower() not in houses:
            raise BindError("house", raw)
        query.house = None if raw.lower() == "bicameral" else houses[raw.lower()]
    query.uin = _first(req, "uIN")
    query.search = _first(req, "searchTerm")
    if (raw := _first(req, "skip")) is not None:
        query.skip = max(0, _int("skip", raw))
    if (raw := _first(req, "take")) is not None:
        query.take = max(0, _int("take", raw))
    if (raw := _first(req, "expandMember")) is not None:
        if raw.lower() not in _TRUE_FALSE:
            raise BindError("expandMember", raw)
        query.expand_member = _TRUE_FALSE[raw.lower()]
    return query


def _expand(req: Request) -> bool:
    raw = _first(req, "expandMember")
    return raw is not None and raw.lower() == "true"


def _matches(index: StatementIndex, doc: CorpusDocument, query: StatementQuery) -> bool:
    made = made_on(doc)
    if query.made_from and made < query.made_from:
        return False
    if query.made_to and made > query.made_to:
        return False
    if query.bodies is not None and index.body(doc)[0] not in query.bodies:
        return False
    if query.members is not None and index.member_ids[doc.people[0]] not in query.members:
        return False
    if query.house and house_of(doc) != query.house:
        return False
    if query.uin and uin_of(index, doc).lower() != query.uin.lower():
        return False
    if query.search:
        haystack = f"{doc.title} {render_body_text(doc.body)}".lower()
        if query.search.lower() not in haystack:
            return False
    return True


# --------------------------------------------------------------------------- views


def _problem(status: int, title: str, errors: dict[str, list[str]] | None = None) -> Response:
    """ASP.NET Core's ProblemDetails body, with its own content type."""
    section = "6.5.1" if status == 400 else "6.5.4"
    data: dict[str, Any] = {
        "type": f"https://tools.ietf.org/html/rfc7231#section-{section}",
        "title": title,
        "status": status,
    }
    if errors:
        data["errors"] = errors
    response = json_response(data, status)
    response.content_type = PROBLEM_JSON
    return response


def _not_found() -> Response:
    return _problem(404, "Not Found")


def _visible(site: FixtureSite, req: Request) -> list[CorpusDocument]:
    return site.visible(statement_index(site).documents, req.as_of)


def statements_list(site: FixtureSite, req: Request) -> Response:
    """``/api/writtenstatements/statements``: filtered, newest first, paged, previews."""
    try:
        query = parse_query(req)
    except BindError as exc:
        return _problem(400, "One or more validation errors occurred.", {exc.name: [str(exc)]})
    index = statement_index(site)
    docs = [d for d in _visible(site, req) if _matches(index, d, query)]
    docs.sort(key=lambda d: (made_on(d), index.statement_ids[d.id]), reverse=True)
    page = docs[query.skip : query.skip + query.take]
    results = [
        {
            "value": statement_value(index, d, expand_member=query.expand_member, full_text=False),
            "links": [],
        }
        for d in page
    ]
    return json_response({"totalResults": len(docs), "results": results})


def _item(site: FixtureSite, req: Request, doc: CorpusDocument | None) -> Response:
    if doc is None or not doc.is_visible(req.as_of):
        return _not_found()
    value = statement_value(statement_index(site), doc, expand_member=_expand(req), full_text=True)
    return json_response({"value": value, "links": []})


def statement_by_id(site: FixtureSite, req: Request, statement_id: str) -> Response:
    """``/api/writtenstatements/statements/{id}``: one statement with its full text."""
    return _item(site, req, statement_index(site).by_statement_id(int(statement_id)))


def _by_date_and_uin(site: FixtureSite, day: str, uin: str) -> CorpusDocument | None:
    index = statement_index(site)
    return next(
        (
            d
            for d in index.documents
            if made_on(d).isoformat() == day and uin_of(index, d).lower() == uin.lower()
        ),
        None,
    )


def statement_by_date_and_uin(site: FixtureSite, req: Request, day: str, uin: str) -> Response:
    """``/api/writtenstatements/statements/{date}/{uin}``."""
    return _item(site, req, _by_date_and_uin(site, day, uin))


def statement_page(site: FixtureSite, req: Request, day: str, uin: str) -> Response:
    """``/written-statements/detail/{date}/{uin}``: the statement as a person reads it."""
    doc = _by_date_and_uin(site, day, uin)
    if doc is None or not doc.is_visible(req.as_of):
        return not_found_html(req.path)
    index = statement_index(site)
    _, body_name = index.body(doc)
    made = made_on(doc)
    member = escape(doc.member_name or "")
    role = escape(doc.member_role or "")
    body = (
        f"<h1>{escape(doc.title)}</h1>\n"
        '<dl class="statement-details">'
        f"<dt>Statement UIN</dt><dd>{escape(uin_of(index, doc))}</dd>"
        f"<dt>Statement date</dt><dd>{made.day} {made:%B %Y}</dd>"
        f"<dt>Department</dt><dd>{escape(body_name)}</dd>"
        f"<dt>House</dt><dd>{house_of(doc)} chamber</dd>"
        f"<dt>Made by</dt><dd>{member}{', ' if member and role else ''}{role}</dd>"
        "</dl>\n"
        f'<div class="statement-text">{render_body_html(doc.body)}</div>'
    )
    return html_response(page_html(f"{doc.title} - Written statements", body))
