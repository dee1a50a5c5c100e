"""Real crawls: Scrapy in a subprocess against the fixture site on 127.0.0.1.

Each test runs the same code path as ``policywatch crawl``: a crawl run row,
``python -m spiders.run`` writing raw JSONL, then ingest into the store.
Faults (429, 500, malformed JSON, a mislabelled encoding, a killed crawler)
are produced for real by the fixture site or by killing the real process.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from policywatch import crawl as crawl_module
from policywatch.cli import DEMO_SOURCES
from policywatch.config import Settings
from policywatch.crawl import CrawlSummary, crawl_source, select_sources
from policywatch.fixture_site.corpus import load_corpus
from policywatch.fixture_site.server import FixtureSite
from policywatch.registry import SourceConfig
from policywatch.store import migrate, queries, session_scope
from policywatch.store.db import make_engine
from policywatch.store.tables import CrawlRun, Document, DocumentVersion, IngestError
from spiders.pipelines import part_path

pytestmark = pytest.mark.slow
FAST = 200.0  # requests per second: the fixture site is on this machine
CORPUS = load_corpus()


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite(CORPUS) as running:
        yield running


@pytest.fixture
def settings(isolated_settings: Path) -> Settings:
    return Settings()


@pytest.fixture
def store(settings: Settings) -> Engine:
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    return engine


def govuk_docs(as_of: datetime | None = None) -> list:
    return [d for d in CORPUS.documents if d.source == "govuk" and d.is_visible(as_of)]


def run(
    settings: Settings, store: Engine, site: FixtureSite, *, full: bool = False
) -> CrawlSummary:
    """Crawl the demo's GOV.UK source (every government publisher) from the fixture site."""
    (source,) = select_sources(
        settings, ["govuk-demo"], sources_file=DEMO_SOURCES, site_url=site.base_url
    )
    return crawl_source(settings, store, source, full=full, requests_per_second=FAST)


def stored_titles(store: Engine) -> list[str]:
    with session_scope(store) as session:
        return sorted(d.title for d in session.exec(select(Document)).all())


def test_a_crawl_stores_every_govuk_document_and_a_rerun_adds_nothing(
    settings: Settings, store: Engine, site: FixtureSite
) -> None:
    first = run(settings, store, site)
    second = run(settings, store, site)

    expected = govuk_docs()
    assert first.status == "succeeded"
    assert first.report.run_counts()["items_new"] == len(expected)
    assert stored_titles(store) == sorted(d.title for d in expected)
    assert second.report.run_counts()["items_new"] == 0
    assert second.report.run_counts()["items_new_version"] == 0
    assert second.since is not None  # the re-run was incremental
    assert "/robots.txt" in site.request_log
    with session_scope(store) as session:
        # every major change in a document's GOV.UK change history is a version
        assert queries.store_counts(session).versions == sum(len(d.versions) for d in expected)
    assert first.raw_path.exists() and not part_path(first.raw_path).exists()


def test_later_versions_become_new_versions_and_old_ones_are_kept(
    settings: Settings, store: Engine, site: FixtureSite
) -> None:
    versioned = [
        d for d in govuk_docs() if len(d.versions) > 1 and len(set(d.version_bodies())) > 1
    ]
    assert versioned, "the demo corpus should have GOV.UK documents with changed bodies"
    doc = versioned[0]
    site.as_of = doc.versions[0].public_timestamp  # the world as it was at first publication
    early = run(settings, store, site)
    site.as_of = None
    later = run(settings, store, site)

    assert early.report.run_counts()["items_new"] == len(
        govuk_docs(doc.versions[0].public_timestamp)
    )
    assert later.report.run_counts()["items_new_version"] >= 1
    with session_scope(store) as session:
        document = session.exec(select(Document).where(Document.title == doc.title)).one()
        versions = queries.document_versions(session, document_id=document.id)
    assert len(versions) >= 2
    assert versions[0].body_text != versions[-1].body_text
    assert versions[-1].change_note == doc.versions[-1].note


def content_path(doc) -> str:  # type: ignore[no-untyped-def]
    return f"/api/content{doc.base_path}"


def test_429_and_500_are_retried_and_persistent_failures_are_recorded(
    settings: Settings, store: Engine, site: FixtureSite
) -> None:
    docs = govuk_docs()
    flaky, broken = docs[0], docs[1]
    site.faults["/api/search.json"] = [429]
    site.faults[content_path(flaky)] = [500, 503]
    site.faults[content_path(broken)] = [500] * 10  # more than the retry budget

    first = run(settings, store, site)

    assert first.status == "partial"
    assert first.report.rejected == {"content_http_error": 1}
    assert flaky.title in stored_titles(store)
    assert broken.title not in stored_titles(store)
    with session_scope(store) as session:
        error = session.exec(select(IngestError)).one()
    assert error.reason == "content_http_error" and broken.base_path in error.payload

    site.faults.clear()
    second = run(settings, store, site)  # same window again after a partial run
    assert second.status == "succeeded"
    assert second.report.run_counts()["items_new"] == 1
    assert len(stored_titles(store)) == len(docs)


def test_malformed_json_and_a_wrong_encoding_do_not_stop_the_run(
    settings: Settings, store: Engine, site: FixtureSite
) -> None:
    docs = govuk_docs()
    non_ascii = next(d for d in docs if any(ord(c) > 127 for c in d.body + d.title))
    garbled = next(d for d in docs if d is not non_ascii)
    site.faults[content_path(garbled)] = ["malformed"]
    site.faults[content_path(non_ascii)] = ["latin1"]

    first = run(settings, store, site)

    assert first.report.rejected == {"malformed_content_item": 1}
    assert first.report.warnings["encoding_fallback"] == 1
    assert first.report.run_counts()["items_new"] == len(docs) - 1
    with session_scope(store) as session:
        document = session.exec(select(Document).where(Document.title == non_ascii.title)).one()
        version = session.exec(
            select(DocumentVersion).where(DocumentVersion.document_id == document.id)
        ).one()
    assert "\ufffd" not in version.body_text  # read correctly despite the wrong label

    second = run(settings, store, site)
    assert second.report.run_counts()["items_new"] == 1
    assert len(stored_titles(store)) == len(docs)


def test_a_crawler_killed_mid_run_loses_nothing_and_a_rerun_finishes(
    settings: Settings, store: Engine, site: FixtureSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = govuk_docs()
    for doc in docs[-15:]:
        site.faults[content_path(doc)] = ["slow"]  # keep the crawl going long enough to kill
    real_run_spider = crawl_module.run_spider

    def run_then_kill(command: list[str], *, raw_path: Path, on_item=None):  # type: ignore[no-untyped-def]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and crawl_module._lines_in(part_path(raw_path)) < 5:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        return process.returncode, "killed by the test"

    monkeypatch.setattr(crawl_module, "run_spider", run_then_kill)
    killed = run(settings, store, site)
    monkeypatch.setattr(crawl_module, "run_spider", real_run_spider)

    assert killed.status == "failed"
    assert killed.raw_path.name.endswith(".jsonl.part")  # the half-written file was ingested
    partial_count = len(stored_titles(store))
    assert 5 <= partial_count < len(docs)

    site.faults.clear()
    rerun = run(settings, store, site)
    assert rerun.since is None  # the failed run's window (everything) is read again
    assert rerun.report.run_counts()["items_new"] == len(docs) - partial_count
    assert sorted(stored_titles(store)) == sorted(d.title for d in docs)
    with session_scope(store) as session:
        runs = session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()
    assert [r.status for r in runs] == ["failed", "succeeded"]


def test_postgres_store_gets_the_same_crawl(
    postgres_url: str, settings: Settings, site: FixtureSite, migrated_postgres: Engine
) -> None:
    from tests.conftest import _truncate_postgres

    _truncate_postgres(migrated_postgres)
    summary = run(settings, migrated_postgres, site)
    assert summary.report.run_counts()["items_new"] == len(govuk_docs())
    with session_scope(migrated_postgres) as session:
        hits = queries.search_documents(session, query="kinship")
    kinship_docs = [d for d in govuk_docs() if "kinship" in (d.title + d.body).lower()]
    assert len(hits) == len(kinship_docs)


def find_window(new: int, changed: int) -> tuple[datetime, datetime, list]:
    """Two moments between which exactly ``new`` GOV.UK documents appear and ``changed``
    earlier ones get one new version each (searched in the corpus, not hard-coded)."""
    events = sorted(
        (
            (version.public_timestamp, index, doc)
            for doc in govuk_docs()
            for index, version in enumerate(doc.versions)
        ),
        key=lambda event: (event[0], event[2].id),
    )
    for i in range(1, len(events)):
        for j in range(i + 1, len(events)):
            if events[i - 1][0] == events[i][0] or events[j - 1][0] == events[j][0]:
                continue
            window = events[i:j]
            firsts = {doc.id for _, index, doc in window if index == 0}
            changes = [doc.id for _, index, doc in window if index > 0]
            distinct = len(changes) == len(set(changes)) and not firsts & set(changes)
            if len(firsts) == new and len(changes) == changed and distinct:
                return events[i - 1][0], events[j - 1][0], [doc for _, _, doc in window]
            if len(window) > new + changed:
                break
    raise AssertionError("no such window in the corpus")


def test_a_second_crawl_fetches_only_the_three_new_and_two_changed_documents(
    settings: Settings, store: Engine, site: FixtureSite
) -> None:
    before, after, moved = find_window(new=3, changed=2)
    site.as_of = before
    run(settings, store, site)
    site.request_log.clear()

    site.as_of = after  # three documents appear, two change
    second = run(settings, store, site)

    counts = second.report.run_counts()
    assert (counts["items_new"], counts["items_new_version"]) == (3, 2)
    content_requests = sorted(p for p in site.request_log if p.startswith("/api/content/"))
    assert content_requests == sorted(content_path(doc) for doc in moved)  # none for unchanged


def test_pdf_attachments_are_downloaded_and_their_text_kept(
    settings: Settings, store: Engine, site: FixtureSite
) -> None:
    doc = next(d for d in govuk_docs() if d.attachments)
    run(settings, store, site)
    with session_scope(store) as session:
        document = session.exec(select(Document).where(Document.title == doc.title)).one()
        version = queries.document_versions(session, document_id=document.id)[-1]
    attachment = version.meta["attachments"][0]
    assert attachment["filename"] == doc.attachments[0].filename
    first_words = " ".join(doc.attachments[0].text.split()[:6])
    assert first_words in attachment["text"]
    assert "error" not in attachment


def test_an_interrupted_crawl_resumes_without_duplicates_or_gaps(
    settings: Settings, store: Engine, site: FixtureSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = govuk_docs()
    for doc in docs[-20:]:
        site.faults[content_path(doc)] = ["slow"]  # keep the crawl busy long enough

    def run_then_interrupt(command: list[str], *, raw_path: Path, on_item=None):  # type: ignore[no-untyped-def]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and crawl_module._lines_in(part_path(raw_path)) < 10:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops gracefully, keeps JOBDIR
        _, stderr = process.communicate(timeout=120)
        return process.returncode, stderr.decode(errors="replace")[-500:]

    monkeypatch.setattr(crawl_module, "run_spider", run_then_interrupt)
    interrupted = run(settings, store, site)
    monkeypatch.undo()

    assert interrupted.status == "interrupted", interrupted.message
    jobdir = crawl_module.state_dir(settings, interrupted.source_key) / "job"
    assert jobdir.exists() and any(jobdir.iterdir())
    stored_before = set(stored_titles(store))
    assert 10 <= len(stored_before) < len(docs)

    site.faults.clear()
    site.request_log.clear()
    resumed = run(settings, store, site)

    assert resumed.status == "succeeded"
    assert sorted(stored_titles(store)) == sorted(d.title for d in docs)  # nothing missing
    assert resumed.report.run_counts()["items_new"] == len(docs) - len(stored_before)
    refetched = {p for p in site.request_log if p.startswith("/api/content/")}
    already = {content_path(d) for d in docs if d.title in stored_before}
    assert not refetched & already  # finished work was not fetched again
    assert not jobdir.exists()  # a finished crawl leaves no state behind


def test_a_taxonomy_filter_is_resolved_from_base_paths(
    settings: Settings, store: Engine, site: FixtureSite
) -> None:
    taxon = "/childcare-parenting/children-in-care-including-adoption"
    source = SourceConfig(
        key="govuk-children-in-care",
        kind="govuk_search",
        options={"taxonomy_base_paths": [taxon]},
    )
    summary = crawl_source(
        settings, store, source, base_url=site.base_url, requests_per_second=FAST
    )

    def tagged(doc) -> bool:  # type: ignore[no-untyped-def]
        chains = [[t.base_path for t in CORPUS.taxon_chain(path)] for path in doc.taxons]
        return any(taxon in chain for chain in chains)

    expected = sorted(d.title for d in govuk_docs() if tagged(d))
    assert summary.status == "succeeded"
    assert 0 < len(expected) < len(govuk_docs())
    assert stored_titles(store) == expected
    assert f"/api/content{taxon}" in site.request_log


def test_an_unknown_taxon_stops_the_crawl_with_an_error(
    settings: Settings, store: Engine, site: FixtureSite
) -> None:
    source = SourceConfig(
        key="govuk-bad-taxon", kind="govuk_search", options={"taxonomy_base_paths": ["/no/such"]}
    )
    summary = crawl_source(
        settings, store, source, base_url=site.base_url, requests_per_second=FAST
    )
    assert summary.report.rejected == {"taxon_http_error": 1}
    assert stored_titles(store) == []
    assert not any(p.startswith("/api/search.json") for p in site.request_log)


def test_a_crawl_that_cannot_start_is_recorded_as_failed_not_left_running(
    settings: Settings, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A missing interpreter cannot be produced safely on a shared machine: the
    # spawn itself is replaced by one that fails the way Popen does.
    def cannot_spawn(*args: object, **kwargs: object) -> tuple[int, str]:
        raise FileNotFoundError(2, "No such file or directory", "python")

    monkeypatch.setattr(crawl_module, "run_spider", cannot_spawn)
    (source,) = select_sources(
        settings, ["govuk-demo"], sources_file=DEMO_SOURCES, site_url="http://127.0.0.1:9"
    )

    with pytest.raises(FileNotFoundError):
        crawl_source(settings, store, source)

    with session_scope(store) as session:
        (run,) = session.exec(select(CrawlRun)).all()
        assert run.status == "failed"
        assert "FileNotFoundError" in (run.message or "")
        assert run.finished_at is not None
