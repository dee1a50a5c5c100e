"""The demo corpus meets what the product's tests need from it.

At least 120 announcements dated 2015-2025 from at least 4 government
publishers and 3 sector bodies, every signal kind planted at least 5 times,
at least 10 look-alike controls, documents with later versions, and ground
truth for every document.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from policywatch.fixture_site.corpus import SIGNAL_KINDS, load_corpus

CORPUS = load_corpus()


def test_at_least_120_documents_dated_2015_to_2025() -> None:
    assert len(CORPUS.documents) >= 120
    for document in CORPUS.documents:
        assert datetime(2015, 1, 1, tzinfo=UTC) <= document.first_published_at
        assert document.public_updated_at < datetime(2026, 1, 1, tzinfo=UTC)


def test_publishers_span_government_and_sector() -> None:
    kinds = {slug: p.kind for slug, p in CORPUS.publishers.items()}
    used = Counter(kinds[d.publisher] for d in CORPUS.documents)
    government = {d.publisher for d in CORPUS.documents if kinds[d.publisher] == "government"}
    sector = {d.publisher for d in CORPUS.documents if kinds[d.publisher] == "sector"}
    assert len(government) >= 4
    assert len(sector) >= 3
    assert used["government"] > used["sector"] > 0


def test_every_signal_kind_is_planted_at_least_five_times() -> None:
    per_kind = Counter(signal.kind for signal in CORPUS.signals)
    assert set(per_kind) == set(SIGNAL_KINDS)
    assert min(per_kind.values()) >= 5, per_kind


def test_at_least_ten_controls_that_look_like_signals() -> None:
    assert len(CORPUS.controls) >= 10
    assert {c.looks_like for c in CORPUS.controls} >= {
        "contradiction",
        "reannouncement",
        "reactive",
    }


def test_some_documents_have_later_versions_with_changed_bodies() -> None:
    changed = [d for d in CORPUS.documents if len(set(d.version_bodies())) > 1]
    assert len([d for d in CORPUS.documents if len(d.versions) > 1]) >= 5
    assert len(changed) >= 3


def test_every_document_has_ground_truth() -> None:
    for document in CORPUS.documents:
        assert document.labels.themes, document.id
    assert sum(len(d.labels.statements) for d in CORPUS.documents) >= len(CORPUS.documents)
    assert Counter(d.labels.reactive for d in CORPUS.documents)[True] >= 5


def test_the_datasheet_says_the_corpus_is_synthetic() -> None:
    datasheet = (CORPUS.root / "DATASHEET.md").read_text(encoding="utf-8")
    assert "synthetic" in datasheet.lower()
    assert "how the labels were made" in datasheet.lower()
