"""Fixtures for the fixture-site tests: a tiny corpus and a running server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from policywatch.fixture_site.corpus import Corpus, load_corpus
from policywatch.fixture_site.server import FixtureSite
from tests.fixture_site.tiny_corpus import build_tiny_corpus


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A valid tiny corpus: 4 GOV.UK documents, 3 WordPress posts, 12 HTML news items."""
    return build_tiny_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Loaded once: the server never mutates a corpus, so tests can share it."""
    return load_corpus(build_tiny_corpus(tmp_path_factory.mktemp("tiny") / "corpus"))


@pytest.fixture
def site(tiny_corpus: Corpus) -> Iterator[FixtureSite]:
    with FixtureSite(tiny_corpus) as running:
        yield running


@pytest.fixture
def client(site: FixtureSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, timeout=5) as http:
        yield http
