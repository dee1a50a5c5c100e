"""The demo store, built once per test session, plus signals and a reactive model.

The demo corpus is crawled from the fixture site by the real spiders and
annotated by the real pipeline, as ``policywatch demo`` does. The timeline and the
classifiers are other stages, so a few signal rows, a reactive model record
and its scores are added here directly, to give every export table content.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from exports.filters import ExportFilters
from exports.manifest import Manifest
from exports.writer import DEMO_SOURCES_FILE, export_corpus
from policywatch.config import Settings
from policywatch.store import connect, make_engine, session_scope
from policywatch.store.tables import (
    Document,
    DocumentScore,
    DocumentVersion,
    ModelRecord,
    Signal,
    SignalEvidence,
)

FORMATS = ("jsonl", "csv", "parquet", "sqlite")
REACTIVE_MODEL = "reactive-test-1"


def build_demo(folder: Path) -> Path:
    """Crawl the fixture site with the real spiders into a fresh store and annotate it.

    The same steps as ``policywatch demo`` (crawl every demo source, ingest,
    annotate with the trained pipeline), called as library functions so the
    export tests do not depend on what else the demo command runs.
    """
    from nlp.annotate import annotate_pending
    from nlp.pipeline import load_pipeline
    from policywatch.crawl import crawl_source, select_sources
    from policywatch.fixture_site.server import FixtureSite

    settings = Settings(data_dir=folder / "data")
    engine = connect(settings, upgrade=True)
    with FixtureSite() as site:
        for source in select_sources(
            settings, sources_file=DEMO_SOURCES_FILE, site_url=site.base_url
        ):
            summary = crawl_source(settings, engine, source, requests_per_second=100.0)
            assert summary.status == "succeeded", summary.message
    pipeline, info = load_pipeline()
    report = annotate_pending(engine, pipeline, info)
    assert report.versions > 100
    engine.dispose()
    return folder / "data" / "policywatch.db"


def add_signals_and_scores(engine: Engine) -> None:
    """Two signals linking demo documents, and a reactive model's scores for a few versions."""
    with session_scope(engine) as session:
        versions = session.exec(
            select(DocumentVersion)
            .join(Document, col(Document.id) == col(DocumentVersion.document_id))
            .where(col(DocumentVersion.version_no) == col(Document.latest_version))
            .order_by(col(DocumentVersion.id))
        ).all()
        first, second, third = versions[0], versions[5], versions[-1]
        reversal = Signal(
            key="test-reversal",
            kind="reversal",
            target="regional adoption agency",
            score=0.8,
            explanation="The same department said the opposite later.",
            data={"actor": "department-for-education", "gap_days": 400},
            first_seen_at=datetime(2026, 1, 1, tzinfo=UTC),
            updated_at=datetime(2026, 1, 2, tzinfo=UTC),
        )
        burst = Signal(
            key="test-burst",
            kind="burst",
            theme="kinship_care",
            score=3.5,
            explanation="Five announcements in a week.",
            data={"window_days": 7},
            first_seen_at=datetime(2026, 1, 1, tzinfo=UTC),
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        session.add_all([reversal, burst])
        session.flush()
        for signal, version, role in (
            (reversal, first, "first"),
            (reversal, second, "later"),
            (burst, third, "member"),
        ):
            session.add(
                SignalEvidence(
                    signal_id=signal.id,  # type: ignore[arg-type]
                    version_id=version.id,  # type: ignore[arg-type]
                    role=role,
                    start_char=0,
                    end_char=len(version.title),
                    text=version.title,
                )
            )
        session.add(
            ModelRecord(
                name="reactive",
                version=REACTIVE_MODEL,
                card={
                    "name": "reactive",
                    "evaluation": {
                        "figures": {"f1": 0.71, "precision": 0.7, "recall": 0.72},
                        "test_keys": [f"doc-{n}" for n in range(60)],
                    },
                },
                active=True,
            )
        )
        for i, version in enumerate(versions[:10]):
            session.add(
                DocumentScore(
                    version_id=version.id,  # type: ignore[arg-type]
                    name="reactive",
                    score=i / 10,
                    model_version=REACTIVE_MODEL,
                )
            )


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the annotated demo corpus, with signals and reactive scores."""
    path = build_demo(tmp_path_factory.mktemp("demo"))
    engine = make_engine(f"sqlite:///{path}")
    add_signals_and_scores(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def demo_engine(demo_db: Path) -> Engine:
    engine = make_engine(f"sqlite:///{demo_db}")
    yield engine  # type: ignore[misc]
    engine.dispose()


Exporter = Callable[..., tuple[Path, Manifest]]


@pytest.fixture(scope="session")
def demo_exports(
    demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, Manifest]]:
    """The demo store exported once in every format (unfiltered, latest versions)."""
    exported = {}
    for fmt in FORMATS:
        folder = tmp_path_factory.mktemp(f"export-{fmt}")
        exported[fmt] = (folder, export_corpus(demo_engine, out_dir=folder, fmt=fmt))
    return exported


def session_for(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


__all__ = ["FORMATS", "REACTIVE_MODEL", "ExportFilters", "session_for"]
