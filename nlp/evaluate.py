"""Score the language layer on the held-out gold set, and gate CI on it.

The gold set (``nlp/gold/``) was written apart from the demo corpus the rules
were tuned on; its README says how. Figures per component:

- ``money``: sterling amounts per sentence, matched on the amount in pounds;
- ``statements``: (actor, direction, target) per sentence, targets compared
  after the same canonicalisation the component applies;
- ``statements_loose``: (direction, target) only, so a missed actor is not
  also a missed statement;
- ``themes``: document themes (multi-label, micro-averaged);
- ``coherence``: the eight theory-of-change parts per document (micro);
- ``reactive_cues``: whether a document carries a reactive cue.

``baseline.json`` pins each figure with the SHA-256 of the gold files. The
gate (trafilatura's ``eval_gate.py`` pattern) fails when a figure falls more
than ``epsilon`` below its floor or when the gold data changed without a new
baseline; a baseline can only be lowered on purpose (``--allow-lower``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from nlp.annotate import version_text

GOLD_DIR = Path(__file__).with_name("gold")
BASELINE_FILE = GOLD_DIR / "baseline.json"
GOLD_FILES = ("sentences.jsonl", "documents.jsonl")
DEFAULT_EPSILON = 0.02


@dataclass
class Score:
    """Counts for one component; precision, recall and F1 derive from them."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def add(self, predicted: Counter[Any], gold: Counter[Any]) -> None:
        matched = sum((predicted & gold).values())
        self.true_positives += matched
        self.false_positives += sum(predicted.values()) - matched
        self.false_negatives += sum(gold.values()) - matched

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "support": self.true_positives + self.false_negatives,
        }


@dataclass
class Evaluation:
    pipeline: str
    scores: dict[str, Score] = field(default_factory=dict)

    def score(self, name: str) -> Score:
        return self.scores.setdefault(name, Score())

    def figures(self) -> dict[str, dict[str, float | int]]:
        return {name: score.as_dict() for name, score in sorted(self.scores.items())}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def gold_hash(folder: Path = GOLD_DIR) -> str:
    """SHA-256 over the gold files, so a changed gold set cannot keep an old baseline."""
    digest = hashlib.sha256()
    for name in GOLD_FILES:
        digest.update(name.encode())
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def _target(text: str | None) -> str:
    from nlp.components.statements import canonical_target

    return canonical_target(text or "")


def evaluate_sentences(
    pipeline: Language, sentences: list[dict[str, Any]], result: Evaluation
) -> None:
    docs = pipeline.pipe(pipeline.make_doc(item["text"]) for item in sentences)
    for item, doc in zip(sentences, docs, strict=True):
        predicted_money = Counter(span._.money["gbp"] for span in doc.spans.get("money", []))
        gold_money = Counter(m["gbp"] for m in item.get("money", []))
        result.score("money").add(predicted_money, gold_money)

        predicted = doc._.statements or []
        gold = item.get("statements", [])
        result.score("statements").add(
            Counter((s.get("actor"), s["direction"], _target(s.get("target"))) for s in predicted),
            Counter((s.get("actor"), s["direction"], _target(s.get("target"))) for s in gold),
        )
        result.score("statements_loose").add(
            Counter((s["direction"], _target(s.get("target"))) for s in predicted),
            Counter((s["direction"], _target(s.get("target"))) for s in gold),
        )


def evaluate_documents(
    pipeline: Language, documents: list[dict[str, Any]], result: Evaluation
) -> None:
    from nlp.components.coherence import coherence_profile
    from nlp.components.theme_ruler import doc_themes

    def make(item: dict[str, Any]):  # type: ignore[no-untyped-def]
        doc = pipeline.make_doc(version_text(item.get("title", ""), item["text"]))
        doc.user_data.update(
            {"publisher": item.get("publisher"), "title_chars": len(item.get("title", ""))}
        )
        return doc

    docs = pipeline.pipe(make(item) for item in documents)
    for item, doc in zip(documents, docs, strict=True):
        result.score("themes").add(Counter(doc_themes(doc)), Counter(item.get("themes", [])))
        profile = coherence_profile(doc)
        result.score("coherence").add(
            Counter(
                part for part, present in profile.items() if present and part != "reactive_cue"
            ),
            Counter(part for part, present in (item.get("coherence") or {}).items() if present),
        )
        has_cue = bool((doc._.coherence or {}).get("reactive_cue"))
        gold_cue = bool(item.get("reactive_cues"))
        result.score("reactive_cues").add(
            Counter({"cue": int(has_cue)}), Counter({"cue": int(gold_cue)})
        )


def evaluate(pipeline: Language, name: str, folder: Path = GOLD_DIR) -> Evaluation:
    """Score one pipeline on the gold set."""
    result = Evaluation(pipeline=name)
    evaluate_sentences(pipeline, read_jsonl(folder / "sentences.jsonl"), result)
    evaluate_documents(pipeline, read_jsonl(folder / "documents.jsonl"), result)
    return result


# -- the gate ---------------------------------------------------------------


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def gate(
    evaluations: list[Evaluation], baseline: dict[str, Any] | None, *, data_hash: str
) -> list[str]:
    """Everything that fails the gate, as sentences; an empty list passes."""
    if baseline is None:
        return ["no baseline: run `policywatch evaluate nlp --update-baseline` and commit it"]
    problems = []
    if baseline.get("data_sha256") != data_hash:
        problems.append(
            "the gold set changed since the baseline was pinned: re-run "
            "`policywatch evaluate nlp --update-baseline` and commit both"
        )
    epsilon = float(baseline.get("epsilon", DEFAULT_EPSILON))
    for evaluation in evaluations:
        floors = baseline.get("pipelines", {}).get(evaluation.pipeline, {})
        for component, figures in evaluation.figures().items():
            for metric in ("precision", "recall", "f1"):
                floor = floors.get(component, {}).get(metric)
                if floor is not None and figures[metric] < floor - epsilon:
                    problems.append(
                        f"{evaluation.pipeline} {component} {metric} {figures[metric]:.3f} "
                        f"is below its floor {floor:.3f} (epsilon {epsilon})"
                    )
    return problems


def updated_baseline(
    evaluations: list[Evaluation],
    baseline: dict[str, Any] | None,
    *,
    data_hash: str,
    allow_lower: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """A new baseline from these figures; lowering any floor needs ``allow_lower``."""
    old = (baseline or {}).get("pipelines", {})
    lowered = []
    pipelines: dict[str, Any] = {}
    for evaluation in evaluations:
        figures = evaluation.figures()
        pipelines[evaluation.pipeline] = figures
        for component, values in figures.items():
            for metric in ("precision", "recall", "f1"):
                before = old.get(evaluation.pipeline, {}).get(component, {}).get(metric)
                if before is not None and values[metric] < before:
                    change = f"{before:.3f} -> {values[metric]:.3f}"
                    lowered.append(f"{evaluation.pipeline} {component} {metric}: {change}")
    for name, figures in old.items():
        pipelines.setdefault(name, figures)
    if lowered and not allow_lower:
        return baseline or {}, lowered
    new = {
        "data_sha256": data_hash,
        "epsilon": (baseline or {}).get("epsilon", DEFAULT_EPSILON),
        "pipelines": pipelines,
    }
    return new, lowered
