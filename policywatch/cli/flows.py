"""The orchestration commands: ``run`` (the pipeline once) and ``serve`` (on a schedule).

Owns ``run``, ``serve``, the progress bars a run shows per stage
(``BarReporter``) and ``stage_table``, the per-stage summary that ``run`` and
``status`` print. Prefect and the ``flows`` package are imported inside the
commands, so other commands start fast without them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Annotated, Any, Protocol

import typer
from rich import box
from rich.progress import Progress, TaskID
from rich.table import Table

from policywatch.cli.app import (
    SiteUrlOption,
    SourcesFileOption,
    app,
    console,
    err_console,
    progress_bar,
)
from policywatch.config import get_settings


class StageRow(Protocol):
    stage: str
    items_in: int
    items_out: int
    items_failed: int
    seconds: float

    @property
    def status(self) -> str: ...
    @property
    def error(self) -> str | None: ...


class BarReporter:
    """A progress bar per stage, created when the stage starts reporting."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def _task(self, stage: str) -> TaskID:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=None)
        return self.tasks[stage]

    def start(self, stage: str, total: int | None) -> None:
        self.progress.update(self._task(stage), total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        self.progress.advance(self._task(stage), n)

    def finish(self, stage: str, status: str) -> None:
        task = self._task(stage)
        done = self.progress.tasks[self.tasks[stage]].completed
        total = self.progress.tasks[self.tasks[stage]].total
        self.progress.update(
            task, total=total if total is not None else done, description=f"{stage} ({status})"
        )


def stage_table(title: str, rows: Iterable[StageRow]) -> Table:
    """Stages as a table: items in, out and failed, seconds, and what went wrong."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("stage", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for column in ("in", "out", "failed", "seconds"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("error", overflow="fold")
    for row in rows:
        table.add_row(
            row.stage,
            row.status,
            str(row.items_in),
            str(row.items_out),
            str(row.items_failed),
            f"{row.seconds:.1f}",
            row.error or "—",
        )
    return table


def quiet_prefect() -> None:
    """Prefect logs every state change at INFO; the CLI shows bars instead (-v shows both)."""
    if logging.getLogger().level > logging.INFO:
        for name in ("prefect", "prefect.flow_runs", "prefect.task_runs", "distributed"):
            logging.getLogger(name).setLevel(logging.WARNING)


def run_with_bars(**parameters: Any) -> Any:
    """Run the pipeline flow once with a progress bar per stage; returns its summary."""
    from flows.pipeline import run_pipeline
    from flows.progress import reporting_to

    quiet_prefect()
    with progress_bar() as progress, reporting_to(BarReporter(progress)):
        return run_pipeline(**parameters)


@app.command("run")
def run_command(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Crawl only this source key.")
    ] = None,
    sources_file: SourcesFileOption = None,
    site_url: SiteUrlOption = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read every source in full.")] = False,
    no_crawl: Annotated[
        bool, typer.Option("--no-crawl", help="Skip crawling; process what the store holds.")
    ] = False,
    train_missing: Annotated[
        bool,
        typer.Option(
            "--train-missing/--no-train-missing",
            help="Train the default classifiers first when none is active.",
        ),
    ] = True,
) -> None:
    """Run the whole pipeline once: crawl, ingest, annotate and every later stage.

    Needs no Prefect server (Prefect starts a temporary local API). Each stage
    is recorded in the store (`policywatch status` shows it); the command exits
    1 when any stage failed, naming it and why.

    Example: policywatch run --source govuk-dfe
    """
    summary = run_with_bars(
        sources=source or None,
        sources_file=str(sources_file) if sources_file else None,
        site_url=site_url,
        full=full,
        crawl=not no_crawl,
        train_missing=train_missing,
    )
    console.print(stage_table(f"Run {summary.run_key}", summary.stages))
    if summary.failed:
        for stage in summary.failed:
            err_console.print(f"[red]failed:[/] {stage.stage}: {stage.error}", highlight=False)
        raise typer.Exit(1)


@app.command()
def serve(
    sources_file: SourcesFileOption = None,
    site_url: SiteUrlOption = None,
) -> None:
    """Run the pipeline on a schedule: each source on its own cron, then the digests.

    Each source in sources.toml is crawled on its `schedule` (cron, UTC;
    hourly when unset) and the pipeline processes what it found; an hourly
    check sends the daily and weekly alert digests whose slot has come. Point PREFECT_API_URL at a
    Prefect server (e.g. http://127.0.0.1:4200/api) to see the runs in its
    UI. Stop with Ctrl-C.

    Example: policywatch serve
    """
    from flows.serve import build_deployments, prefect_ui_url, serve_deployments

    quiet_prefect()
    settings = get_settings()
    deployments = build_deployments(settings, sources_file=sources_file, site_url=site_url)
    ui = prefect_ui_url()
    if ui:
        console.print(f"Prefect UI: {ui}", highlight=False)
    else:
        console.print(
            "No Prefect server configured (PREFECT_API_URL): using a temporary local API; "
            "`policywatch status` shows each run's stages."
        )
    for deployment in deployments:
        console.print(f"  {deployment.name}  {_cron(deployment)}", highlight=False)
    console.print(f"Serving {len(deployments)} schedules; Ctrl-C stops.", highlight=False)
    with contextlib.suppress(KeyboardInterrupt):
        serve_deployments(deployments)
    console.print("Stopped.")


def _cron(deployment: Any) -> str:
    crons = [getattr(s.schedule, "cron", "") for s in deployment.schedules or []]
    return ", ".join(c for c in crons if c)


__all__ = ["BarReporter", "run_command", "serve", "stage_table"]
