"""Crawl a source end to end: Scrapy in a subprocess, then ingest its raw file.

Scrapy's reactor cannot restart inside one process, so each crawl runs
``python -m spiders.run`` as a child process that writes an immutable raw JSONL
file; this process then ingests that file into the store. A crawl run row
records the source, the raw file and the counts. If the child dies, whatever
it wrote is still ingested and the run is marked failed, so the next run
picks up the rest without duplicates.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from policywatch.config import Settings
from policywatch.errors import PolicyWatchError
from policywatch.ingest import IngestReport, count_lines, ingest_file
from policywatch.registry import SourceConfig, load_sources
from policywatch.store import queries, session_scope, writes
from spiders.pipelines import part_path
from spiders.run import EXIT_INTERRUPTED, stats_path

log = logging.getLogger(__name__)

#: how far an incremental crawl looks back before the last successful run, for late edits
INCREMENTAL_OVERLAP = timedelta(days=1)


@dataclass
class CrawlSummary:
    """What one source's crawl did, for the CLI summary and the run record."""

    source_key: str
    run_id: int
    status: str
    raw_path: Path
    report: IngestReport
    since: datetime | None = None
    message: str = ""
    stats: dict[str, object] = field(default_factory=dict)


def select_sources(
    settings: Settings,
    keys: list[str] | None = None,
    *,
    sources_file: Path | None = None,
    site_url: str | None = None,
) -> list[SourceConfig]:
    """The configured sources, or the named subset (an unknown name is an error).

    ``sources_file`` overrides the configured file; ``site_url`` fills in the
    ``{site}`` placeholder that the demo's sources file uses.
    """
    sources = load_sources(sources_file or settings.resolved_sources_file, site_url=site_url)
    if not keys:
        return sources
    by_key = {s.key: s for s in sources}
    missing = [k for k in keys if k not in by_key]
    if missing:
        raise PolicyWatchError(
            f"unknown source(s): {', '.join(missing)}; known: {', '.join(by_key)}"
        )
    return [by_key[k] for k in keys]


def incremental_since(session: Session, *, source_key: str) -> datetime | None:
    """Where an incremental crawl starts (None: read everything).

    After a clean run: just before the newest update we already hold. Using
    the publisher's own timestamps (not our crawl times) means a source whose
    clock or backlog differs from ours still gets everything new. After a run
    that failed or lost items: the same window again, so the re-run finishes
    the job (upserts make the repeats free).
    """
    last = queries.last_finished_run(session, source_key=source_key)
    if last is None:
        return None
    if last.status != "succeeded":
        return last.since
    newest = queries.newest_public_update(session, source_key=source_key)
    return newest - INCREMENTAL_OVERLAP if newest else None


def raw_file_for(settings: Settings, *, source_key: str, run_id: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.raw_dir / source_key / f"{stamp}-run{run_id}.jsonl"


def spider_command(
    settings: Settings,
    source: SourceConfig,
    *,
    base_url: str,
    raw_path: Path,
    since: str | None,
    requests_per_second: float | None = None,
) -> list[str]:
    """The child-process command line for one crawl."""
    command = [
        sys.executable,
        "-m",
        "spiders.run",
        "--source-json",
        json.dumps(source.as_spider_source()),
        "--base-url",
        base_url,
        "--output",
        str(raw_path),
        "--user-agent",
        settings.full_user_agent,
        "--requests-per-second",
        str(requests_per_second or settings.requests_per_second),
    ]
    if since:
        command += ["--since", since]
    return command


def run_spider(
    command: list[str], *, raw_path: Path, on_item: Callable[[int], None] | None = None
) -> tuple[int, str]:
    """Run the child crawl, reporting items written so far; returns exit code and stderr tail."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stderr_lines: list[str] = []

    # stderr is drained by a thread so a chatty child never blocks on a full pipe
    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            stderr_lines.append(line)
            del stderr_lines[:-40]

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    while process.poll() is None:
        if on_item:
            on_item(_lines_in(part_path(raw_path)))
        time.sleep(0.2)
    reader.join(timeout=5)
    if on_item:
        on_item(_lines_in(raw_path if raw_path.exists() else part_path(raw_path)))
    return process.returncode, "".join(stderr_lines[-10:])


def _lines_in(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except FileNotFoundError:
        return 0


@dataclass(frozen=True)
class RunPlan:
    """Where one crawl run reads from and writes to."""

    run_id: int
    base_url: str
    since: datetime | None
    raw_path: Path
    known_path: Path
    jobdir: Path


def state_dir(settings: Settings, source_key: str) -> Path:
    """Per-source crawl state: the known-documents file and the Scrapy JOBDIR."""
    return settings.data_dir / "state" / source_key


def plan_run(
    settings: Settings, engine: Engine, source: SourceConfig, *, base_url: str, full: bool
) -> RunPlan:
    """Record the run, decide its window, and write the known-documents file.

    The JOBDIR is kept only when the previous run of this source was cut short,
    so Scrapy resumes its queue instead of starting over; otherwise it is
    cleared so a finished crawl's state never leaks into the next one.
    """
    folder = state_dir(settings, source.key)
    folder.mkdir(parents=True, exist_ok=True)
    with session_scope(engine) as session:
        writes.upsert_source(
            session,
            key=source.key,
            kind=source.kind,
            title=source.title,
            base_url=base_url,
            config=source.options,
        )
        last = queries.last_finished_run(session, source_key=source.key)
        since = None if full else incremental_since(session, source_key=source.key)
        known = {} if full else queries.known_documents(session, source_key=source.key)
        run = writes.start_crawl_run(session, source_key=source.key, since=since)
        raw_path = raw_file_for(settings, source_key=source.key, run_id=run.id)  # type: ignore[arg-type]
        run.raw_path = str(raw_path)
        run_id: int = run.id  # type: ignore[assignment]
    jobdir = folder / "job"
    if full or last is None or last.status != "interrupted":
        shutil.rmtree(jobdir, ignore_errors=True)
    known_path = folder / "known.json"
    known_path.write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")
    return RunPlan(run_id, base_url, since, raw_path, known_path, jobdir)


def crawl_source(
    settings: Settings,
    engine: Engine,
    source: SourceConfig,
    *,
    base_url: str | None = None,
    full: bool = False,
    requests_per_second: float | None = None,
    http_cache: bool = False,
    extra_args: list[str] | None = None,
    on_crawl_progress: Callable[[int], None] | None = None,
    on_ingest_start: Callable[[int], None] | None = None,
    on_ingest_line: Callable[[], None] | None = None,
) -> CrawlSummary:
    """Crawl one source and ingest what it found; never raises for a failed crawl.

    ``requests_per_second`` overrides the polite default; only the demo and the
    tests raise it, against the fixture site on this machine. ``http_cache``
    keeps responses under the data directory, for development. ``extra_args``
    go to ``spiders.run`` as they are (the crawl benchmark turns politeness off).
    """
    url = (base_url or source.base_url or settings.govuk_base_url).rstrip("/")
    plan = plan_run(settings, engine, source, base_url=url, full=full)
    command = spider_command(
        settings,
        source,
        base_url=url,
        raw_path=plan.raw_path,
        since=plan.since.date().isoformat() if plan.since else None,
        requests_per_second=requests_per_second,
    )
    command += ["--known", str(plan.known_path), "--jobdir", str(plan.jobdir)]
    if http_cache:
        command += ["--http-cache-dir", str(settings.data_dir / "httpcache")]
    command += extra_args or []
    log.info("crawling %s from %s (since %s)", source.key, url, plan.since)
    try:
        code, stderr_tail = run_spider(command, raw_path=plan.raw_path, on_item=on_crawl_progress)
        readable = plan.raw_path if plan.raw_path.exists() else part_path(plan.raw_path)

        report = IngestReport()
        if readable.exists():
            if on_ingest_start:
                on_ingest_start(count_lines(readable))
            with session_scope(engine) as session:
                report = ingest_file(
                    session,
                    path=readable,
                    source_key=source.key,
                    crawl_run_id=plan.run_id,
                    on_line=on_ingest_line,
                )
    except Exception as exc:
        # the run row must not stay "running" forever: record why, then let it propagate
        with session_scope(engine) as session:
            writes.finish_crawl_run(
                session,
                run_id=plan.run_id,
                status="failed",
                counts={},
                error_summary={},
                message=f"{type(exc).__name__}: {exc}",
            )
        raise
    status, message = run_outcome(code, stderr_tail, report)
    if status == "succeeded":
        shutil.rmtree(plan.jobdir, ignore_errors=True)
    with session_scope(engine) as session:
        writes.finish_crawl_run(
            session,
            run_id=plan.run_id,
            status=status,
            counts=report.run_counts(),
            error_summary=report.error_summary(),
            message=message,
        )
    return CrawlSummary(
        source_key=source.key,
        run_id=plan.run_id,
        status=status,
        raw_path=readable,
        report=report,
        since=plan.since,
        message=message,
        stats=_read_stats(plan.raw_path),
    )


def run_outcome(code: int, stderr_tail: str, report: IngestReport) -> tuple[str, str]:
    """A run's status and message from the crawler's exit code and the ingest report.

    ``interrupted`` (stopped cleanly before the end) resumes from its JOBDIR
    next time; ``failed`` (crashed) re-reads the same window; ``partial``
    finished but lost some items, which the next run tries again.
    """
    if code == EXIT_INTERRUPTED:
        return "interrupted", "crawl stopped before it finished; the next run resumes it"
    if code != 0:
        return "failed", f"crawler exited with code {code}: {stderr_tail.strip()}"
    return ("partial" if report.rejected_total else "succeeded"), ""


def _read_stats(raw_path: Path) -> dict[str, object]:
    try:
        return json.loads(stats_path(raw_path).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
