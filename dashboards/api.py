"""The JSON API under ``/api/``: the pages' query functions, as JSON.

Every route here calls the same function in :mod:`dashboards.queries` as
its page, with the same :class:`~dashboards.filters.Filters`, so what a
script downloads is what a journalist saw. Reads are public; the one write,
feedback on a signal, needs a signed-in reviewer and the session's CSRF
token in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from sqlmodel import Session

from dashboards import queries, schemas
from dashboards.deps import get_session
from dashboards.filters import Filters, filters_from_query
from dashboards.security import check_csrf, current_user
from dashboards.users import record_review

router = APIRouter(prefix="/api", tags=["api"])

SessionDep = Annotated[Session, Depends(get_session)]
FiltersDep = Annotated[Filters, Depends(filters_from_query)]
NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": schemas.ErrorMessage}}
REVIEWER_ONLY: dict[int | str, dict[str, object]] = {
    400: {"model": schemas.ErrorMessage, "description": "The body is not JSON."},
    401: {"model": schemas.ErrorMessage, "description": "Not signed in as a reviewer."},
    403: {"model": schemas.ErrorMessage, "description": "Missing or invalid CSRF token."},
    **NOT_FOUND,
}
SignalKey = Annotated[str, Path(min_length=1, max_length=200, description="Signal key or id.")]


def _signal_or_404(session: Session, key: str, request: Request) -> schemas.SignalDetail:
    detail = queries.signal_detail(session, key, base_url=str(request.base_url))
    if detail is None:
        raise HTTPException(status_code=404, detail="no such signal")
    return detail


@router.get("/overview", response_model=schemas.Overview)
def api_overview(session: SessionDep, filters: FiltersDep) -> schemas.Overview:
    """Per theme counts over time, the newest signals and money announced vs re-announced."""
    return queries.overview(session, filters)


@router.get("/timeline", response_model=schemas.TimelineResult)
def api_timeline(session: SessionDep, filters: FiltersDep) -> schemas.TimelineResult:
    """Documents over time (one page) and the signals that join them."""
    return queries.timeline(session, filters)


@router.get("/documents", response_model=schemas.DocumentPage)
def api_documents(session: SessionDep, filters: FiltersDep) -> schemas.DocumentPage:
    """Documents matching the filters, newest first."""
    return queries.list_documents(session, filters)


@router.get("/documents/{document_id}", response_model=schemas.DocumentDetail, responses=NOT_FOUND)
def api_document(
    session: SessionDep,
    document_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> schemas.DocumentDetail:
    """One document: versions, diff, highlighted text, themes and signals."""
    detail = queries.document_detail(session, document_id, version_no=version)
    if detail is None:
        raise HTTPException(status_code=404, detail="no such document")
    return detail


@router.get("/search", response_model=schemas.SearchPage)
def api_search(session: SessionDep, filters: FiltersDep) -> schemas.SearchPage:
    """Full-text search (words, "phrases", -exclusions) with the list filters."""
    return queries.search(session, filters)


@router.get("/signals", response_model=schemas.SignalPage)
def api_signals(session: SessionDep, filters: FiltersDep) -> schemas.SignalPage:
    """Signals matching the filters, newest evidence first."""
    return queries.list_signals(session, filters)


@router.get("/signals/{key:path}", response_model=schemas.SignalDetail, responses=NOT_FOUND)
def api_signal(session: SessionDep, key: SignalKey, request: Request) -> schemas.SignalDetail:
    """One signal with its evidence quotes, chain, reviews and citations."""
    return _signal_or_404(session, key, request)


@router.get("/themes", response_model=list[schemas.CountRow])
def api_themes(session: SessionDep, filters: FiltersDep) -> list[schemas.CountRow]:
    """Every theme with its number of tagged documents."""
    return queries.theme_counts(session, filters)


@router.get("/actors", response_model=list[schemas.CountRow])
def api_actors(session: SessionDep, filters: FiltersDep) -> list[schemas.CountRow]:
    """Actors named in policy statements (``q`` narrows by name)."""
    return queries.actor_counts(session, filters)


@router.get("/publishers", response_model=list[schemas.CountRow])
def api_publishers(session: SessionDep) -> list[schemas.CountRow]:
    """Publishers with their document counts."""
    return queries.publisher_counts(session)


@router.get("/money", response_model=list[schemas.MoneyRow])
def api_money(session: SessionDep, filters: FiltersDep) -> list[schemas.MoneyRow]:
    """Money announced in statements against money re-announced, per year."""
    return queries.money(session, filters)


@router.get("/feedback", response_model=list[schemas.Review], responses=NOT_FOUND)
def api_feedback(
    session: SessionDep,
    signal: Annotated[str | None, Query(max_length=200, description="Signal key.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[schemas.Review]:
    """Reviewer decisions on signals, newest first."""
    signal_id = None
    if signal is not None:
        found = queries.find_signal(session, signal)
        if found is None:
            raise HTTPException(status_code=404, detail="no such signal")
        signal_id = found.id
    return queries.list_feedback(session, signal_id=signal_id, limit=limit, offset=offset)


@router.post(
    "/signals/{key:path}/feedback",
    response_model=schemas.Review,
    status_code=201,
    responses=REVIEWER_ONLY,
)
def api_post_feedback(
    session: SessionDep,
    key: SignalKey,
    body: schemas.FeedbackIn,
    request: Request,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> schemas.Review:
    """Confirm, dismiss or reopen a signal (signed-in reviewers; send X-CSRF-Token)."""
    user = current_user(request, session)
    if user is None:
        raise HTTPException(status_code=401, detail="sign in as a reviewer first")
    check_csrf(request, x_csrf_token)
    signal = queries.find_signal(session, key)
    if signal is None:
        raise HTTPException(status_code=404, detail="no such signal")
    review = record_review(
        session, signal_id=signal.id, user_id=user.id, action=body.action, note=body.note
    )
    return queries.list_feedback(session, signal_id=signal.id, limit=1)[0].model_copy(
        update={"id": review.id}
    )
