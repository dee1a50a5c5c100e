"""The fault matrix: each bad answer from a site is one counted error, never a lost run.

Every case crawls the demo's GOV.UK source from the fixture site after a
clean first crawl, with one fault planted on one document's content item (or
its PDF). Each case asserts the error (or warning) count for that item, that
every other document was stored, and that nothing already stored was lost.
Faults are produced for real by the fixture site over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from policywatch.cli import DEMO_SOURCES
from policywatch.config import Settings
from policywatch.crawl import CrawlSummary, crawl_source, select_sources
from policywatch.fixture_site import server as fixture_server
from policywatch.fixture_site.corpus import load_corpus
from policywatch.fixture_site.server import FixtureSite
from policywatch.store import migrate, session_scope
from policywatch.store.db import make_engine
from policywatch.store.tables import Document, DocumentVersion

pytestmark = pytest.mark.slow
CORPUS = load_corpus()
GOVUK = [d for d in CORPUS.documents if d.source == "govuk"]
VICTIM = next(d for d in GOVUK if not d.attachments and any(ord(c) > 127 for c in d.body))
WITH_PDF = next(d for d in GOVUK if d.attachments)

#: small limits so the failing cases are quick: 2 s timeout, 1 retry, 1 MiB pages
FAST_FAILURE = [
    "--setting", "DOWNLOAD_TIMEOUT=2",
    "--setting", "RETRY_TIMES=1",
    "--setting", "RETRY_BACKOFF_BASE=0.05",
    "--setting", "DOWNLOAD_MAXSIZE=1048576",
    "--setting", "POLICYWATCH_ATTACHMENT_MAXSIZE=1048576",
]  # fmt: skip


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[FixtureSite]:
    monkeypatch.setattr(fixture_server, "HANG_SECONDS", 5.0)
    monkeypatch.setattr(fixture_server, "OVERSIZE_BYTES", 2 * 1024 * 1024)
    with FixtureSite(CORPUS) as running:
        yield running


@pytest.fixture
def store(isolated_settings: Path) -> Engine:
    engine = make_engine(Settings().resolved_database_url)
    migrate.upgrade(engine)
    return engine


def crawl(store: Engine, site: FixtureSite, *, full: bool) -> CrawlSummary:
    settings = Settings()
    (source,) = select_sources(
        settings, ["govuk-demo"], sources_file=DEMO_SOURCES, site_url=site.base_url
    )
    return crawl_source(
        settings, store, source, full=full, requests_per_second=200, extra_args=FAST_FAILURE
    )


def snapshot(store: Engine) -> dict[str, list[str]]:
    """Every stored document's version hashes, by title."""
    with session_scope(store) as session:
        rows = session.exec(
            select(Document.title, DocumentVersion.content_hash)
            .join(DocumentVersion, DocumentVersion.document_id == Document.id)
            .order_by(DocumentVersion.version_no)
        ).all()
    found: dict[str, list[str]] = {}
    for title, digest in rows:
        found.setdefault(title, []).append(digest)
    return found


def content(doc) -> str:  # type: ignore[no-untyped-def]
    return f"/api/content{doc.base_path}"


# (fault queue on the victim's content item, the counted reason, rejected? else warning)
CASES = {
    "5xx every time": ([500] * 2, "content_http_error", True),
    "timeout every time": (["hang"] * 2, "timeout", True),
    "redirect loop": (["redirect_loop"] * 12, "redirect_loop", True),
    "malformed json": (["malformed"], "malformed_content_item", True),
    "truncated json": (["truncated"], "malformed_content_item", True),
    "over the size cap": (["oversize"], "over_size_cap", True),
    # Twisted silently re-sends a GET once when a kept-alive connection drops,
    # so every Scrapy attempt can take two drops
    "connection dropped every time": (["drop"] * 8, "download_error", True),
    "wrong charset": (["latin1"], "encoding_fallback", False),
    "missing charset": (["no_charset"], "encoding_fallback", False),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_fault_is_one_counted_error_and_nothing_is_lost(
    case: str, store: Engine, site: FixtureSite
) -> None:
    faults, reason, rejected = CASES[case]
    crawl(store, site, full=True)
    before = snapshot(store)

    site.faults[content(VICTIM)] = list(faults)
    summary = crawl(store, site, full=True)

    counted = summary.report.rejected if rejected else summary.report.warnings
    assert counted[reason] == 1, (summary.report.rejected, summary.report.warnings)
    assert summary.report.rejected_total == (1 if rejected else 0)
    assert summary.report.run_counts()["items_unchanged"] == len(GOVUK) - (1 if rejected else 0)
    after = snapshot(store)
    assert after == before  # nothing already stored was lost or changed
    assert set(after) == {d.title for d in GOVUK}


@pytest.mark.parametrize("fault", [[429], ["retry_after_date"], [503]])
def test_429_and_transient_5xx_are_retried_until_stored(
    fault: list, store: Engine, site: FixtureSite
) -> None:
    site.faults[content(VICTIM)] = list(fault)
    summary = crawl(store, site, full=True)
    assert summary.status == "succeeded"
    assert summary.report.rejected_total == 0
    assert VICTIM.title in snapshot(store)
    assert summary.stats["retry/count"] >= len(fault)
    if fault[0] != 503:
        assert summary.stats["policywatch/retry_after_honoured"] >= 1


def test_an_oversized_pdf_leaves_the_document_stored_with_a_warning(
    store: Engine, site: FixtureSite
) -> None:
    pdf_paths = [p for p in _attachment_paths(site, WITH_PDF)]
    for path in pdf_paths:
        site.faults[path] = ["oversize"]
    summary = crawl(store, site, full=True)
    assert summary.report.warnings["attachment_error"] == 1
    with session_scope(store) as session:
        document = session.exec(select(Document).where(Document.title == WITH_PDF.title)).one()
        version = session.exec(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document.id)
            .order_by(DocumentVersion.version_no.desc())  # type: ignore[attr-defined]
        ).first()
    assert version is not None
    assert version.meta["attachments"][0]["error"] == "over_size_cap"


def _attachment_paths(site: FixtureSite, doc) -> list[str]:  # type: ignore[no-untyped-def]
    return [site.attachment_path(doc, attachment) for attachment in doc.attachments]


def test_the_same_document_from_two_sources_is_stored_once(
    store: Engine, site: FixtureSite
) -> None:
    settings = Settings()
    (everything,) = select_sources(
        settings, ["govuk-demo"], sources_file=DEMO_SOURCES, site_url=site.base_url
    )
    taxon = "/childcare-parenting/children-in-care-including-adoption"
    narrow = type(everything)(
        key="govuk-children-in-care",
        kind="govuk_search",
        base_url=site.base_url,
        options={"taxonomy_base_paths": [taxon]},
    )
    first = crawl_source(settings, store, everything, requests_per_second=200)
    second = crawl_source(settings, store, narrow, requests_per_second=200)

    assert second.report.run_counts()["items_new"] == 0
    assert second.report.run_counts()["items_unchanged"] > 0
    with session_scope(store) as session:
        from policywatch.store.tables import DocumentSource

        documents = session.exec(select(Document)).all()
        links = session.exec(select(DocumentSource)).all()
    assert len(documents) == first.report.run_counts()["items_new"]
    both = [link for link in links if link.source_key == "govuk-children-in-care"]
    assert len(both) == second.report.run_counts()["items_unchanged"]


def sector_crawl(store: Engine, site: FixtureSite, key: str) -> CrawlSummary:
    settings = Settings()
    (source,) = select_sources(settings, [key], sources_file=DEMO_SOURCES, site_url=site.base_url)
    return crawl_source(
        settings, store, source, full=True, requests_per_second=200, extra_args=FAST_FAILURE
    )


def test_a_feed_that_returns_html_is_one_error_and_loses_nothing(
    store: Engine, site: FixtureSite
) -> None:
    sector_crawl(store, site, "adcs-demo")
    before = snapshot(store)
    site.faults["/sites/adcs/feed/"] = ["html"]

    summary = sector_crawl(store, site, "adcs-demo")

    assert summary.report.rejected == {"not_a_feed": 1}
    assert snapshot(store) == before
    assert len(before) == sum(1 for d in CORPUS.documents if d.publisher == "adcs")


def test_a_truncated_html_article_is_one_error_and_the_others_are_stored(
    store: Engine, site: FixtureSite
) -> None:
    articles = sorted(d.id for d in CORPUS.documents if d.publisher == "ncercc")
    site.faults[f"/sites/ncercc/news/{articles[0]}/"] = ["truncated"]

    summary = sector_crawl(store, site, "ncercc-demo")

    assert summary.report.rejected == {"truncated_page": 1}
    assert summary.report.run_counts()["items_new"] == len(articles) - 1
    site.faults.clear()
    again = sector_crawl(store, site, "ncercc-demo")
    assert again.report.run_counts()["items_new"] == 1
    assert len(snapshot(store)) == len(articles)
