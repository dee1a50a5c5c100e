"""Train a classifier from labelled data, evaluate it on held-out data, save it with its card.

``policywatch train themes|reactive`` calls :func:`train_model`. With no options
it trains from the hand-labelled data in the repository alone, with a fixed
seed, so the default models are reproducible: the same data, seed and library
versions give the same model version string and the same predictions.
Distant labels (GOV.UK taxons through a mapping file) and weak labels (the
theme ruler's tags) come from a crawled store, only when asked for.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sklearn
import skops
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.artifacts import save_model
from models.dataset import (
    DEFAULT_SEED,
    HAND_LABELLED,
    TEST_SHARE,
    Example,
    data_hash,
    group_near_duplicates,
    labelled_examples,
    provenance,
    split_groups,
)
from models.evaluation import TaskReport, evaluate_reactive, evaluate_themes
from models.features import add_rule_features, taxonomy
from models.reactive import fit_reactive
from models.taxon_mapping import load_mapping
from models.themes import fit_themes
from nlp.annotate import version_text
from policywatch.errors import PolicyWatchError
from policywatch.store.queries import RULE_TAG_THRESHOLD
from policywatch.store.tables import Document, DocumentTheme, DocumentVersion

TASKS = ("themes", "reactive")
#: Bump when the model code changes in a way that changes what training produces.
RECIPE_VERSION = "1"


@dataclass
class TrainResult:
    folder: Path
    card: dict[str, Any]
    report: TaskReport


# -- examples from a crawled store ------------------------------------------------


def _latest_versions(session: Session) -> list[tuple[Document, DocumentVersion]]:
    latest = (
        select(DocumentVersion.document_id, DocumentVersion.id)
        .where(col(DocumentVersion.body_known).is_(True))
        .order_by(col(DocumentVersion.document_id), col(DocumentVersion.version_no).desc())
    )
    chosen: dict[int, int] = {}
    for document_id, version_id in session.exec(latest).all():
        chosen.setdefault(document_id, version_id)
    if not chosen:
        return []
    rows = session.exec(
        select(Document, DocumentVersion)
        .join(DocumentVersion, col(DocumentVersion.document_id) == col(Document.id))
        .where(col(DocumentVersion.id).in_(list(chosen.values())))
    ).all()
    return list(rows)


def distant_examples(session: Session, mapping_path: Path | str | None) -> list[Example]:
    """GOV.UK pages whose taxons map to at least one theme (distant labels)."""
    _, themes = taxonomy()
    mapping = load_mapping(mapping_path, themes=themes)
    examples = []
    for document, version in _latest_versions(session):
        labels = mapping.themes_for((version.meta or {}).get("taxons") or [])
        if labels:
            examples.append(
                Example(
                    key=f"store:{document.id}",
                    text=version_text(version.title, version.body_text),
                    origin="taxon",
                    themes=frozenset(labels),
                )
            )
    return examples


def weak_examples(session: Session) -> list[Example]:
    """Stored documents labelled by the theme ruler's own tags (weak labels)."""
    versions = _latest_versions(session)
    ids = [version.id for _, version in versions if version.id is not None]
    tags: dict[int, set[str]] = {}
    if ids:
        for version_id, theme in session.exec(
            select(DocumentTheme.version_id, DocumentTheme.theme).where(
                col(DocumentTheme.version_id).in_(ids),
                DocumentTheme.method == "rule",
                DocumentTheme.score >= RULE_TAG_THRESHOLD,
            )
        ).all():
            tags.setdefault(version_id, set()).add(theme)
    return [
        Example(
            key=f"weak:{document.id}",
            text=version_text(version.title, version.body_text),
            origin="weak",
            themes=frozenset(tags.get(version.id or -1, set())),
        )
        for document, version in versions
        if version.id in tags
    ]


def drop_shadowed(examples: Sequence[Example]) -> list[Example]:
    """Distant or weak examples that duplicate a hand-labelled one: the hand label wins."""
    hand_groups = {e.group for e in examples if e.origin in HAND_LABELLED}
    return [e for e in examples if e.origin in HAND_LABELLED or e.group not in hand_groups]


# -- training ------------------------------------------------------------------------


def label_counts(examples: Sequence[Example], task: str) -> dict[str, int]:
    if task == "themes":
        return dict(sorted(Counter(t for e in examples for t in e.themes).items()))
    return {
        "reactive": sum(bool(e.reactive) for e in examples),
        "planned": sum(not e.reactive for e in examples),
    }


def model_version(task: str, train_hash: str, seed: int, taxonomy_version: str) -> str:
    """A version string that changes with data, seed, recipe, taxonomy and library."""
    key = json.dumps(
        [task, train_hash, seed, RECIPE_VERSION, taxonomy_version, sklearn.__version__]
    )
    return f"{task}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def train_model(
    task: str,
    *,
    out_dir: Path,
    seed: int = DEFAULT_SEED,
    engine: Engine | None = None,
    taxon_mapping: Path | str | None = None,
    weak: bool = False,
    spacy_model: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train ``themes`` or ``reactive``; save model and card under ``out_dir/<version>``."""
    if task not in TASKS:
        raise PolicyWatchError(f"unknown model {task!r}: choose one of {', '.join(TASKS)}")
    step = on_step or (lambda _message: None)
    if (taxon_mapping or weak) and engine is None:
        raise PolicyWatchError("distant or weak labels need a store to read documents from")
    if task == "reactive" and (taxon_mapping or weak):
        raise PolicyWatchError("distant and weak labels are theme labels: train themes with them")

    step("reading labelled data")
    examples = labelled_examples()
    extra_sources: dict[str, Any] = {}
    if engine is not None and (taxon_mapping or weak):
        with Session(engine) as session:
            if taxon_mapping is not None:
                distant = distant_examples(session, taxon_mapping)
                examples += distant
                mapping = load_mapping(taxon_mapping)
                extra_sources["taxon_mapping"] = {"path": mapping.path, "version": mapping.version}
            if weak:
                examples += weak_examples(session)
    group_near_duplicates(examples)
    examples = drop_shadowed(examples)
    train, test = split_groups(examples, seed=seed)
    if task == "reactive":
        train = [e for e in train if e.reactive is not None]

    step(f"annotating {len(train) + len(test)} texts with the language layer")
    from nlp.pipeline import load_pipeline

    pipeline, info = load_pipeline(spacy_model)
    add_rule_features([*train, *test], pipeline)
    taxonomy_version, themes = taxonomy()

    step(f"fitting on {len(train)} examples")
    if task == "themes":
        fit = fit_themes(train, themes, seed=seed)
        model, settings = fit.pipeline, fit.settings()
        report = evaluate_themes(model, settings, test, themes)
    else:
        model, threshold = fit_reactive(train, seed=seed)
        settings = {"threshold": threshold, "rule": "reactive cue and planning score < 0.5"}
        report = evaluate_reactive(model, threshold, test)

    train_hash = data_hash(train, task=task)
    version = model_version(task, train_hash, seed, taxonomy_version)
    card = {
        "name": task,
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "recipe_version": RECIPE_VERSION,
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "python_version": platform.python_version(),
        "taxonomy_version": taxonomy_version,
        "themes": list(themes),
        "feature_pipeline": info.describe(),
        "training": {
            "seed": seed,
            "examples": len(train),
            "data_sha256": train_hash,
            "provenance": provenance(train, task=task),
            "label_counts": label_counts(train, task),
            "weak_labels": weak,
            **extra_sources,
        },
        "evaluation": {
            "split": f"grouped, seeded hash of near-duplicate groups, test share {TEST_SHARE}",
            "examples": len(test),
            "data_sha256": data_hash(test, task=task),
            "test_keys": sorted(e.key for e in test),
            "label_counts": label_counts(test, task),
            "figures": report.figures(),
        },
        "settings": settings,
    }
    folder = out_dir / version
    step(f"saving {folder}")
    card = save_model(model, card, folder)
    return TrainResult(folder, card, report)


def train_and_register(
    task: str, *, engine: Engine, out_dir: Path, activate: bool = True, **options: Any
) -> TrainResult:
    """Train (``options`` as for :func:`train_model`), then record the model in the store.

    What `policywatch train`, the train flow and the default-model bootstrap
    all do; ``activate`` makes it the model tagging uses from now on.
    """
    from policywatch.store.db import session_scope
    from policywatch.store.writes import register_model

    result = train_model(task, out_dir=out_dir, engine=engine, **options)
    with session_scope(engine) as session:
        register_model(
            session,
            name=task,
            version=result.card["version"],
            path=str(result.folder.resolve()),
            card=result.card,
            activate=activate,
        )
    return result
