"""The reactive classifier's threshold lands on the detector's gate; order is kept."""

from __future__ import annotations

from timeline.facts import on_timeline_scale


def test_the_threshold_maps_to_the_gate_and_the_ends_stay_put() -> None:
    assert on_timeline_scale(0.35, 0.35, 0.6) == 0.6
    assert on_timeline_scale(0.0, 0.35, 0.6) == 0.0
    assert on_timeline_scale(1.0, 0.35, 0.6) == 1.0
    assert on_timeline_scale(0.34, 0.35, 0.6) < 0.6 <= on_timeline_scale(0.36, 0.35, 0.6)


def test_the_map_keeps_the_classifier_ranking() -> None:
    probabilities = [i / 20 for i in range(21)]
    mapped = [on_timeline_scale(p, 0.2, 0.6) for p in probabilities]
    assert mapped == sorted(mapped)
    assert on_timeline_scale(0.7, 1.0, 0.6) == 0.7  # a degenerate threshold changes nothing
