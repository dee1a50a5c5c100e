"""Server-rendered pages: the same query functions as the API, rendered with Jinja.

Jinja autoescapes every value, and no template marks crawled text as safe,
so a document full of script tags shows as text. Chart data travels in
``<script type="application/json">`` blocks (never executed) and is drawn by
``/static/dashboard.js``. Each list page also answers ``format=csv`` and
``format=json`` with exactly the rows it shows.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlmodel import Session

from dashboards import queries
from dashboards.deps import get_session
from dashboards.downloads import Format, csv_response, json_response
from dashboards.filters import Filters, GroupBy, SignalKind, SignalStatus, filters_from_query
from dashboards.plotly_assets import maplibre_style_id
from dashboards.security import (
    LoginThrottle,
    check_csrf,
    csrf_token,
    current_user,
    safe_next,
)
from dashboards.users import ACTIONS, authenticate, record_review
from policywatch.errors import PolicyWatchError

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))

SessionDep = Annotated[Session, Depends(get_session)]
FiltersDep = Annotated[Filters, Depends(filters_from_query)]
FormatDep = Annotated[Format, Query(alias="format")]


@functools.cache
def taxonomy() -> dict[str, str]:
    """Theme slug -> description, from the taxonomy the language layer uses."""
    from nlp.components.theme_ruler import load_data

    themes = load_data().get("themes", {})
    return {name: str(spec.get("description", "")) for name, spec in themes.items()}


def _label(slug: str | None) -> str:
    return (slug or "").replace("_", " ").replace("-", " ")


def _date(value: datetime | None) -> str:
    return value.strftime("%-d %b %Y") if value else "undated"


def _gbp(value: int | None) -> str:
    if not value:
        return "£0"
    if value >= 1_000_000_000:
        return f"£{value / 1_000_000_000:.1f}bn"
    if value >= 1_000_000:
        return f"£{value / 1_000_000:.1f}m"
    return f"£{value:,}"


_SNIPPET = re.compile(r"\[([^\[\]]*)\]")


def _snippet(text: str) -> Markup:
    """Search snippets mark matches with [ ]; escape everything, then mark those."""
    escaped = str(escape(text))
    return Markup(_SNIPPET.sub(r"<mark>\1</mark>", escaped))


templates.env.filters.update(label=_label, date=_date, gbp=_gbp, snippet=_snippet)
templates.env.globals["maplibre_style_id"] = maplibre_style_id


def render(request: Request, session: Session, name: str, **context: Any) -> HTMLResponse:
    """A page with what every template needs: the reviewer, the taxonomy, the kinds."""
    user = current_user(request, session)
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "logout_csrf": csrf_token(request) if user else None,
            # the "export these documents" form on the timeline and search pages
            "export_csrf": csrf_token(request),
            "taxonomy": taxonomy(),
            "kinds": list(SignalKind),
            "statuses": list(SignalStatus),
            "groups": list(GroupBy),
            **context,
        },
    )


def _download(rows: list[Any], model: Any, fmt: Format, name: str) -> Response | None:
    if fmt is Format.csv:
        return csv_response(rows, filename=name)
    if fmt is Format.json:
        return json_response(model, filename=name)
    return None


OverviewTable = Literal["theme_years", "newest_signals", "money"]


@router.get("/", name="overview_page")
def overview_page(
    request: Request,
    session: SessionDep,
    filters: FiltersDep,
    fmt: FormatDep = Format.html,
    table: OverviewTable = "theme_years",
) -> Response:
    data = queries.overview(session, filters)
    download = _download(getattr(data, table), data, fmt, f"overview-{table}")
    if download is not None:
        return download
    return render(request, session, "overview.html", data=data, filters=filters)


@router.get("/timeline", name="timeline_page")
def timeline_page(
    request: Request, session: SessionDep, filters: FiltersDep, fmt: FormatDep = Format.html
) -> Response:
    data = queries.timeline(session, filters)
    download = _download(data.documents.items, data, fmt, "timeline")
    if download is not None:
        return download
    chart = {
        "documents": [
            {
                "id": d.id,
                "title": d.title,
                "date": d.published_at.isoformat() if d.published_at else None,
                "publisher": d.publisher,
            }
            for d in data.documents.items
        ],
        "groups": data.groups,
        "signals": [
            {"key": s.key, "kind": s.kind, "theme": s.theme, "documents": s.document_ids}
            for s in data.signals
        ],
    }
    return render(
        request,
        session,
        "timeline.html",
        data=data,
        filters=filters,
        chart=chart,
        publishers=queries.publisher_counts(session),
    )


@router.get("/signals", name="signals_page")
def signals_page(
    request: Request, session: SessionDep, filters: FiltersDep, fmt: FormatDep = Format.html
) -> Response:
    data = queries.list_signals(session, filters)
    download = _download(data.items, data, fmt, "signals")
    if download is not None:
        return download
    return render(
        request,
        session,
        "signals.html",
        data=data,
        filters=filters,
        publishers=queries.publisher_counts(session),
    )


@router.get("/signals/{key:path}", response_class=HTMLResponse, name="signal_page")
def signal_page(request: Request, session: SessionDep, key: str) -> HTMLResponse:
    detail = queries.signal_detail(session, key, base_url=str(request.base_url))
    if detail is None:
        raise HTTPException(status_code=404, detail="no such signal")
    user = current_user(request, session)
    return render(
        request,
        session,
        "signal.html",
        detail=detail,
        csrf=csrf_token(request) if user else None,
        actions=list(ACTIONS),
    )


@router.post("/signals/{key:path}/review", name="review_signal")
def review_signal(
    request: Request,
    session: SessionDep,
    key: str,
    action: Annotated[str, Form()],
    csrf_token_field: Annotated[str, Form(alias="csrf_token")] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    user = current_user(request, session)
    if user is None:
        query = urlencode({"next": f"/signals/{key}"})
        return RedirectResponse(f"/login?{query}", status_code=303)
    check_csrf(request, csrf_token_field)
    signal = queries.find_signal(session, key)
    if signal is None:
        raise HTTPException(status_code=404, detail="no such signal")
    try:
        record_review(session, signal_id=signal.id, user_id=user.id, action=action, note=note)
    except PolicyWatchError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return RedirectResponse(str(request.url_for("signal_page", key=signal.key)), status_code=303)


@router.get("/documents/{document_id}", response_class=HTMLResponse, name="document_page")
def document_page(
    request: Request,
    session: SessionDep,
    document_id: int,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> HTMLResponse:
    detail = queries.document_detail(session, document_id, version_no=version)
    if detail is None:
        raise HTTPException(status_code=404, detail="no such document")
    return render(request, session, "document.html", detail=detail)


@router.get("/search", name="search_page")
def search_page(
    request: Request, session: SessionDep, filters: FiltersDep, fmt: FormatDep = Format.html
) -> Response:
    data = queries.search(session, filters)
    download = _download(data.items, data, fmt, "search")
    if download is not None:
        return download
    return render(
        request,
        session,
        "search.html",
        data=data,
        filters=filters,
        publishers=queries.publisher_counts(session),
    )


@router.get("/login", response_class=HTMLResponse, name="login_page")
def login_page(
    request: Request, session: SessionDep, next: str | None = None, failed: bool = False
) -> HTMLResponse:
    return render(
        request,
        session,
        "login.html",
        csrf=csrf_token(request),
        next=safe_next(next),
        failed=failed,
    )


@router.post("/login", name="login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token_field: Annotated[str, Form(alias="csrf_token")] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    check_csrf(request, csrf_token_field)
    throttle: LoginThrottle = request.app.state.login_throttle
    if throttle.blocked(username):
        raise HTTPException(status_code=429, detail="too many failed sign-ins: try again later")
    user = authenticate(session, username=username, password=password)
    if user is None:
        throttle.failed(username)
        query = urlencode({"failed": 1, "next": safe_next(next)})
        return RedirectResponse(f"/login?{query}", status_code=303)
    throttle.succeeded(username)
    request.session.clear()  # a new session on sign-in: no fixation
    request.session["user_id"] = user.id
    csrf_token(request)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", name="logout")
def logout(
    request: Request, csrf_token_field: Annotated[str, Form(alias="csrf_token")] = ""
) -> Response:
    check_csrf(request, csrf_token_field)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
