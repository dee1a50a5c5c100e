"""The planned-versus-reactive classifier: a calibrated probability that a document reacts.

Inputs are the text (word n-gram TF-IDF) and the coherence profile of the
language layer: the eight theory-of-change parts, whether a reactive cue was
found, and the planning score. A plan names problem, intervention, money,
milestones and owner; a reaction names an event ("following the death of",
"urgent review") and little else, so the profile carries signal the words
alone miss. The rules-only baseline it is compared with is the profile read
directly: a reactive cue and a planning score below one half.

The model input is a two-column-group object array: column 0 the text, the
rest the profile features in :data:`models.features.PROFILE_FEATURES` order.
Keeping it one sklearn ``Pipeline`` (a ``ColumnTransformer`` in front) means
one file holds everything needed to score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models.dataset import Example
from models.features import PROFILE_FEATURES, profile_rows
from models.themes import THRESHOLD_FOLDS, best_threshold, slim

#: The rules-only baseline: a reactive cue and fewer than half the plan's parts.
RULE_PLANNING_BELOW = 0.5


def build_pipeline(seed: int) -> Pipeline:
    columns = list(range(1, 1 + len(PROFILE_FEATURES)))
    features = ColumnTransformer(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2), 0),
            ("profile", StandardScaler(), columns),
        ]
    )
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=5000, random_state=seed)
    calibrated = CalibratedClassifierCV(model, method="sigmoid", cv=3)
    return Pipeline([("features", features), ("classify", calibrated)])


def model_input(texts: Sequence[str], profiles: Sequence[dict[str, float]]) -> np.ndarray:
    """The object array the pipeline reads: text first, then the profile features."""
    rows = profile_rows(profiles)
    matrix = np.empty((len(texts), 1 + len(PROFILE_FEATURES)), dtype=object)
    for i, (text, row) in enumerate(zip(texts, rows, strict=True)):
        matrix[i, 0] = text
        matrix[i, 1:] = row
    return matrix


def rule_says_reactive(profile: dict[str, float]) -> bool:
    return bool(profile.get("reactive_cue")) and (
        profile.get("planning_score", 0.0) < RULE_PLANNING_BELOW
    )


def labels(examples: Sequence[Example]) -> np.ndarray:
    return np.array([int(bool(e.reactive)) for e in examples], dtype=int)


def fit_reactive(examples: Sequence[Example], *, seed: int) -> tuple[Pipeline, float]:
    """Fit on all training examples; the decision threshold is chosen out-of-fold."""
    x = model_input([e.text for e in examples], [e.profile for e in examples])
    y = labels(examples)
    groups = [e.group or e.key for e in examples]
    oof = np.zeros(len(examples))
    for fit_rows, score_rows in GroupKFold(n_splits=THRESHOLD_FOLDS).split(x, groups=groups):
        if y[fit_rows].sum() < 3:
            continue
        fold = build_pipeline(seed).fit(x[fit_rows], y[fit_rows])
        oof[score_rows] = fold.predict_proba(x[score_rows])[:, 1]
    threshold = best_threshold(oof, y)
    pipeline = build_pipeline(seed).fit(x, y)
    slim(pipeline)
    return pipeline, threshold


def predict_reactive(
    pipeline: Pipeline, texts: Sequence[str], profiles: Sequence[dict[str, float]]
) -> np.ndarray:
    """Probability that each document is reactive, in one ``predict_proba`` call."""
    if not texts:
        return np.zeros(0)
    return pipeline.predict_proba(model_input(texts, profiles))[:, 1]
