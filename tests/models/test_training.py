"""Training: the card says what a model is, the held-out report is reproducible, the gate holds."""

from __future__ import annotations

import sklearn

from models import evaluation
from models.artifacts import load_model
from models.dataset import HAND_LABELLED
from models.training import TrainResult, model_version


def test_the_card_records_data_labels_metrics_and_versions(themes_model: TrainResult) -> None:
    card = themes_model.card
    training = card["training"]

    assert card["name"] == "themes" and card["version"].startswith("themes-")
    assert card["sklearn_version"] == sklearn.__version__
    assert card["taxonomy_version"] and card["created_at"] and card["skops_version"]
    assert set(training["provenance"]) == set(HAND_LABELLED)
    assert sum(p["examples"] for p in training["provenance"].values()) == training["examples"]
    assert len(training["data_sha256"]) == 64
    assert sum(training["label_counts"].values()) > training["examples"]  # multi-label
    assert set(card["evaluation"]["figures"]) == {"classifier", "rules", "combined"}
    assert not set(card["evaluation"]["test_keys"]) & {
        k for k in card["evaluation"]["test_keys"] if k.startswith(("taxon:", "weak:"))
    }
    # every theme has a threshold chosen out-of-fold, inside the grid
    assert all(0 < t < 1 for t in card["settings"]["combined_thresholds"].values())


def test_the_version_is_a_function_of_data_seed_and_taxonomy() -> None:
    a = model_version("themes", "h" * 64, 1, "1.0")
    assert a == model_version("themes", "h" * 64, 1, "1.0")
    assert a != model_version("themes", "h" * 64, 2, "1.0")
    assert a != model_version("themes", "g" * 64, 1, "1.0")
    assert a != model_version("themes", "h" * 64, 1, "1.1")


def test_evaluating_the_saved_model_reproduces_its_card_and_passes_the_gate(
    themes_model: TrainResult, reactive_model: TrainResult
) -> None:
    baseline = evaluation.load_baseline()
    for result in (themes_model, reactive_model):
        pipeline, card = load_model(result.folder)
        report, data_hash = evaluation.evaluate_saved(pipeline, card)

        assert report.figures() == card["evaluation"]["figures"]
        assert data_hash == card["evaluation"]["data_sha256"]
        # the CI gate: every figure at or above its pinned floor, on the pinned data
        assert evaluation.gate(report, baseline, data_hash=data_hash) == []


def test_the_report_compares_with_the_rules_theme_by_theme(themes_model: TrainResult) -> None:
    text = evaluation.render(themes_model.report)
    figures = themes_model.report.figures()

    for theme in ("residential_care", "fostering", "workforce"):
        assert theme in text
    assert "micro" in text and "macro F1" in text
    beats = figures["classifier"]["micro_f1"] > figures["rules"]["micro_f1"]
    assert ("does NOT beat" in text) is not beats
    worse, _ = themes_model.report.against_rules("classifier")
    for theme in worse:
        assert theme in text.split("loses to the rules")[1]


def test_the_gate_catches_drops_changed_data_and_silent_lowering(
    themes_model: TrainResult,
) -> None:
    report = themes_model.report
    figures = report.figures()
    data_hash = themes_model.card["evaluation"]["data_sha256"]
    raised = {t: {m: v + 0.1 for m, v in f.items()} for t, f in figures.items()}
    baseline = {"epsilon": 0.02, "themes": {"data_sha256": data_hash, "figures": raised}}

    problems = evaluation.gate(report, baseline, data_hash=data_hash)
    assert problems and all("below its floor" in p for p in problems)
    assert any("changed" in p for p in evaluation.gate(report, baseline, data_hash="other"))
    kept, lowered = evaluation.updated_baseline(report, baseline, data_hash=data_hash)
    assert kept == baseline and lowered
    new, _ = evaluation.updated_baseline(report, baseline, data_hash=data_hash, allow_lower=True)
    assert new["themes"]["figures"] == figures
