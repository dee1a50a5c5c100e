"""The export flow: the tagged corpus to files, as one IO task with retries.

``exports.writer.export_corpus`` writes into a fresh folder and finishes with
its manifest, so a retried or repeated export rewrites the same files rather
than adding to them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from flows.progress import reporter
from flows.records import RunSummary, StageResult, record_stage, timed
from flows.runners import io_task_options
from policywatch.config import get_settings
from policywatch.store import connect


@task(name="export-corpus", task_run_name="export-{fmt}", cache_policy=NO_CACHE)
def export_task(engine: Engine, out_dir: str, fmt: str, filters: dict[str, Any] | None) -> Any:
    from exports.filters import ExportFilters
    from exports.writer import export_corpus

    progress = reporter()
    progress.start("export", None)
    written = [0]

    def on_progress(so_far: int) -> None:  # the writer reports a running total
        progress.advance("export", so_far - written[0])
        written[0] = so_far

    return export_corpus(
        engine,
        out_dir=Path(out_dir),
        fmt=fmt,
        filters=ExportFilters(**filters) if filters else None,
        on_progress=on_progress,
    )


@flow(name="export", flow_run_name="export-{fmt}")
def export_flow(out_dir: str, fmt: str = "jsonl", filters: dict[str, Any] | None = None) -> Any:
    """Export the corpus matching ``filters`` (ExportFilters fields) to ``out_dir``."""
    from prefect.runtime import flow_run

    settings = get_settings()
    engine = connect(settings)
    result = StageResult("export")
    manifest = None
    with timed(result):
        manifest = export_task.with_options(**io_task_options(settings))(
            engine, out_dir, fmt, filters
        )
        result.items_out = int(manifest.row_counts.get("documents", 0))
        result.items_in = result.items_out
    summary = RunSummary(run_key=str(flow_run.id), stages=[result])
    record_stage(engine, run_key=summary.run_key, flow_name="export", result=result)
    if result.errors:
        raise RuntimeError(result.error)
    return manifest
