"""The store commands: ``db upgrade`` and ``status``.

Owns creating and migrating the store, the ``status`` overview (what the
store holds, each source's latest crawl run, items that could not be stored)
and ``runs_table``, the crawl-runs table ``status`` prints.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table

from flows.records import recent_runs
from policywatch.cli.app import (
    app,
    console,
    db_app,
)
from policywatch.cli.flows import stage_table
from policywatch.config import get_settings
from policywatch.store import connect, migrate, queries, session_scope
from policywatch.store.tables import CrawlRun


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the store or migrate it to the newest schema (safe to repeat).

    Example: POLICYWATCH_DATABASE_URL=postgresql+psycopg://me@localhost/pw policywatch db upgrade
    """
    settings = get_settings()
    engine = connect(settings, upgrade=True)
    console.print(
        f"Store at revision [bold]{migrate.current_revision(engine)}[/]: "
        f"{engine.url.render_as_string(hide_password=True)}"
    )


@app.command()
def status(
    runs: Annotated[
        int, typer.Option(min=0, help="Also list this many most recent runs of any source.")
    ] = 0,
) -> None:
    """What the store holds, each source's latest crawl run, the latest pipeline run's stages.

    Example: POLICYWATCH_DATA_DIR=/tmp/pw policywatch status --runs 20
    """
    settings = get_settings()
    engine = connect(settings)
    with session_scope(engine) as session:
        counts = queries.store_counts(session)
        latest = queries.latest_run_per_source(session)
        history = queries.recent_crawl_runs(session, limit=runs) if runs else []
        errors = queries.ingest_errors(session, limit=5)
        stage_runs = recent_runs(session, limit=1)
    console.print(f"Store: {engine.url.render_as_string(hide_password=True)}")
    console.print(f"Data directory: {settings.data_dir.resolve()}")
    console.print(
        f"{counts.documents} documents, {counts.versions} versions "
        f"({counts.annotated_versions} annotated), {counts.publishers} publishers, "
        f"{counts.crawl_runs} crawl runs, {counts.ingest_errors} items that could not be stored"
    )
    if latest:
        console.print(runs_table("Latest run of each source", latest))
    if history:
        console.print(runs_table(f"Last {len(history)} runs", history))
    for error in errors:
        console.print(
            f"  error: {error.reason} ({error.raw_path}:{error.line_no}) {error.detail}",
            highlight=False,
        )
    for stages in stage_runs:
        first = stages[0]
        title = (
            f"Latest {first.flow_name} run {first.run_key} "
            f"({first.started_at.strftime('%Y-%m-%d %H:%M')})"
        )
        console.print(stage_table(title, stages))


def runs_table(title: str, runs: list[CrawlRun]) -> Table:
    """Crawl runs as a table: when, how it ended, what it found, what went wrong."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("run", justify="right")
    table.add_column("source", no_wrap=True)
    table.add_column("started", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for column in ("new", "changed", "same", "failed"):
        table.add_column(column, justify="right")
    table.add_column("problems", overflow="fold")
    for run in runs:
        problems = ", ".join(f"{k} {v}" for k, v in sorted(run.error_summary.items()))
        table.add_row(
            str(run.id),
            run.source_key,
            run.started_at.strftime("%Y-%m-%d %H:%M"),
            run.status,
            str(run.items_new),
            str(run.items_new_version),
            str(run.items_unchanged),
            str(run.items_rejected),
            problems or "—",
        )
    return table
