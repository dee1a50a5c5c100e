"""Tag stored documents with the active classifiers, in batches, idempotently.

The ``classify`` stage reads each annotated version (text plus the stored
annotation: rule theme scores and coherence profile), scores a batch with one
``predict_proba`` call per model, and writes in one transaction per batch:

- a ``model`` DocumentTheme row per modelled theme (the calibrated probability),
- a ``combined`` row per final tag (score and evidence: model probability, rule
  score, threshold, the rule's phrases),
- a ``reactive`` DocumentScore (probability, threshold, profile).

Rows carry the model version, and the presence of a version's rows is the
progress record: a version is pending for a model version until its rows
exist, so a crash loses at most the batch in flight and a re-run finishes the
job without duplicates. A new model version tags everything again beside the
old rows, which stay queryable by version.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.artifacts import load_model
from models.features import profile_from_annotation
from models.reactive import predict_reactive, rule_says_reactive
from models.themes import predict_themes
from nlp.annotate import version_text
from policywatch.errors import PolicyWatchError
from policywatch.store.db import session_scope
from policywatch.store.queries import active_model
from policywatch.store.tables import Annotation, DocumentScore, DocumentTheme, DocumentVersion
from policywatch.store.types import utcnow

DEFAULT_BATCH_SIZE = 256


@dataclass
class LoadedModel:
    version: str
    pipeline: Any
    card: dict[str, Any]


@dataclass
class ClassifyReport:
    versions: int = 0
    batches: int = 0
    themes_model: str | None = None
    reactive_model: str | None = None
    tagged: Counter[str] = field(default_factory=Counter)
    reactive: int = 0


@dataclass(frozen=True)
class Pending:
    version_id: int
    text: str
    annotation: dict[str, Any]


def load_active(session: Session, name: str) -> LoadedModel | None:
    """The active model of ``name`` loaded from its file (checked, never unpickled)."""
    record = active_model(session, name=name)
    if record is None:
        return None
    pipeline, card = load_model(Path(record.path))
    if card.get("version") != record.version:
        raise PolicyWatchError(
            f"{record.path} holds model {card.get('version')}, not {record.version} as the store "
            "says: re-register it with `policywatch models activate`"
        )
    return LoadedModel(record.version, pipeline, card)


def _done(
    session: Session, *, version_ids: list[int], model: LoadedModel | None, name: str
) -> set[int]:
    if model is None or not version_ids:
        return set(version_ids)
    if name == "themes":
        query = select(DocumentTheme.version_id).where(
            DocumentTheme.method == "model", DocumentTheme.model_version == model.version
        )
        column = DocumentTheme.version_id
    else:
        query = select(DocumentScore.version_id).where(
            DocumentScore.name == "reactive", DocumentScore.model_version == model.version
        )
        column = DocumentScore.version_id
    return set(session.exec(query.where(col(column).in_(version_ids)).distinct()).all())


def pending_versions(
    session: Session, *, themes: LoadedModel | None, reactive: LoadedModel | None
) -> list[int]:
    """Annotated versions that a loaded model has not yet tagged, oldest first."""
    annotated = list(session.exec(select(Annotation.version_id).distinct()).all())
    annotated.sort()
    pending = []
    for start in range(0, len(annotated), 2000):
        chunk = annotated[start : start + 2000]
        done_themes = _done(session, version_ids=chunk, model=themes, name="themes")
        done_reactive = _done(session, version_ids=chunk, model=reactive, name="reactive")
        pending += [v for v in chunk if v not in done_themes or v not in done_reactive]
    return pending


def read_batch(session: Session, version_ids: Sequence[int]) -> list[Pending]:
    """Text and newest annotation of each version (one query each)."""
    versions = {
        v.id: v
        for v in session.exec(
            select(DocumentVersion).where(col(DocumentVersion.id).in_(list(version_ids)))
        ).all()
    }
    newest = (
        select(func.max(Annotation.id))
        .where(col(Annotation.version_id).in_(list(version_ids)))
        .group_by(col(Annotation.version_id))
    )
    annotations = {
        a.version_id: a.data
        for a in session.exec(select(Annotation).where(col(Annotation.id).in_(newest))).all()
    }
    return [
        Pending(vid, version_text(versions[vid].title, versions[vid].body_text), annotations[vid])
        for vid in version_ids
        if vid in versions and vid in annotations
    ]


def _theme_rows(batch: list[Pending], model: LoadedModel) -> list[dict[str, Any]]:
    settings = model.card["settings"]
    results = predict_themes(
        model.pipeline,
        settings,
        [p.text for p in batch],
        [p.annotation.get("theme_scores") or {} for p in batch],
    )
    rows = []
    for item, scores in zip(batch, results, strict=True):
        phrases = item.annotation.get("themes") or {}
        for s in scores:
            if s.probability is not None:
                rows.append(
                    {
                        "version_id": item.version_id,
                        "theme": s.theme,
                        "score": s.probability,
                        "method": "model",
                        "model_version": model.version,
                        "evidence": [{"threshold": settings["thresholds"][s.theme]}],
                    }
                )
            if s.tagged:
                rule_phrases = (phrases.get(s.theme) or {}).get("phrases", {})
                rows.append(
                    {
                        "version_id": item.version_id,
                        "theme": s.theme,
                        "score": round(s.combined, 6),
                        "method": "combined",
                        "model_version": model.version,
                        "evidence": [
                            {
                                "model_probability": s.probability,
                                "rule_score": s.rule,
                                "threshold": s.threshold,
                                "rule_phrases": rule_phrases,
                            }
                        ],
                    }
                )
    return rows


def _reactive_rows(batch: list[Pending], model: LoadedModel) -> list[dict[str, Any]]:
    profiles = [profile_from_annotation(p.annotation) for p in batch]
    probabilities = predict_reactive(model.pipeline, [p.text for p in batch], profiles)
    threshold = float(model.card["settings"]["threshold"])
    now = utcnow()
    return [
        {
            "version_id": item.version_id,
            "name": "reactive",
            "score": float(p),
            "model_version": model.version,
            "evidence": {
                "threshold": threshold,
                "reactive": bool(p >= threshold),
                "profile": profile,
                "rule_says_reactive": rule_says_reactive(profile),
            },
            "created_at": now,
        }
        for item, p, profile in zip(batch, probabilities, profiles, strict=True)
    ]


def store_batch(
    session: Session,
    batch: list[Pending],
    *,
    themes: LoadedModel | None,
    reactive: LoadedModel | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Score and write one batch; rows of the same model version are replaced, not doubled."""
    ids = [p.version_id for p in batch]
    theme_rows = _theme_rows(batch, themes) if themes else []
    reactive_rows = _reactive_rows(batch, reactive) if reactive else []
    if themes:
        session.exec(
            delete(DocumentTheme).where(  # type: ignore[call-overload]
                col(DocumentTheme.version_id).in_(ids),
                col(DocumentTheme.method).in_(["model", "combined"]),
                DocumentTheme.model_version == themes.version,
            )
        )
    if reactive:
        session.exec(
            delete(DocumentScore).where(  # type: ignore[call-overload]
                col(DocumentScore.version_id).in_(ids),
                DocumentScore.name == "reactive",
                DocumentScore.model_version == reactive.version,
            )
        )
    if theme_rows:
        session.execute(insert(DocumentTheme.__table__), theme_rows)  # type: ignore[attr-defined]
    if reactive_rows:
        session.execute(insert(DocumentScore.__table__), reactive_rows)  # type: ignore[attr-defined]
    return theme_rows, reactive_rows


def batches(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def classify_pending(
    engine: Engine,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
    version_ids: Sequence[int] | None = None,
) -> ClassifyReport:
    """Tag every annotated version the active models have not tagged yet.

    ``on_progress(done, total)`` is called after each batch. ``version_ids``
    restricts the work to those versions (a flow's batch); without it, all
    pending versions are tagged. Does nothing, cleanly, when no model is
    active: `policywatch train` makes one.
    """
    report = ClassifyReport()
    with Session(engine) as session:
        themes = load_active(session, "themes")
        reactive = load_active(session, "reactive")
        report.themes_model = themes.version if themes else None
        report.reactive_model = reactive.version if reactive else None
        if themes is None and reactive is None:
            return report
        pending = pending_versions(session, themes=themes, reactive=reactive)
    if version_ids is not None:
        wanted = set(version_ids)
        pending = [v for v in pending if v in wanted]
    total = len(pending)
    for chunk in batches(pending, batch_size):
        with session_scope(engine) as session:
            batch = read_batch(session, chunk)
            theme_rows, reactive_rows = store_batch(
                session, batch, themes=themes, reactive=reactive
            )
        report.versions += len(batch)
        report.batches += 1
        report.tagged.update(r["theme"] for r in theme_rows if r["method"] == "combined")
        report.reactive += sum(r["evidence"]["reactive"] for r in reactive_rows)
        if on_progress:
            on_progress(report.versions, total)
    return report


def ensure_default_models(
    engine: Engine,
    *,
    out_dir: Path,
    spacy_model: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> list[str]:
    """Train and activate the default models for any task with none active.

    The defaults are trained from the repository's labelled data with the fixed
    seed (``policywatch train``), so every installation gets the same models.
    Returns the versions trained.
    """
    from models.training import TASKS, train_and_register

    trained = []
    for task in TASKS:
        with Session(engine) as session:
            if active_model(session, name=task) is not None:
                continue
        result = train_and_register(
            task, engine=engine, out_dir=out_dir, spacy_model=spacy_model, on_step=on_step
        )
        trained.append(result.card["version"])
    return trained
