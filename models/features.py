"""What the language layer says about a text, as classifier inputs and the rules baseline.

The theme classifier learns from words; the final tag combines it with the
theme ruler's score (:mod:`models.themes`). The reactive classifier adds the
coherence profile (which theory-of-change parts a document states, and whether
it carries reactive cues). Both come from the same spaCy pipeline that
annotates the store, so training sees exactly what tagging will see: at
tagging time they are read back from the stored annotation, not recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from spacy.language import Language

from models.dataset import Example
from nlp.components.coherence import LABELS as PROFILE_LABELS

#: Coherence features, in the column order the reactive model expects.
PROFILE_FEATURES = (*PROFILE_LABELS, "planning_score")


def taxonomy() -> tuple[str, tuple[str, ...]]:
    """(version, themes) of the taxonomy the theme ruler reads."""
    from nlp.components.theme_ruler import load_data

    data = load_data()
    return str(data.get("version", "0")), tuple(sorted(data["themes"]))


def profile_from_annotation(data: dict[str, Any]) -> dict[str, float]:
    """Coherence features from a stored annotation record (``nlp.annotate``)."""
    profile = data.get("coherence_profile") or {}
    features = {label: float(bool(profile.get(label))) for label in PROFILE_LABELS}
    features["planning_score"] = float(data.get("planning_score") or 0.0)
    return features


def add_rule_features(
    examples: Sequence[Example], pipeline: Language, *, batch_size: int = 32
) -> None:
    """Run the annotation pipeline once over the examples; keep rule scores and profiles."""
    from nlp.annotate import annotation_record
    from nlp.pipeline import PipelineInfo

    info = PipelineInfo("features", "0", False, tuple(pipeline.pipe_names), ())
    docs = pipeline.pipe((e.text for e in examples), batch_size=batch_size)
    for example, doc in zip(examples, docs, strict=True):
        record = annotation_record(doc, info)
        example.rule_scores = {k: float(v) for k, v in record["theme_scores"].items()}
        example.profile = profile_from_annotation(record)


def profile_rows(profiles: Iterable[dict[str, float]]) -> list[list[float]]:
    """Profiles as rows in :data:`PROFILE_FEATURES` order."""
    return [[float(p.get(name, 0.0)) for name in PROFILE_FEATURES] for p in profiles]
