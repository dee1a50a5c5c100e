"""HTTP API for exports: start one for a set of filters, poll it, download the zip.

``router`` is included by the dashboard app. The export runs as a background
task after the response is sent, writing under the data directory; the job's
token is its id in every URL. The app can replace :func:`export_engine` and
:func:`export_data_dir` with ``app.dependency_overrides`` (tests do).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from exports.filters import ExportFilters, check_themes
from exports.jobs import MAX_ACTIVE_JOBS, active_jobs, create_job, get_job, run_job
from exports.manifest import taxonomy
from policywatch.config import get_settings
from policywatch.errors import PolicyWatchError
from policywatch.store import connect
from policywatch.store.tables import ExportJob

router = APIRouter(prefix="/api/exports", tags=["exports"])

ExportFormat = Literal["jsonl", "csv", "parquet", "sqlite"]


class ExportRequest(BaseModel):
    """What to export: a format and the same filters as ``policywatch export``."""

    format: ExportFormat = "jsonl"
    filters: ExportFilters = Field(default_factory=ExportFilters)


class ExportStatus(BaseModel):
    id: str
    format: str
    status: str = Field(description="queued | running | succeeded | failed")
    rows: int = Field(description="Document rows written so far.")
    filters: dict[str, object]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = Field(description="Where to fetch the zip once succeeded.")


@lru_cache(maxsize=1)
def _configured_engine() -> Engine:
    return connect(get_settings())


def export_engine() -> Engine:
    """The store the API exports from (the configured one)."""
    return _configured_engine()


def export_data_dir() -> Path:
    """Where export jobs write their files."""
    return get_settings().data_dir


EngineDep = Annotated[Engine, Depends(export_engine)]
DataDirDep = Annotated[Path, Depends(export_data_dir)]


def _status(job: ExportJob) -> ExportStatus:
    ready = job.status == "succeeded"
    return ExportStatus(
        id=job.token,
        format=job.format,
        status=job.status,
        rows=job.rows,
        filters=job.filters,
        error=job.error,
        created_at=job.created_at,
        finished_at=job.finished_at,
        download_url=f"{router.prefix}/{job.token}/download" if ready else None,
    )


def _job_or_404(engine: Engine, job_id: str) -> ExportJob:
    job = get_job(engine, token=job_id)
    if job is None:
        raise HTTPException(status_code=404, detail=f"no export {job_id!r}")
    return job


@router.post("", status_code=202)
def start_export(
    request: ExportRequest, background: BackgroundTasks, engine: EngineDep, data_dir: DataDirDep
) -> ExportStatus:
    """Queue an export of the filtered corpus; poll its status, then download it."""
    try:
        check_themes(request.filters, set(taxonomy()["themes"]))
    except PolicyWatchError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    if active_jobs(engine) >= MAX_ACTIVE_JOBS:
        raise HTTPException(status_code=429, detail="exports are busy: try again in a minute")
    job = create_job(engine, fmt=request.format, filters=request.filters)
    background.add_task(run_job, engine, token=job.token, data_dir=data_dir)
    return _status(job)


@router.get("/{job_id}")
def export_status(job_id: str, engine: EngineDep) -> ExportStatus:
    """Where an export stands: queued, running (with rows so far), succeeded or failed."""
    return _status(_job_or_404(engine, job_id))


@router.get("/{job_id}/download", response_class=FileResponse)
def download_export(job_id: str, engine: EngineDep) -> FileResponse:
    """The finished export as a zip (data files, datasheet and manifest)."""
    job = _job_or_404(engine, job_id)
    if job.status != "succeeded" or not Path(job.path).exists():
        raise HTTPException(status_code=409, detail=f"export {job_id!r} is {job.status}")
    return FileResponse(
        job.path,
        media_type="application/zip",
        filename=f"policywatch-export-{job.format}-{job.token[:8]}.zip",
    )
