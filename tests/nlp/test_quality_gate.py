"""The quality gate: figures on the held-out gold set may not fall below their floors."""

from __future__ import annotations

from collections import Counter

import pytest
from spacy.language import Language

from nlp.evaluate import (
    Evaluation,
    Score,
    evaluate,
    gate,
    gold_hash,
    load_baseline,
    updated_baseline,
)


@pytest.mark.parametrize("kind", ["trained", "blank"])
def test_the_pipeline_meets_its_pinned_floors_on_the_gold_set(
    kind: str, request: pytest.FixtureRequest
) -> None:
    pipeline: Language
    pipeline, _info = request.getfixturevalue(kind)
    evaluation = evaluate(pipeline, kind)
    problems = gate([evaluation], load_baseline(), data_hash=gold_hash())
    assert problems == [], "\n".join(problems)
    assert {"money", "statements", "themes", "coherence"} <= set(evaluation.figures())


def _evaluation(name: str, tp: int, fp: int, fn: int) -> Evaluation:
    result = Evaluation(pipeline=name)
    result.scores["money"] = Score(tp, fp, fn)
    return result


def test_score_counts_matches_as_multisets() -> None:
    score = Score()
    score.add(Counter({"a": 2, "b": 1}), Counter({"a": 1, "c": 1}))
    assert (score.true_positives, score.false_positives, score.false_negatives) == (1, 2, 1)
    assert score.precision == pytest.approx(1 / 3)
    assert score.recall == pytest.approx(1 / 2)
    assert score.f1 == pytest.approx(0.4)


def test_the_gate_fails_below_floor_minus_epsilon_and_on_changed_data() -> None:
    baseline = {
        "data_sha256": "abc",
        "epsilon": 0.02,
        "pipelines": {"trained": {"money": {"precision": 0.9, "recall": 0.9, "f1": 0.9}}},
    }
    within = _evaluation("trained", tp=89, fp=11, fn=11)  # 0.89: inside epsilon
    below = _evaluation("trained", tp=80, fp=20, fn=20)
    assert gate([within], baseline, data_hash="abc") == []
    problems = gate([below], baseline, data_hash="abc")
    assert len(problems) == 3 and "below its floor" in problems[0]
    assert "gold set changed" in gate([within], baseline, data_hash="xyz")[0]
    assert "no baseline" in gate([within], None, data_hash="abc")[0]


def test_a_baseline_cannot_be_lowered_silently() -> None:
    old = {
        "data_sha256": "abc",
        "epsilon": 0.02,
        "pipelines": {"trained": {"money": {"precision": 0.9, "recall": 0.9, "f1": 0.9}}},
    }
    worse = _evaluation("trained", tp=80, fp=20, fn=20)
    kept, lowered = updated_baseline([worse], old, data_hash="abc")
    assert kept == old and len(lowered) == 3
    new, lowered = updated_baseline([worse], old, data_hash="abc", allow_lower=True)
    assert new["pipelines"]["trained"]["money"]["f1"] == 0.8
    better = _evaluation("trained", tp=95, fp=5, fn=5)
    raised, lowered = updated_baseline([better], old, data_hash="def")
    assert lowered == [] and raised["data_sha256"] == "def"
