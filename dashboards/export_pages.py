"""Start an export of what the timeline or search page shows, and fetch it when ready.

The export itself is the exports area's (``exports.jobs``): the same job table,
background run and zip as ``POST /api/exports``. These pages only turn the
page's filters into :class:`exports.filters.ExportFilters`, check the form's
CSRF token, and show the job until its download link appears. The number of
exports running at once is capped, so the public form cannot be used to
exhaust the server.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from dashboards.deps import get_session
from dashboards.pages import render
from dashboards.security import check_csrf
from exports.filters import ExportFilters
from exports.jobs import MAX_ACTIVE_JOBS, active_jobs, create_job, get_job, run_job

router = APIRouter(include_in_schema=False)
FORMATS = ("jsonl", "csv", "parquet", "sqlite")


def export_filters(
    *,
    themes: list[str],
    targets: list[str],
    actors: list[str],
    publishers: list[str],
    date_from: date | None,
    date_to: date | None,
    kinds: list[str],
    q: str | None,
) -> ExportFilters:
    """The dashboard's filters in the exports' terms (a 422 when one is not valid)."""
    try:
        return ExportFilters(
            themes=themes,
            targets=targets,
            actors=actors,
            publishers=publishers,
            since=date_from,
            until=date_to,
            signal_kinds=kinds,
            text=q or None,
        )
    except ValidationError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


@router.post("/exports", name="start_export_page")
def start_export_page(
    request: Request,
    background: BackgroundTasks,
    export_format: Annotated[str, Form(alias="format")] = "jsonl",
    csrf_token_field: Annotated[str, Form(alias="csrf_token")] = "",
    theme: Annotated[list[str] | None, Form()] = None,
    target: Annotated[list[str] | None, Form()] = None,
    actor: Annotated[list[str] | None, Form()] = None,
    publisher: Annotated[list[str] | None, Form()] = None,
    kind: Annotated[list[str] | None, Form()] = None,
    date_from: Annotated[date | None, Form()] = None,
    date_to: Annotated[date | None, Form()] = None,
    q: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    check_csrf(request, csrf_token_field)
    if export_format not in FORMATS:
        raise HTTPException(status_code=422, detail=f"format must be one of {', '.join(FORMATS)}")
    filters = export_filters(
        themes=theme or [],
        targets=target or [],
        actors=actor or [],
        publishers=publisher or [],
        date_from=date_from,
        date_to=date_to,
        kinds=kind or [],
        q=q,
    )
    engine = request.app.state.engine
    if active_jobs(engine) >= MAX_ACTIVE_JOBS:
        raise HTTPException(status_code=429, detail="exports are busy: try again in a minute")
    job = create_job(engine, fmt=export_format, filters=filters)
    background.add_task(
        run_job, engine, token=job.token, data_dir=request.app.state.settings.data_dir
    )
    return RedirectResponse(f"/exports/{job.token}", status_code=303)


@router.get("/exports/{token}", response_class=HTMLResponse, name="export_page")
def export_page(
    request: Request, token: str, session: Annotated[Session, Depends(get_session)]
) -> Response:
    job = get_job(request.app.state.engine, token=token)
    if job is None:
        raise HTTPException(status_code=404, detail="no such export")
    filters = {k: v for k, v in job.filters.items() if v not in (None, [], False)}
    return render(request, session, "export.html", job=job, filters=filters)
