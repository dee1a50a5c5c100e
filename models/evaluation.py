"""Held-out figures for the classifiers, the rules-only comparison, and the CI gate.

Every figure here is computed on the test split of :func:`models.dataset.split_groups`:
hand-labelled documents whose near-duplicate group the model never trained on.
The theme report scores three taggers on the same documents:

- ``classifier``: the model alone, with its out-of-fold thresholds (themes it
  does not model count as never tagged);
- ``rules``: the theme ruler alone (score >= its threshold), the baseline;
- ``combined``: the documented combination that tags the store.

Per theme: precision, recall, F1 and support; overall: micro F1 (every
decision counted once) and macro F1 (mean over themes with test support).
``models/baseline.json`` pins the figures with the hash of the evaluation
data; :func:`gate` fails when one falls more than epsilon below its floor,
and a floor is only lowered on purpose.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.dataset import Example
from models.reactive import predict_reactive, rule_says_reactive
from models.themes import predict_themes
from nlp.evaluate import Score

BASELINE_FILE = Path(__file__).with_name("baseline.json")
DEFAULT_EPSILON = 0.02
TAGGERS = ("classifier", "rules", "combined")


@dataclass
class TaskReport:
    """Scores for one task: per tagger, per label, plus overall figures."""

    task: str
    examples: int
    per_label: dict[str, dict[str, Score]] = field(default_factory=dict)

    def score(self, tagger: str, label: str) -> Score:
        return self.per_label.setdefault(tagger, {}).setdefault(label, Score())

    def micro(self, tagger: str) -> Score:
        total = Score()
        for score in self.per_label.get(tagger, {}).values():
            total.true_positives += score.true_positives
            total.false_positives += score.false_positives
            total.false_negatives += score.false_negatives
        return total

    def macro_f1(self, tagger: str) -> float:
        scores = [
            s
            for s in self.per_label.get(tagger, {}).values()
            if s.true_positives + s.false_negatives
        ]
        return sum(s.f1 for s in scores) / len(scores) if scores else 0.0

    def figures(self) -> dict[str, dict[str, float]]:
        """The pinned figures: micro P/R/F1 and macro F1 per tagger."""
        out = {}
        for tagger in self.per_label:
            micro = self.micro(tagger)
            out[tagger] = {
                "micro_precision": round(micro.precision, 4),
                "micro_recall": round(micro.recall, 4),
                "micro_f1": round(micro.f1, 4),
                "macro_f1": round(self.macro_f1(tagger), 4),
            }
        return out

    def labels(self) -> list[str]:
        return sorted({label for scores in self.per_label.values() for label in scores})

    def against_rules(self, tagger: str = "classifier") -> tuple[list[str], list[str]]:
        """(labels where ``tagger`` has lower F1 than the rules, labels where they tie),
        over labels with test support."""
        worse, ties = [], []
        for label in self.labels():
            ours, rules = self.score(tagger, label), self.score("rules", label)
            if not ours.true_positives + ours.false_negatives:
                continue
            if round(ours.f1, 4) < round(rules.f1, 4):
                worse.append(label)
            elif round(ours.f1, 4) == round(rules.f1, 4):
                ties.append(label)
        return worse, ties


def _add(score: Score, predicted: bool, truth: bool) -> None:
    score.true_positives += int(predicted and truth)
    score.false_positives += int(predicted and not truth)
    score.false_negatives += int(truth and not predicted)


def evaluate_themes(
    pipeline: Any, settings: dict[str, Any], test: Sequence[Example], themes: Sequence[str]
) -> TaskReport:
    report = TaskReport("themes", len(test))
    results = predict_themes(
        pipeline, settings, [e.text for e in test], [e.rule_scores for e in test]
    )
    rule_threshold = float(settings["rule_threshold"])
    for example, scores in zip(test, results, strict=True):
        by_theme = {s.theme: s for s in scores}
        for theme in themes:
            truth = theme in example.themes
            s = by_theme.get(theme)
            model_tag = bool(
                s and s.probability is not None and s.probability >= settings["thresholds"][theme]
            )
            _add(report.score("classifier", theme), model_tag, truth)
            rule = example.rule_scores.get(theme, 0.0) >= rule_threshold
            _add(report.score("rules", theme), rule, truth)
            _add(report.score("combined", theme), bool(s and s.tagged), truth)
    return report


def evaluate_reactive(pipeline: Any, threshold: float, test: Sequence[Example]) -> TaskReport:
    report = TaskReport("reactive", len(test))
    probabilities = predict_reactive(pipeline, [e.text for e in test], [e.profile for e in test])
    for example, p in zip(test, np.asarray(probabilities), strict=True):
        truth = bool(example.reactive)
        _add(report.score("classifier", "reactive"), bool(p >= threshold), truth)
        _add(report.score("rules", "reactive"), rule_says_reactive(example.profile), truth)
    return report


def render(report: TaskReport, *, note: str = "") -> str:
    """The plain-text report the CLI prints."""
    taggers = [t for t in TAGGERS if t in report.per_label]
    lines = [
        f"{report.task}: {report.examples} held-out documents" + (f" ({note})" if note else "")
    ]
    header = f"{'label':32}" + "".join(f"{t + ' P/R/F1':>24}" for t in taggers) + f"{'support':>9}"
    lines += ["", header, "-" * len(header)]
    for label in report.labels():
        cells = "".join(
            "{:>24}".format(f"{s.precision:.2f}/{s.recall:.2f}/{s.f1:.2f}")
            for s in (report.score(t, label) for t in taggers)
        )
        support = report.score("rules", label)
        lines.append(f"{label:32}{cells}{support.true_positives + support.false_negatives:>9}")
    lines.append("")
    for tagger, figures in report.figures().items():
        lines.append(
            f"{tagger:>10}: micro P {figures['micro_precision']:.3f}"
            f"  R {figures['micro_recall']:.3f}"
            f"  F1 {figures['micro_f1']:.3f}   macro F1 {figures['macro_f1']:.3f}"
        )
    figures = report.figures()
    verdict = (
        "the classifier beats the rules on held-out data (micro F1 "
        f"{figures['classifier']['micro_f1']:.3f} vs {figures['rules']['micro_f1']:.3f})"
        if figures["classifier"]["micro_f1"] > figures["rules"]["micro_f1"]
        else "the classifier does NOT beat the rules on held-out data (micro F1 "
        f"{figures['classifier']['micro_f1']:.3f} vs {figures['rules']['micro_f1']:.3f})"
    )
    lines += ["", verdict + "."]
    for tagger in ("classifier", "combined"):
        if tagger not in report.per_label:
            continue
        worse, ties = report.against_rules(tagger)
        if worse:
            lines.append(f"{tagger} loses to the rules (F1) on: {', '.join(worse)}.")
        if ties:
            lines.append(f"{tagger} ties with the rules (F1) on: {', '.join(ties)}.")
    return "\n".join(lines)


# -- the gate -----------------------------------------------------------------


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def gate(report: TaskReport, baseline: dict[str, Any], *, data_hash: str) -> list[str]:
    """Every way ``report`` fails the pinned floors, as sentences; empty means pass."""
    pinned = baseline.get(report.task)
    if not pinned:
        return [
            f"no baseline for {report.task}: run "
            f"`policywatch evaluate {report.task} --update-baseline`"
        ]
    problems = []
    if pinned.get("data_sha256") != data_hash:
        problems.append(
            f"the {report.task} evaluation data changed since the baseline was pinned: re-run "
            f"`policywatch evaluate {report.task} --update-baseline` and commit it"
        )
    epsilon = float(baseline.get("epsilon", DEFAULT_EPSILON))
    for tagger, figures in report.figures().items():
        for metric, value in figures.items():
            floor = pinned.get("figures", {}).get(tagger, {}).get(metric)
            if floor is not None and value < floor - epsilon:
                problems.append(
                    f"{report.task} {tagger} {metric} {value:.3f} is below its floor "
                    f"{floor:.3f} (epsilon {epsilon})"
                )
    return problems


def updated_baseline(
    report: TaskReport, baseline: dict[str, Any], *, data_hash: str, allow_lower: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """The baseline with this report's figures; lowering a floor needs ``allow_lower``."""
    old = baseline.get(report.task, {}).get("figures", {})
    figures = report.figures()
    lowered = [
        f"{tagger} {metric}: {old[tagger][metric]:.3f} -> {value:.3f}"
        for tagger, values in figures.items()
        for metric, value in values.items()
        if metric in old.get(tagger, {}) and value < old[tagger][metric]
    ]
    if lowered and not allow_lower:
        return baseline, lowered
    new = {**baseline, "epsilon": baseline.get("epsilon", DEFAULT_EPSILON)}
    new[report.task] = {"data_sha256": data_hash, "figures": figures}
    return new, lowered


# -- evaluating a saved model --------------------------------------------------


def held_out_examples(card: dict[str, Any]) -> list[Example]:
    """The test split the model in ``card`` was never trained on, rebuilt from the repository.

    Rebuilt with the card's seed; if the examples no longer match the card's
    list, the labelled data changed since training and the figures would not
    be held-out figures, so this refuses rather than guess.
    """
    from models.dataset import group_near_duplicates, labelled_examples, split_groups
    from policywatch.errors import PolicyWatchError

    examples = labelled_examples()
    group_near_duplicates(examples)
    _, test = split_groups(examples, seed=int(card["training"]["seed"]))
    if card["name"] == "reactive":
        test = [e for e in test if e.reactive is not None]
    expected = card.get("evaluation", {}).get("test_keys")
    if expected is not None and sorted(e.key for e in test) != sorted(expected):
        raise PolicyWatchError(
            f"the labelled data changed since model {card['version']} was trained, so its "
            "held-out split cannot be rebuilt: retrain it with `policywatch train "
            f"{card['name']}`"
        )
    return test


def evaluate_saved(
    pipeline: Any, card: dict[str, Any], *, spacy_model: str | None = None
) -> tuple[TaskReport, str]:
    """(report, evaluation data hash) for a saved model on its own held-out split."""
    from models.dataset import data_hash
    from models.features import add_rule_features
    from nlp.pipeline import load_pipeline

    test = held_out_examples(card)
    nlp, _ = load_pipeline(spacy_model)
    add_rule_features(test, nlp)
    if card["name"] == "themes":
        report = evaluate_themes(pipeline, card["settings"], test, card["themes"])
    else:
        report = evaluate_reactive(pipeline, float(card["settings"]["threshold"]), test)
    return report, data_hash(test, task=card["name"])
