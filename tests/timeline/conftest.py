"""The demo corpus as an annotated store with its signals, built once per test session.

Building it (ingest through the crawl's ingest path, the real language layer,
the corpus's trigger events, a full recompute) takes about ten seconds, so
tests share one read-only copy; a test that changes the store takes its own
copy of the file (``demo_copy``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from policywatch.fixture_site.corpus import Corpus, load_corpus
from policywatch.store import migrate
from policywatch.store.db import make_engine
from timeline.corpus_store import build_corpus_store
from timeline.recompute import recompute_signals


@pytest.fixture(scope="session")
def demo_corpus() -> Corpus:
    return load_corpus()


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory: pytest.TempPathFactory, demo_corpus: Corpus) -> Path:
    path = tmp_path_factory.mktemp("timeline") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    build_corpus_store(engine, [demo_corpus])
    recompute_signals(engine, full=True)
    with engine.connect() as connection:  # fold the WAL into the file so copies are whole
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def demo_engine(demo_store_path: Path) -> Iterator[Engine]:
    """The shared demo store: read it, never change it."""
    engine = make_engine(f"sqlite:///{demo_store_path}")
    yield engine
    engine.dispose()


@pytest.fixture
def demo_copy(demo_store_path: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the demo store, for tests that add documents or reviews."""
    path = tmp_path / "demo-copy.db"
    shutil.copy(demo_store_path, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()
