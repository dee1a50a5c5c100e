"""The theme classifier: one scikit-learn pipeline, calibrated, with per-theme thresholds.

Word 1-2 grams (TF-IDF, English stop words removed) feed a one-vs-rest linear
SVM whose scores are calibrated into probabilities (Platt scaling fitted on
cross-validated predictions inside ``CalibratedClassifierCV``; one final SVM
per theme, so the file stays small). docs/decisions.md says how this
configuration was chosen. Thresholds are chosen per theme on out-of-fold
predictions over the training data only (grouped folds, so near-duplicates
never score each other); the test split is never looked at.

The final tag combines the model with the theme ruler, in one documented way:
the **combined score** is the mean of the model's calibrated probability and
the rule score (both in [0, 1]), and a theme is tagged when the combined score
reaches that theme's combined threshold (also chosen out-of-fold). Themes with
too few training examples to learn are not modelled: for them the combined
score is the rule score and the rule's own threshold applies. A tagged
document keeps the model probability, the rule score and the rule's phrases as
evidence, so a reader sees why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GroupKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from models.dataset import Example
from policywatch.store.queries import RULE_TAG_THRESHOLD

#: A theme needs this many positive training examples to be modelled at all.
MIN_POSITIVES = 6
#: Folds for the out-of-fold predictions that thresholds are chosen on.
THRESHOLD_FOLDS = 4
THRESHOLD_GRID = tuple(round(t, 3) for t in np.arange(0.05, 0.951, 0.025))


def build_pipeline(seed: int) -> Pipeline:
    """Word 1-2 gram TF-IDF into calibrated one-vs-rest linear SVMs."""
    words = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2,
        max_features=20000,
        stop_words="english",
    )
    model = LinearSVC(C=0.5, class_weight="balanced", random_state=seed)
    calibrated = CalibratedClassifierCV(model, method="sigmoid", cv=3, ensemble=False)
    return Pipeline([("features", words), ("classify", OneVsRestClassifier(calibrated))])


def label_matrix(examples: Sequence[Example], themes: Sequence[str]) -> np.ndarray:
    return np.array([[int(t in e.themes) for t in themes] for e in examples], dtype=int)


def rule_matrix(examples: Sequence[Example], themes: Sequence[str]) -> np.ndarray:
    return np.array([[e.rule_scores.get(t, 0.0) for t in themes] for e in examples])


def combine(probability: np.ndarray, rule: np.ndarray) -> np.ndarray:
    """The combined score: mean of calibrated model probability and rule score."""
    return (probability + rule) / 2.0


def best_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The grid threshold with the best F1 (ties go to the one nearest 0.5)."""
    best, best_key = 0.5, (-1.0, 0.0)
    for threshold in THRESHOLD_GRID:
        predicted = scores >= threshold
        tp = int((predicted & (truth == 1)).sum())
        fp = int((predicted & (truth == 0)).sum())
        fn = int((~predicted & (truth == 1)).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        key = (f1, -abs(threshold - 0.5))
        if key > best_key:
            best, best_key = threshold, key
    return float(best)


def out_of_fold(examples: Sequence[Example], themes: Sequence[str], *, seed: int) -> np.ndarray:
    """Probabilities for every training example from a model that did not see its group."""
    texts = [e.text for e in examples]
    labels = label_matrix(examples, themes)
    groups = [e.group or e.key for e in examples]
    result = np.zeros(labels.shape)
    for fit_rows, score_rows in GroupKFold(n_splits=THRESHOLD_FOLDS).split(texts, groups=groups):
        fit_labels = labels[fit_rows]
        # a fold may lack enough positives of a rare theme: that column stays 0 here
        usable = [j for j in range(len(themes)) if fit_labels[:, j].sum() >= 3]
        if not usable:
            continue
        pipeline = build_pipeline(seed)
        pipeline.fit([texts[i] for i in fit_rows], fit_labels[:, usable])
        probabilities = pipeline.predict_proba([texts[i] for i in score_rows])
        for k, j in enumerate(usable):
            result[score_rows, j] = probabilities[:, k]
    return result


def slim(pipeline: Pipeline) -> None:
    """Drop vectorizer attributes only kept for introspection (``stop_words_`` holds every
    pruned term and can outweigh the model); prediction does not use them."""
    for step in pipeline.named_steps.values():
        for part in getattr(step, "transformers_", [("", step, None)]):
            if hasattr(part[1], "stop_words_"):
                part[1].stop_words_ = None


@dataclass
class ThemeFit:
    """A fitted theme pipeline and everything the card must carry to use it."""

    pipeline: Pipeline
    modelled: list[str]
    unmodelled: list[str]
    thresholds: dict[str, float]
    combined_thresholds: dict[str, float]

    def settings(self) -> dict[str, Any]:
        return {
            "modelled_themes": self.modelled,
            "unmodelled_themes": self.unmodelled,
            "thresholds": self.thresholds,
            "combined_thresholds": self.combined_thresholds,
            "rule_threshold": RULE_TAG_THRESHOLD,
            "combination": "mean of calibrated model probability and rule score",
        }


def fit_themes(examples: Sequence[Example], themes: Sequence[str], *, seed: int) -> ThemeFit:
    """Choose thresholds out-of-fold, then fit the final pipeline on all training examples."""
    labels = label_matrix(examples, themes)
    modelled = [t for j, t in enumerate(themes) if labels[:, j].sum() >= MIN_POSITIVES]
    unmodelled = [t for t in themes if t not in modelled]
    truth = label_matrix(examples, modelled)
    oof = out_of_fold(examples, modelled, seed=seed)
    rules = rule_matrix(examples, modelled)
    mixed = combine(oof, rules)
    thresholds = {t: best_threshold(oof[:, j], truth[:, j]) for j, t in enumerate(modelled)}
    combined = {t: best_threshold(mixed[:, j], truth[:, j]) for j, t in enumerate(modelled)}
    pipeline = build_pipeline(seed)
    pipeline.fit([e.text for e in examples], truth)
    slim(pipeline)
    return ThemeFit(pipeline, modelled, unmodelled, thresholds, combined)


@dataclass(frozen=True)
class ThemeScore:
    """One theme on one document: the model, the rule, their combination, the verdict."""

    theme: str
    probability: float | None
    rule: float
    combined: float
    threshold: float
    tagged: bool


def predict_themes(
    pipeline: Pipeline,
    settings: dict[str, Any],
    texts: Sequence[str],
    rule_scores: Sequence[dict[str, float]],
) -> list[list[ThemeScore]]:
    """Score a batch: one ``predict_proba`` call, then the documented combination."""
    modelled: list[str] = settings["modelled_themes"]
    probabilities = pipeline.predict_proba(list(texts)) if texts else np.zeros((0, len(modelled)))
    rule_threshold = float(settings.get("rule_threshold", RULE_TAG_THRESHOLD))
    results = []
    for row, rules in zip(probabilities, rule_scores, strict=True):
        scores = []
        for j, theme in enumerate(modelled):
            p = float(row[j])
            c = float(combine(np.float64(p), np.float64(rules.get(theme, 0.0))))
            t = float(settings["combined_thresholds"][theme])
            scores.append(ThemeScore(theme, p, rules.get(theme, 0.0), c, t, c >= t))
        for theme in settings["unmodelled_themes"]:
            r = float(rules.get(theme, 0.0))
            scores.append(ThemeScore(theme, None, r, r, rule_threshold, r >= rule_threshold))
        results.append(scores)
    return results
