"""Getting documents into the store: sources, crawl, ingest and import.

Owns ``sources list`` and ``sources check``, ``crawl`` (with ``run_crawls``,
which runs the spiders with a progress bar per stage, and
``print_crawl_summaries``), ``ingest`` (replaying a raw crawl file) and
``import`` (your own JSONL, CSV or folder of files, with
``print_import_report``). ``demo`` reuses the crawl helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from policywatch.cli.app import (
    SiteUrlOption,
    SourcesFileOption,
    app,
    console,
    progress_bar,
    sources_app,
)
from policywatch.config import Settings, get_settings
from policywatch.crawl import CrawlSummary, crawl_source, select_sources
from policywatch.errors import PolicyWatchError
from policywatch.importer import ImportFormat, ImportReport, PublishedFrom, import_path
from policywatch.ingest import count_lines, ingest_file
from policywatch.registry import SITE_PLACEHOLDER
from policywatch.sources_check import probe
from policywatch.store import connect, session_scope


@sources_app.command("list")
def sources_list(sources_file: SourcesFileOption = None) -> None:
    """List the sources in the sources file and what each reads.

    Example: POLICYWATCH_SOURCES_FILE=my-sources.toml policywatch sources list
    """
    settings = get_settings()
    path = sources_file or settings.resolved_sources_file
    console.print(f"Sources in {path}:\n")
    for source in select_sources(settings, sources_file=path, site_url=SITE_PLACEHOLDER):
        unverified = "" if source.verified else "  [yellow](unverified)[/]"
        console.print(f"[bold]{source.key}[/]  {source.kind}{unverified}")
        console.print(
            f"  {source.base_url or settings.govuk_base_url}", highlight=False, soft_wrap=True
        )
        for name, value in source.options.items():
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            console.print(f"  {name}: {shown}", highlight=False, soft_wrap=True)


@sources_app.command("check")
def sources_check(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Check only this source key.")
    ] = None,
    sources_file: SourcesFileOption = None,
    site_url: SiteUrlOption = None,
) -> None:
    """Probe each source once and report which respond (exit 1 if any does not).

    Example: policywatch sources check --source adcs
    """
    settings = get_settings()
    selected = select_sources(settings, source, sources_file=sources_file, site_url=site_url)
    table = Table(title="Source check", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("key", "answers", "status", "was verified", "probe URL", "detail"):
        table.add_column(column, overflow="fold")
    failures = 0
    with progress_bar() as progress:
        task = progress.add_task("probing sources", total=len(selected))
        results = []
        for entry in selected:
            base = entry.base_url or settings.govuk_base_url
            results.append(probe(entry, base, user_agent=settings.full_user_agent))
            progress.advance(task)
    for result in results:
        failures += not result.ok
        table.add_row(
            result.source.key,
            "[green]yes[/]" if result.ok else "[red]no[/]",
            str(result.status or "—"),
            "yes" if result.source.verified else "no",
            result.url,
            result.detail,
        )
    console.print(table)
    if failures:
        raise typer.Exit(1)


def run_crawls(
    settings: Settings,
    *,
    source_keys: list[str] | None = None,
    base_url: str | None = None,
    full: bool = False,
    requests_per_second: float | None = None,
    sources_file: Path | None = None,
    site_url: str | None = None,
    http_cache: bool = False,
) -> list[CrawlSummary]:
    """Crawl the selected sources one after another with a progress bar per stage."""
    selected = select_sources(settings, source_keys, sources_file=sources_file, site_url=site_url)
    engine = connect(settings, upgrade=True)
    summaries: list[CrawlSummary] = []
    with progress_bar() as progress:
        for source in selected:
            crawl_task = progress.add_task(f"crawl {source.key}", total=None)
            ingest_task = progress.add_task(f"ingest {source.key}", total=None, visible=False)

            def on_crawl(n: int, task: int = crawl_task) -> None:
                progress.update(task, completed=n)

            def on_ingest_start(total: int, task: int = ingest_task) -> None:
                progress.update(task, total=total, visible=True)

            def on_ingest_line(task: int = ingest_task) -> None:
                progress.advance(task)

            summary = crawl_source(
                settings,
                engine,
                source,
                base_url=base_url,
                full=full,
                requests_per_second=requests_per_second,
                http_cache=http_cache,
                on_crawl_progress=on_crawl,
                on_ingest_start=on_ingest_start,
                on_ingest_line=on_ingest_line,
            )
            progress.update(crawl_task, total=summary.report.seen, completed=summary.report.seen)
            summaries.append(summary)
    return summaries


def print_crawl_summaries(summaries: list[CrawlSummary]) -> None:
    table = Table(title="Crawl runs", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("source", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for column in ("seen", "new", "versions", "same", "errors"):
        table.add_column(column, justify="right", no_wrap=True)
    for s in summaries:
        counts = s.report.run_counts()
        table.add_row(
            s.source_key,
            s.status,
            str(counts["items_seen"]),
            str(counts["items_new"]),
            str(counts["items_new_version"]),
            str(counts["items_unchanged"]),
            str(counts["items_rejected"]),
        )
    console.print(table)
    for s in summaries:
        requests = s.stats.get("downloader/request_count")
        if requests is not None:
            retries = s.stats.get("retry/count", 0)
            console.print(f"  {s.source_key}: {requests} requests, {retries} retried")
        if s.report.error_summary():
            reasons = ", ".join(f"{k}: {v}" for k, v in sorted(s.report.error_summary().items()))
            console.print(f"  {s.source_key} problems: {reasons}")
        if s.message:
            console.print(f"  [red]{s.source_key}: {s.message}[/]")


@app.command()
def crawl(
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Crawl only this source key (repeatable)."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="Point every selected source at this base URL (e.g. a fixture site)."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Ignore earlier runs and re-read everything.")
    ] = False,
    sources_file: SourcesFileOption = None,
    site_url: SiteUrlOption = None,
    http_cache: Annotated[
        bool, typer.Option("--http-cache", help="Cache responses under the data dir (dev).")
    ] = False,
) -> None:
    """Crawl the configured sources and store what is new (incremental by default).

    A crawl that is stopped (Ctrl-C) resumes where it left off next time.

    Example: policywatch crawl --source govuk-dfe --source parliament-statements
    """
    summaries = run_crawls(
        get_settings(),
        source_keys=source,
        base_url=base_url,
        full=full,
        sources_file=sources_file,
        site_url=site_url,
        http_cache=http_cache,
    )
    print_crawl_summaries(summaries)
    if any(s.status == "failed" for s in summaries):
        raise typer.Exit(1)


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="A raw JSONL file written by a crawl.")],
    source: Annotated[str, typer.Option(help="Source key to record the items under.")] = "replay",
) -> None:
    """Replay a raw crawl file into the store (idempotent: nothing is stored twice).

    Example: policywatch ingest data/raw/govuk-childrens-social-care/20250101T000000Z-run1.jsonl
    """
    if not path.exists():
        raise PolicyWatchError(f"no such file: {path}")
    engine = connect(get_settings(), upgrade=True)
    with progress_bar() as progress, session_scope(engine) as session:
        task = progress.add_task(f"ingest {path.name}", total=count_lines(path))
        report = ingest_file(
            session, path=path, source_key=source, on_line=lambda: progress.advance(task)
        )
    counts = report.run_counts()
    console.print(
        f"{counts['items_seen']} items: {counts['items_new']} new, "
        f"{counts['items_new_version']} new versions, {counts['items_unchanged']} unchanged, "
        f"{counts['items_rejected']} rejected"
    )
    for reason, n in sorted(report.error_summary().items()):
        console.print(f"  {reason}: {n}")


#: bad rows listed one by one after an import; the rest are counted (and kept in the store)
MAX_PROBLEMS_SHOWN = 100


@app.command("import")
def import_documents(
    path: Annotated[
        Path,
        typer.Argument(help="A JSONL or CSV file, or a folder of HTML, PDF and text files."),
    ],
    publisher: Annotated[
        str | None,
        typer.Option(help="Publisher slug for rows and files that name none (files never do)."),
    ] = None,
    source_key: Annotated[
        str | None,
        typer.Option(help="Record the import under this source key. Default: import-<name>."),
    ] = None,
    document_type: Annotated[
        str, typer.Option(help="Document type for rows that name none.")
    ] = "import",
    fmt: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="Default: by the file's extension, or folder."),
    ] = None,
    published_from: Annotated[
        PublishedFrom | None,
        typer.Option(help="Date files that state no date by their modification time."),
    ] = None,
) -> None:
    """Import your own documents into the store, as a source of their own.

    A JSONL file (one object a line) or a CSV file with the columns url, title,
    published (ISO date), publisher, document_type, body_text or body_html,
    and optionally description and external_id; or a folder of HTML, PDF and
    text files. Bad lines are reported with their line numbers and skipped;
    importing the same file again changes nothing.

    Example: policywatch import my-documents.csv --publisher ofsted
    """
    if not path.exists():
        raise PolicyWatchError(f"no such file or folder: {path}")
    settings = get_settings()
    engine = connect(settings, upgrade=True)
    with progress_bar() as progress:
        tasks: list[int] = []  # added once the import knows how many items there are

        def on_start(total: int) -> None:
            tasks.append(progress.add_task(f"import {path.name}", total=total))

        report = import_path(
            settings,
            engine,
            path,
            publisher=publisher,
            source_key=source_key,
            document_type=document_type,
            fmt=fmt,
            published_from=published_from,
            on_start=on_start,
            on_item=lambda: progress.advance(tasks[0]),
        )
    print_import_report(report)
    if report.stored == 0:  # every row was bad: nothing could be read
        raise typer.Exit(1)


def print_import_report(report: ImportReport) -> None:
    counts = report.counts
    console.print(
        f"Imported {report.path} ({report.format}) as source [bold]{report.source_key}[/] "
        f"(run {report.run_id}, {report.status})",
        highlight=False,
    )
    console.print(
        f"{counts['items_seen']} items: {counts['items_new']} new, "
        f"{counts['items_new_version']} new versions, {counts['items_unchanged']} unchanged, "
        f"{counts['items_rejected']} rejected"
    )
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        console.print(f"  {problem}", markup=False, highlight=False)
    if len(report.problems) > MAX_PROBLEMS_SHOWN:
        console.print(
            f"  ... and {len(report.problems) - MAX_PROBLEMS_SHOWN} more (kept in the store; "
            "`policywatch status` lists the latest)"
        )
    if report.ingest.warnings:
        warned = ", ".join(f"{k}: {v}" for k, v in sorted(report.ingest.warnings.items()))
        console.print(f"  warnings: {warned}", markup=False, highlight=False)
    if report.skipped:
        files = "file that is" if len(report.skipped) == 1 else "files that are"
        console.print(
            f"  skipped {len(report.skipped)} {files} not HTML, PDF or text: "
            + ", ".join(report.skipped[:10])
            + (" ..." if len(report.skipped) > 10 else ""),
            markup=False,
            highlight=False,
        )
    if report.ignored_columns:
        console.print(
            f"  ignored columns: {', '.join(report.ignored_columns)}", markup=False, highlight=False
        )
