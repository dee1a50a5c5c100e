"""The ``policywatch`` command line: a thin Typer layer over library functions.

Every command calls functions you can import (store, crawl, ingest), so the
CLI holds no logic of its own. Errors print one clear line and exit non-zero;
``--debug`` shows the traceback instead. Every command's help ends with an
example (a test checks it).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.engine import Engine

from policywatch.config import Settings, get_settings
from policywatch.crawl import CrawlSummary, crawl_source, select_sources
from policywatch.errors import PolicyWatchError
from policywatch.importer import ImportFormat, ImportReport, PublishedFrom, import_path
from policywatch.ingest import count_lines, ingest_file
from policywatch.registry import SITE_PLACEHOLDER
from policywatch.sources_check import probe
from policywatch.store import connect, migrate, queries, session_scope
from policywatch.store.tables import CrawlRun

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

app = typer.Typer(
    help="PolicyWatch: what government has said about children's social care, and where "
    "it contradicts itself.\n\nExample: policywatch demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Create and migrate the store.\n\nExample: policywatch db upgrade")
sources_app = typer.Typer(help="The configured sources.\n\nExample: policywatch sources list")
documents_app = typer.Typer(
    help="List, show and search stored documents.\n\nExample: policywatch documents list"
)
app.add_typer(db_app, name="db", no_args_is_help=True)
app.add_typer(sources_app, name="sources", no_args_is_help=True)
app.add_typer(documents_app, name="documents", no_args_is_help=True)
evaluate_app = typer.Typer(
    help="Measure quality on held-out labelled data.\n\nExample: policywatch evaluate nlp"
)
app.add_typer(evaluate_app, name="evaluate", no_args_is_help=True)


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    """PolicyWatch command line.

    Example: policywatch --verbose crawl
    """
    level = logging.INFO if verbose or debug else logging.WARNING
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, markup=False)],
        force=True,
    )
    for noisy in ("scrapy", "twisted", "alembic", "httpx", "filelock"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise PolicyWatchError(f"not a date: {value!r} (use YYYY-MM-DD)") from exc


# -- db --------------------------------------------------------------------


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


# -- sources ---------------------------------------------------------------


SourcesFileOption = Annotated[
    Path | None,
    typer.Option("--sources-file", help="Sources TOML file (default: POLICYWATCH_SOURCES_FILE)."),
]
SiteUrlOption = Annotated[
    str | None,
    typer.Option("--site-url", help="URL that replaces {site} in the sources file."),
]


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
    with _progress() as progress:
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


# -- crawl and ingest ------------------------------------------------------


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
    with _progress() as progress:
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
    with _progress() as progress, session_scope(engine) as session:
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
    with _progress() as progress:
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


# -- language layer --------------------------------------------------------


def _load_pipeline(model: str | None):  # type: ignore[no-untyped-def]
    """Load the spaCy pipeline, saying which one and warning loudly about the fallback."""
    from nlp.pipeline import load_pipeline

    settings = get_settings()
    with err_console.status("loading the spaCy pipeline"):
        pipeline, info = load_pipeline(model or settings.spacy_model)
    if not info.trained and info.note != "blank pipeline requested":
        err_console.print(
            "[bold yellow]warning:[/] no trained spaCy pipeline: using the blank fallback "
            "(rules only). Themes, money, actors and coherence work; statements are less "
            f"complete. {info.note}",
            highlight=False,
        )
    return pipeline, info


ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="spaCy pipeline to use ('blank' for the rules-only fallback)."),
]


@app.command()
def process(
    model: ModelOption = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Documents per batch.")] = None,
    processes: Annotated[int | None, typer.Option(min=1, help="Processes for nlp.pipe.")] = None,
) -> None:
    """Annotate every document version not yet annotated (themes, statements, money, ...).

    Safe to repeat: a second run finds nothing to do.

    Example: policywatch process --processes 2
    """
    from nlp.annotate import annotate_pending

    settings = get_settings()
    engine = connect(settings)
    pipeline, info = _load_pipeline(model)
    console.print(f"Pipeline: {info.describe()}", highlight=False)
    with _progress() as progress:
        task = progress.add_task("annotate", total=None)
        report = annotate_pending(
            engine,
            pipeline,
            info,
            batch_size=batch_size or settings.nlp_batch_size,
            n_process=processes or settings.nlp_processes,
            on_start=lambda total: progress.update(task, total=total),
            on_version=lambda: progress.advance(task),
        )
    if report.versions == 0:
        console.print("Nothing to annotate: every version is up to date.")
        return
    console.print(
        f"Annotated {report.versions} versions ({report.words:,} words) in "
        f"{report.batches} batches: {report.statements} statements."
    )
    top = sorted(report.themes.items(), key=lambda kv: -kv[1])[:8]
    console.print("Themes found: " + ", ".join(f"{t} {n}" for t, n in top))


@evaluate_app.command("nlp")
def evaluate_nlp(
    pipeline_kind: Annotated[
        str, typer.Option("--pipeline", help="trained, blank or both.")
    ] = "both",
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Pin these figures as the new floors.")
    ] = False,
    allow_lower: Annotated[
        bool, typer.Option("--allow-lower", help="With --update-baseline: accept lower floors.")
    ] = False,
) -> None:
    """Precision, recall and F1 per component on the held-out gold set, gated on the baseline.

    Exits 1 when a figure falls below its pinned floor (minus epsilon).

    Example: policywatch evaluate nlp --pipeline both
    """
    from nlp import evaluate as nlp_eval
    from nlp.pipeline import BLANK

    kinds = {"both": ["trained", "blank"], "trained": ["trained"], "blank": ["blank"]}
    if pipeline_kind not in kinds:
        raise PolicyWatchError("--pipeline must be trained, blank or both")
    evaluations = []
    for kind in kinds[pipeline_kind]:
        pipeline, info = _load_pipeline(BLANK if kind == "blank" else None)
        evaluations.append(nlp_eval.evaluate(pipeline, kind))
        table = Table(title=f"{kind}: {info.model} {info.model_version}", box=box.SIMPLE_HEAD)
        for column in ("component", "precision", "recall", "F1", "support"):
            table.add_column(column, justify="left" if column == "component" else "right")
        for component, figures in evaluations[-1].figures().items():
            table.add_row(
                component,
                f"{figures['precision']:.3f}",
                f"{figures['recall']:.3f}",
                f"{figures['f1']:.3f}",
                str(figures["support"]),
            )
        console.print(table)
    data_hash = nlp_eval.gold_hash()
    baseline = nlp_eval.load_baseline()
    if update_baseline:
        new, lowered = nlp_eval.updated_baseline(
            evaluations, baseline, data_hash=data_hash, allow_lower=allow_lower
        )
        if lowered and not allow_lower:
            raise PolicyWatchError(
                "refusing to lower floors without --allow-lower: " + "; ".join(lowered)
            )
        nlp_eval.BASELINE_FILE.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
        console.print(f"Baseline written to {nlp_eval.BASELINE_FILE}")
        return
    problems = nlp_eval.gate(evaluations, baseline, data_hash=data_hash)
    for problem in problems:
        err_console.print(f"[red]gate:[/] {problem}", highlight=False)
    if problems:
        raise typer.Exit(1)
    console.print("Quality gate: every figure is at or above its floor.")


@app.command()
def doctor(model: ModelOption = None) -> None:
    """Check the installation: which spaCy pipeline is in use, the store, the versions.

    Example: policywatch doctor
    """
    import spacy

    from nlp.pipeline import MIRROR_MODEL, OFFICIAL_MODEL

    settings = get_settings()
    console.print(f"spaCy {spacy.__version__}")
    for package in (OFFICIAL_MODEL, MIRROR_MODEL):
        installed = spacy.util.is_package(package)
        console.print(f"  {package}: {'installed' if installed else 'not installed'}")
    _, info = _load_pipeline(model)
    console.print(f"Pipeline in use: {info.describe()}", highlight=False)
    console.print(f"Pipeline version key: {info.version_key}")
    try:
        engine = connect(settings)
        console.print(
            f"Store: {engine.url.render_as_string(hide_password=True)} (schema up to date)"
        )
    except PolicyWatchError as exc:
        console.print(f"Store: [red]{exc}[/]", highlight=False)


# -- documents -------------------------------------------------------------


def _print_json_lines(rows: Iterable[dict[str, object]]) -> None:
    """One compact JSON object per line, for piping into jq or a script."""
    for row in rows:
        typer.echo(json.dumps(row, default=str, ensure_ascii=False))


def _fmt_date(value: datetime | None) -> str:
    return value.date().isoformat() if value else "—"


@documents_app.command("list")
def documents_list(
    publisher: Annotated[str | None, typer.Option(help="Publisher slug, e.g. ofsted.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only published on or after YYYY-MM-DD.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many to show.")] = 25,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead.")] = False,
) -> None:
    """List stored documents, newest first.

    Example: policywatch documents list --publisher department-for-education --since 2023-01-01
    """
    engine = connect(get_settings())
    with session_scope(engine) as session:
        rows = queries.list_documents(session, publisher=publisher, since=_date(since), limit=limit)
    if as_json:
        _print_json_lines(row.__dict__ for row in rows)
        return
    table = Table(title=f"{len(rows)} documents")
    for column in ("id", "published", "publisher", "type", "v", "title"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id),
            _fmt_date(row.first_published_at),
            row.publisher or "—",
            row.document_type,
            str(row.latest_version),
            row.title,
        )
    console.print(table)


@documents_app.command("show")
def documents_show(
    ref: Annotated[str, typer.Argument(help="Document id or canonical URL.")],
    versions: Annotated[bool, typer.Option(help="Show every version's change note.")] = True,
    body: Annotated[bool, typer.Option(help="Print the latest body text.")] = True,
) -> None:
    """Show one document: metadata, versions and body.

    Example: policywatch documents show 12
    """
    engine = connect(get_settings())
    with session_scope(engine) as session:
        document = queries.get_document(session, ref=ref)
        if document is None:
            raise PolicyWatchError(f"no document {ref!r} (try `policywatch documents list`)")
        history = queries.document_versions(session, document_id=document.id)  # type: ignore[arg-type]
        publishers = queries.document_publishers(session, document_id=document.id)  # type: ignore[arg-type]
    console.print(f"[bold]{document.title}[/]")
    console.print(f"{document.canonical_url}")
    console.print(
        f"{document.document_type} · published {_fmt_date(document.first_published_at)} · "
        f"updated {_fmt_date(document.public_updated_at)} · "
        f"by {', '.join(p.title for p in publishers) or 'unknown'}"
    )
    if document.withdrawn_at:
        console.print(f"[red]Withdrawn {_fmt_date(document.withdrawn_at)}[/]")
    if versions:
        for version in history:
            note = version.change_note or ""
            unseen = (
                "" if version.body_known else "  [dim](from the change history; text not seen)[/]"
            )
            console.print(
                f"  v{version.version_no} {_fmt_date(version.published_at)} {note}{unseen}"
            )
    if body and history:
        console.print()
        console.print(history[-1].body_text, markup=False, highlight=False)


@documents_app.command("search")
def documents_search(
    query: Annotated[str, typer.Argument(help='Words, "quoted phrases", -excluded words.')],
    limit: Annotated[int, typer.Option(min=1, help="How many results.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead.")] = False,
) -> None:
    """Full-text search over titles and bodies, best match first.

    Example: policywatch documents search '"children\'s homes" capital -scotland'
    """
    engine = connect(get_settings())
    with session_scope(engine) as session:
        hits = queries.search_documents(session, query=query, limit=limit)
    if as_json:
        _print_json_lines(hit.__dict__ for hit in hits)
        return
    if not hits:
        console.print(f"No documents match {query!r}.")
        return
    for hit in hits:
        console.print(
            f"[bold]{hit.document_id}[/] {_fmt_date(hit.first_published_at)} "
            f"{hit.publisher or '—'}  [bold]{hit.title}[/]  ({hit.score:.2f})"
        )
        console.print(f"    {hit.snippet}", markup=False, highlight=False)


# -- status ----------------------------------------------------------------


@app.command()
def status(
    runs: Annotated[
        int, typer.Option(min=0, help="Also list this many most recent runs of any source.")
    ] = 0,
) -> None:
    """What the store holds, each source's latest crawl run, and items that could not be stored.

    Example: POLICYWATCH_DATA_DIR=/tmp/pw policywatch status --runs 20
    """
    settings = get_settings()
    engine = connect(settings)
    with session_scope(engine) as session:
        counts = queries.store_counts(session)
        latest = queries.latest_run_per_source(session)
        history = queries.recent_crawl_runs(session, limit=runs) if runs else []
        errors = queries.ingest_errors(session, limit=5)
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


# -- demo ------------------------------------------------------------------

#: crawl rate for the local fixture site (requests per second)
LOCAL_RATE = 100.0
#: the demo's sources: every source kind, pointed at the fixture site
DEMO_SOURCES = Path(__file__).with_name("fixture_site") / "sources.toml"


@app.command()
def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Do not serve the dashboard afterwards.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for the local fixture site (0: any free).")] = 0,
) -> None:
    """Crawl the offline demo corpus from a local fixture site and store it.

    Starts the fixture site on 127.0.0.1, crawls it with the real spiders into
    the configured store (SQLite under ./data by default) and prints a summary.
    Running it again adds nothing new.

    Example: policywatch demo --no-serve
    """
    from policywatch.fixture_site.server import FixtureSite  # demo-only dependency

    settings = get_settings()
    with FixtureSite(port=port) as site:
        console.print(f"Fixture site serving the demo corpus at {site.base_url}")
        # the fixture site is ours and on this machine: no need for GOV.UK politeness
        summaries = run_crawls(
            settings,
            sources_file=DEMO_SOURCES,
            site_url=site.base_url,
            requests_per_second=LOCAL_RATE,
        )
    print_crawl_summaries(summaries)
    engine = connect(settings)
    annotate_for_demo(engine)
    with session_scope(engine) as session:
        counts = queries.store_counts(session)
        per_publisher = queries.documents_per_publisher(session)
    console.print(
        f"\nThe store holds {counts.documents} documents ({counts.versions} versions) "
        f"from {len(per_publisher)} publishers:"
    )
    for slug, n in per_publisher:
        console.print(f"  {n:4d}  {slug}")
    console.print(f"\nData: {engine.url.render_as_string(hide_password=True)}")
    console.print(f"Raw crawl files: {settings.raw_dir.resolve()}")
    console.print("Next: policywatch documents list | policywatch documents search 'kinship'")
    if not no_serve:
        console.print("(The dashboard is not built yet; nothing to serve.)")
    if any(s.status == "failed" for s in summaries):
        raise typer.Exit(1)


def annotate_for_demo(engine: Engine) -> None:
    """The demo's second stage: annotate what was crawled (a no-op when nothing is new)."""
    from nlp.annotate import annotate_pending

    settings = get_settings()
    pipeline, info = _load_pipeline(None)
    with _progress() as progress:
        task = progress.add_task("annotate", total=None)
        report = annotate_pending(
            engine,
            pipeline,
            info,
            batch_size=settings.nlp_batch_size,
            n_process=settings.nlp_processes,
            on_start=lambda total: progress.update(task, total=total),
            on_version=lambda: progress.advance(task),
        )
    console.print(
        f"Annotated {report.versions} new versions with {info.model} "
        f"({report.statements} policy statements found)."
    )


# -- entry point -----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the CLI, turning errors into one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # without standalone mode, Click returns (not raises) a command's typer.Exit code
        code = app(args=args, prog_name="policywatch", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        exc.show()  # type: ignore[attr-defined]
        return exc.exit_code  # type: ignore[attr-defined]
    except typer.Abort:
        err_console.print("Aborted.")
        return 130
    except PolicyWatchError as exc:
        if debug:
            raise
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        return 1
    except Exception as exc:
        if debug:
            raise
        err_console.print(
            f"[red]error:[/] {type(exc).__name__}: {exc} (run with --debug for details)",
            highlight=False,
        )
        return 1
    return code if isinstance(code, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
