"""The quality gate: both labelled sets scored and held to the pinned floors (as in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from policywatch.fixture_site.corpus import CORPUS_DIR, Corpus, load_corpus
from policywatch.store import migrate
from policywatch.store.db import make_engine
from timeline import evaluate as tl_eval
from timeline.corpus_store import build_corpus_store
from timeline.recompute import recompute_signals


@pytest.mark.slow
def test_both_labelled_sets_meet_their_pinned_floors(
    demo_engine: Engine, demo_corpus: Corpus, tmp_path: Path
) -> None:
    held = load_corpus(tl_eval.HELDOUT_DIR)
    assert not [e for e in held.load_errors if "documents/" in e or "ground_truth/" in e]
    engine = make_engine(f"sqlite:///{tmp_path / 'heldout.db'}")
    migrate.upgrade(engine)
    build_corpus_store(engine, [demo_corpus, held])
    recompute_signals(engine, full=True)
    only = {d.id for d in held.documents}
    scores = [
        tl_eval.score_set("demo", demo_corpus, tl_eval.predicted_signals(demo_engine)),
        tl_eval.score_set("heldout", held, tl_eval.predicted_signals(engine), only=only),
    ]
    engine.dispose()
    data_hash = tl_eval.labels_hash(CORPUS_DIR, tl_eval.HELDOUT_DIR)
    assert tl_eval.gate(scores, tl_eval.load_baseline(), data_hash=data_hash) == []
    # the held-out set really is new: none of its documents is in the demo corpus
    assert not only & {d.id for d in demo_corpus.documents}


def test_the_gate_fails_on_a_lower_figure_or_changed_labels(demo_corpus: Corpus) -> None:
    baseline = tl_eval.load_baseline()
    assert baseline is not None
    empty = [tl_eval.score_set("demo", demo_corpus, [])]  # nothing predicted: recall 0
    failures = tl_eval.gate(empty, baseline, data_hash=baseline["data_sha256"])
    assert any("demo contradiction recall" in f for f in failures)
    assert "changed" in tl_eval.gate(empty, baseline, data_hash="0" * 64)[0]
    _, lowered = tl_eval.updated_baseline(
        empty, baseline, data_hash=baseline["data_sha256"], allow_lower=False
    )
    assert lowered
