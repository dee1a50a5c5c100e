"""The crawl and ingest flows: one Scrapy subprocess per source, several at a time.

``crawl_stage`` is the plain function both the ``crawl`` flow and the
``pipeline`` flow call: it submits one ``crawl-<source>`` task per source to
the thread pool (``POLICYWATCH_FLOW_CRAWL_CONCURRENCY`` at once). Each task is
``policywatch.crawl.crawl_source``, which runs the spider subprocess and then
ingests its raw file; a crawl that fails raises, so Prefect retries it with
backoff, and after the last retry the failure is recorded and the other
sources carry on. Idempotency is the crawl code's own: a failed run re-reads
the same window and upserts make repeats free.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from flows.progress import reporter
from flows.records import RunSummary, StageResult, record_stage, timed
from flows.runners import io_task_options, sources_run_name, thread_runner
from policywatch.config import Settings, get_settings
from policywatch.crawl import CrawlSummary, crawl_source, select_sources
from policywatch.ingest import IngestReport, ingest_file
from policywatch.registry import SourceConfig
from policywatch.store import connect, session_scope
from policywatch.store.db import backend_name

_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def crawl_slots(limit: int) -> threading.BoundedSemaphore:
    """One semaphore per concurrency limit, shared by every crawl task in this process."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(limit, threading.BoundedSemaphore(limit))


def crawl_concurrency(settings: Settings, engine: Engine) -> int:
    """How many sources crawl at once: the setting on PostgreSQL, one on SQLite.

    ``crawl_source`` plans, ingests and finishes a run in transactions that
    read before they write; SQLite allows one writer and fails such a
    transaction at once ("database is locked") when another writer got in
    first, so on SQLite crawls take turns.
    """
    return 1 if backend_name(engine) == "sqlite" else settings.flow_crawl_concurrency


@dataclass(frozen=True)
class CrawlOptions:
    """How the sources are read: the demo and tests point them at the fixture site."""

    sources: tuple[str, ...] = ()
    sources_file: str | None = None
    site_url: str | None = None
    full: bool = False
    requests_per_second: float | None = None


class CrawlFailed(Exception):
    """A source's crawl failed; carries its summary so the run can say why."""

    def __init__(self, summary: CrawlSummary) -> None:
        super().__init__(f"{summary.source_key}: {summary.message or summary.status}")
        self.summary = summary


@task(name="crawl-source", task_run_name="crawl-{source_key}", cache_policy=NO_CACHE)
def crawl_one(
    source_key: str,
    source: SourceConfig,
    settings: Settings,
    engine: Engine,
    full: bool,
    requests_per_second: float | None,
) -> CrawlSummary:
    """Crawl and ingest one source; raise on a failed crawl so Prefect retries it.

    A semaphore, not the pool size, limits how many crawl at once, so the limit
    follows the settings of the run rather than those at import time.
    """
    progress = reporter()
    with crawl_slots(crawl_concurrency(settings, engine)):
        summary = crawl_source(
            settings,
            engine,
            source,
            full=full,
            requests_per_second=requests_per_second,
            # Scrapy stops itself cleanly at the time-out; the run is then "interrupted"
            # and the retry resumes its queue from the JOBDIR
            extra_args=["--setting", f"CLOSESPIDER_TIMEOUT={settings.flow_io_timeout_seconds}"],
            on_ingest_line=lambda: progress.advance("ingest"),
        )
    if summary.status in {"failed", "interrupted"}:
        raise CrawlFailed(summary)
    return summary


def crawl_stage(
    settings: Settings, engine: Engine, options: CrawlOptions
) -> tuple[StageResult, StageResult]:
    """Crawl every selected source in parallel; results for the crawl and ingest stages."""
    crawled, ingested = StageResult("crawl"), StageResult("ingest")
    with timed(crawled):
        sources = select_sources(
            settings,
            list(options.sources) or None,
            sources_file=Path(options.sources_file) if options.sources_file else None,
            site_url=options.site_url,
        )
        crawled.items_in = len(sources)
        progress = reporter()
        progress.start("crawl", len(sources))
        progress.start("ingest", None)
        task_ = crawl_one.with_options(**io_task_options(settings, timeout=False))
        futures = [
            task_.submit(
                source.key, source, settings, engine, options.full, options.requests_per_second
            )
            for source in sources
        ]
        report = IngestReport()
        for source, future in zip(sources, futures, strict=True):
            outcome = future.result(raise_on_failure=False)  # waits for this source
            if isinstance(outcome, CrawlSummary):
                crawled.items_out += 1
                _add(report, outcome.report)
            else:
                crawled.items_failed += 1
                crawled.errors.append(
                    str(outcome)
                    if isinstance(outcome, CrawlFailed)
                    else f"{source.key}: {type(outcome).__name__}: {outcome}"
                )
                if isinstance(outcome, CrawlFailed):
                    _add(report, outcome.summary.report)  # what a failed crawl wrote is stored
            progress.advance("crawl")
        counts = report.run_counts()
        ingested.items_in = counts["items_seen"]
        ingested.items_out = counts["items_new"] + counts["items_new_version"]
        ingested.items_out += counts["items_unchanged"]
        ingested.items_failed = counts["items_rejected"]
    ingested.seconds = 0.0  # ingest runs inside each crawl task; its time is the crawl's
    return crawled, ingested


def _add(total: IngestReport, part: IngestReport) -> None:
    total.seen += part.seen
    total.outcomes.update(part.outcomes)
    total.rejected.update(part.rejected)
    total.warnings.update(part.warnings)


@flow(name="crawl", flow_run_name=sources_run_name("crawl"), task_runner=thread_runner())
def crawl_flow(
    sources: list[str] | None = None,
    sources_file: str | None = None,
    site_url: str | None = None,
    full: bool = False,
    requests_per_second: float | None = None,
) -> RunSummary:
    """Crawl the selected sources (all when none are named) and ingest what they found."""
    from prefect.runtime import flow_run

    settings = get_settings()
    engine = connect(settings, upgrade=True)
    options = CrawlOptions(tuple(sources or ()), sources_file, site_url, full, requests_per_second)
    summary = RunSummary(run_key=str(flow_run.id))
    for result in crawl_stage(settings, engine, options):
        record_stage(engine, run_key=summary.run_key, flow_name="crawl", result=result)
        summary.stages.append(result)
    return summary


@task(name="ingest-file", task_run_name="ingest-{path}", cache_policy=NO_CACHE)
def ingest_one(path: str, source_key: str, engine: Engine) -> IngestReport:
    with session_scope(engine) as session:
        return ingest_file(session, path=Path(path), source_key=source_key)


@flow(name="ingest", flow_run_name="ingest-{source_key}")
def ingest_flow(paths: list[str], source_key: str = "replay") -> RunSummary:
    """Replay raw crawl files into the store (idempotent: nothing is stored twice)."""
    from prefect.runtime import flow_run

    settings = get_settings()
    engine = connect(settings, upgrade=True)
    summary = RunSummary(run_key=str(flow_run.id))
    result = StageResult("ingest", items_in=0)
    with timed(result):
        report = IngestReport()
        for path in paths:
            part = ingest_one.with_options(**io_task_options(settings))(path, source_key, engine)
            _add(report, part)
        counts = report.run_counts()
        result.items_in = counts["items_seen"]
        result.items_out = counts["items_seen"] - counts["items_rejected"]
        result.items_failed = counts["items_rejected"]
    record_stage(engine, run_key=summary.run_key, flow_name="ingest", result=result)
    summary.stages.append(result)
    return summary
