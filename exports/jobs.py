"""Export jobs: an export asked for over HTTP, run in the background, downloaded as a zip.

The job row lives in the store so whichever worker serves the status or the
download sees the same state, and finished exports survive a restart. Each
job writes under ``<data dir>/exports/<token>/`` and zips that folder once
the export is complete, so a download never sees half an export.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import zipfile
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from exports.filters import ExportFilters
from exports.writer import export_corpus
from policywatch.store import session_scope
from policywatch.store.tables import ExportJob
from policywatch.store.types import utcnow

log = logging.getLogger(__name__)


def create_job(engine: Engine, *, fmt: str, filters: ExportFilters) -> ExportJob:
    """Record a queued export; its token is the id the API hands out."""
    with session_scope(engine) as session:
        job = ExportJob(
            token=secrets.token_urlsafe(16), format=fmt, filters=filters.model_dump(mode="json")
        )
        session.add(job)
        session.flush()
        session.refresh(job)
        return job


def get_job(engine: Engine, *, token: str) -> ExportJob | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(ExportJob).where(ExportJob.token == token)).first()


def _update(engine: Engine, token: str, **values: object) -> None:
    with session_scope(engine) as session:
        job = session.exec(select(ExportJob).where(ExportJob.token == token)).one()
        for name, value in values.items():
            setattr(job, name, value)


def job_folder(data_dir: Path, token: str) -> Path:
    return data_dir / "exports" / token


def run_job(engine: Engine, *, token: str, data_dir: Path) -> None:
    """Run a queued export to its zip; a failure is recorded on the job, never lost."""
    job = get_job(engine, token=token)
    if job is None or job.status != "queued":
        return
    folder = job_folder(data_dir, token)
    _update(engine, token, status="running")
    try:
        manifest = export_corpus(
            engine,
            out_dir=folder,
            fmt=job.format,
            filters=ExportFilters.model_validate(job.filters),
            on_progress=lambda rows: _update(engine, token, rows=rows),
        )
        archive = zip_folder(folder, folder.with_suffix(".zip"))
    except Exception as exc:
        log.exception("export job %s failed", token)
        shutil.rmtree(folder, ignore_errors=True)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _update(engine, token, status="failed", error=reason, finished_at=utcnow())
        return
    _update(
        engine,
        token,
        status="succeeded",
        rows=manifest.row_counts["documents"],
        path=str(archive),
        finished_at=utcnow(),
    )


def zip_folder(folder: Path, archive: Path) -> Path:
    """Zip every file of an export (manifest included) into ``archive``, written atomically."""
    partial = archive.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, arcname=f"{folder.name}/{path.relative_to(folder).as_posix()}")
    partial.replace(archive)
    return archive


#: At most this many exports run or wait at once; more are refused (HTTP 429), so a
#: public dashboard cannot be made to fill its disk or CPU with export jobs.
MAX_ACTIVE_JOBS = 2


def active_jobs(engine: Engine) -> int:
    """Exports queued or running now."""
    from sqlalchemy import func
    from sqlmodel import col

    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(ExportJob)
            .where(col(ExportJob.status).in_(["queued", "running"]))
        ).one()
