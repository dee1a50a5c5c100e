"""Precision and recall per signal kind against labelled corpora, with a quality gate.

Two labelled sets are scored:

* ``demo``: the demo corpus's planted signals and controls
  (``policywatch/fixture_site/corpus/ground_truth``). Its rules were visible
  while the detectors were built, so its figures are optimistic.
* ``heldout``: a smaller set written after the detectors were done
  (``timeline/heldout``), never used to change a detector or a threshold.
  It is scored in a store holding the demo corpus *and* the held-out
  documents (bursts and reactive need the surrounding coverage), counting
  only signals that involve a held-out document.

A predicted signal matches a planted one of the same kind when it shares at
least two documents with it (one for reactive: the reacting document; bursts
must also be on the same theme and cover at least half the salvo). Precision
counts every shown signal, matched or not; controls flagged are listed apart.

``baseline.json`` pins each figure with the SHA-256 of the label files; the
gate fails when a figure falls more than ``epsilon`` below its floor, and a
floor is only lowered on purpose (``--allow-lower``), as in the NLP gate.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from policywatch.fixture_site.corpus import CORPUS_DIR, Corpus, load_corpus
from policywatch.store import migrate, session_scope
from policywatch.store.db import make_engine
from policywatch.store.tables import Document, Signal, SignalEvidence, SignalReview
from timeline.config import DEFAULT, DetectorConfig
from timeline.corpus_store import build_corpus_store, corpus_id
from timeline.detect import KINDS
from timeline.recompute import recompute_signals

HELDOUT_DIR = Path(__file__).with_name("heldout")
BASELINE_FILE = Path(__file__).with_name("data") / "baseline.json"
DEFAULT_EPSILON = 0.02


@dataclass
class KindScore:
    kind: str
    planted: int = 0
    found: int = 0
    predicted: int = 0
    correct: int = 0
    controls: int = 0
    controls_flagged: int = 0
    missed: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        """None when nothing was predicted: no precision to speak of (and no floor)."""
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.planted if self.planted else None

    def figures(self) -> dict[str, float | int | None]:
        return {
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": None if self.recall is None else round(self.recall, 4),
            "planted": self.planted,
            "predicted": self.predicted,
            "controls_flagged": self.controls_flagged,
        }


@dataclass
class SetScore:
    name: str
    kinds: dict[str, KindScore]
    confirmed_precision: float | None = None

    def figures(self) -> dict[str, dict[str, float | int | None]]:
        return {kind: score.figures() for kind, score in self.kinds.items()}


@dataclass(frozen=True)
class Predicted:
    key: str
    kind: str
    theme: str | None
    documents: frozenset[str]
    reacting: str | None


def predicted_signals(engine: Engine) -> list[Predicted]:
    """Every signal shown (not withdrawn, not dismissed), with its documents' corpus ids."""
    with session_scope(engine) as session:
        urls = dict(session.exec(select(Document.id, Document.canonical_url)).all())
        signals = session.exec(
            select(Signal).where(col(Signal.status).not_in(["withdrawn", "dismissed"]))
        ).all()
        evidence: dict[int, list[SignalEvidence]] = {}
        for row in session.exec(select(SignalEvidence)).all():
            evidence.setdefault(row.signal_id, []).append(row)
    result = []
    for signal in signals:
        rows = evidence.get(signal.id, [])  # type: ignore[arg-type]
        docs = frozenset(corpus_id(urls[r.document_id]) for r in rows if r.document_id in urls)
        reacting = next(
            (corpus_id(urls[r.document_id]) for r in rows if r.role == "reaction"), None
        )
        result.append(Predicted(signal.key, signal.kind, signal.theme, docs, reacting))
    return result


def matches(predicted: Predicted, kind: str, documents: Iterable[str], theme: str | None) -> bool:
    if predicted.kind != kind:
        return False
    docs = set(documents)
    if kind == "reactive":
        return predicted.reacting in docs
    shared = len(predicted.documents & docs)
    if kind == "burst":
        return predicted.theme == theme and shared >= max(2, math.ceil(len(docs) / 2))
    return shared >= min(2, len(docs))


def score_set(
    name: str, corpus: Corpus, predictions: list[Predicted], *, only: set[str] | None = None
) -> SetScore:
    """Score predictions against one corpus's labels (``only``: count predictions that
    involve one of these documents)."""
    if only is not None:
        predictions = [p for p in predictions if p.documents & only]
    kinds = {kind: KindScore(kind) for kind in KINDS}
    for kind, score in kinds.items():
        planted = [s for s in corpus.signals if s.kind == kind]
        controls = [c for c in corpus.controls if c.looks_like == kind]
        mine = [p for p in predictions if p.kind == kind]
        score.planted, score.predicted, score.controls = len(planted), len(mine), len(controls)
        for signal in planted:
            if any(matches(p, kind, signal.documents, signal.theme) for p in mine):
                score.found += 1
            else:
                score.missed.append(signal.id)
        for prediction in mine:
            if any(matches(prediction, kind, s.documents, s.theme) for s in planted):
                score.correct += 1
            else:
                score.false_positives.append(prediction.key)
        for control in controls:
            if any(matches(p, kind, control.documents, None) for p in mine if kind != "burst") or (
                kind == "burst"
                and any(len(p.documents & set(control.documents)) >= 2 for p in mine)
            ):
                score.controls_flagged += 1
    return SetScore(name=name, kinds=kinds)


def confirmed_precision(engine: Engine) -> float | None:
    """Of the signals whose newest review is confirm or dismiss, the share confirmed."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(SignalReview.signal_id, SignalReview.action).order_by(col(SignalReview.id))
        ).all()
    latest: dict[int, str] = {}
    for signal_id, action in rows:
        latest[signal_id] = action
    decided = [a for a in latest.values() if a in {"confirm", "dismiss"}]
    return sum(a == "confirm" for a in decided) / len(decided) if decided else None


def labels_hash(*roots: Path) -> str:
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted((root / "ground_truth").glob("*.yaml")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def evaluate(
    *, workdir: Path | None = None, config: DetectorConfig = DEFAULT, heldout: Path = HELDOUT_DIR
) -> list[SetScore]:
    """Build the two stores, recompute signals, score both labelled sets."""
    demo = load_corpus(CORPUS_DIR)
    held = load_corpus(heldout)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        scores = []
        demo_engine = _store(Path(tmp) / "demo.db", [demo], config)
        scores.append(score_set("demo", demo, predicted_signals(demo_engine)))
        demo_engine.dispose()
        both_engine = _store(Path(tmp) / "heldout.db", [demo, held], config)
        only = {d.id for d in held.documents}
        scores.append(score_set("heldout", held, predicted_signals(both_engine), only=only))
        both_engine.dispose()
    return scores


def _store(path: Path, corpora: list[Corpus], config: DetectorConfig) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    build_corpus_store(engine, corpora)
    recompute_signals(engine, full=True, config=config)
    return engine


# -- the gate ------------------------------------------------------------------


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def gate(scores: list[SetScore], baseline: dict[str, Any] | None, *, data_hash: str) -> list[str]:
    """Failures: figures below their pinned floor (minus epsilon), or stale labels."""
    if baseline is None:
        return ["no baseline: run `policywatch evaluate timeline --update-baseline` and commit it"]
    if baseline.get("data_sha256") != data_hash:
        return [
            "the labelled sets changed since the baseline was pinned: re-run "
            "`policywatch evaluate timeline --update-baseline` and commit both"
        ]
    epsilon = float(baseline.get("epsilon", DEFAULT_EPSILON))
    failures = []
    for result in scores:
        floors = baseline.get("sets", {}).get(result.name, {})
        for kind, figures in result.figures().items():
            for metric in ("precision", "recall"):
                floor = floors.get(kind, {}).get(metric)
                value = figures[metric]
                if floor is not None and (value is None or value < floor - epsilon):
                    shown = "none" if value is None else f"{value:.3f}"
                    failures.append(f"{result.name} {kind} {metric} {shown} < floor {floor:.3f}")
    return failures


def updated_baseline(
    scores: list[SetScore], baseline: dict[str, Any] | None, *, data_hash: str, allow_lower: bool
) -> tuple[dict[str, Any], list[str]]:
    """A baseline from these figures; lowering any floor needs ``allow_lower``."""
    old = (baseline or {}).get("sets", {})
    lowered = []
    for result in scores:
        for kind, figures in result.figures().items():
            for metric in ("precision", "recall"):
                floor = old.get(result.name, {}).get(kind, {}).get(metric)
                value = figures[metric]
                if floor is not None and (value is None or value < floor):
                    lowered.append(f"{result.name} {kind} {metric} {floor} -> {value}")
    if lowered and not allow_lower:
        return baseline or {}, lowered
    new = {
        "data_sha256": data_hash,
        "epsilon": (baseline or {}).get("epsilon", DEFAULT_EPSILON),
        "sets": {result.name: result.figures() for result in scores},
    }
    return new, lowered
