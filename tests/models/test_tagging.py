"""Tagging the store: batched, idempotent, versioned, and read back through current_themes."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from models.artifacts import CARD_FILE
from models.tagging import classify_pending
from models.training import TrainResult, distant_examples, weak_examples
from nlp.annotate import annotate_pending
from policywatch.cli import app
from policywatch.store import session_scope, writes
from policywatch.store.queries import current_themes, reactive_scores
from policywatch.store.tables import DocumentScore, DocumentTheme, ModelRecord

TEXTS = [
    (
        "Foster carers to receive higher allowances",
        "The Department for Education will raise the national minimum allowance for foster "
        "carers by 6.88% and fund a recruitment campaign for fostering households.",
    ),
    (
        "Urgent review after the death of a child",
        "Following the death of a child known to children's services, the Secretary of State "
        "has ordered an urgent review of child protection arrangements in the council.",
    ),
    (
        "Capital funding for new children's homes",
        "£259 million will be invested to create more places in open and secure children's "
        "homes, so fewer children are placed far from home.",
    ),
]


def seed(engine: Engine, *, taxons: bool = False) -> None:
    with session_scope(engine) as session:
        dfe = writes.upsert_publisher(session, slug="department-for-education", kind="government")
        for i, (title, body) in enumerate(TEXTS):
            meta = {}
            if taxons:
                meta["taxons"] = [
                    {
                        "base_path": "/childcare-parenting/fostering",
                        "title": "Fostering",
                        "ancestors": ["/childcare-parenting"],
                    }
                ]
            writes.upsert_document(
                session,
                source_key="govuk",
                canonical_url=f"https://www.gov.uk/government/news/t{i}",
                title=title,
                body_html="",
                body_text=body,
                first_published_at=datetime(2024, 1, 1 + i, tzinfo=UTC),
                publisher_ids=[dfe.id],
                meta=meta,
            )


def register(engine: Engine, result: TrainResult, *, version: str | None = None) -> None:
    with session_scope(engine) as session:
        writes.register_model(
            session,
            name=result.card["name"],
            version=version or result.card["version"],
            path=str(result.folder),
            card=result.card,
            activate=True,
        )


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        themes = session.exec(select(func.count()).select_from(DocumentTheme)).one()
        scores = session.exec(select(func.count()).select_from(DocumentScore)).one()
    return themes, scores


def test_classify_tags_in_batches_once_and_reads_back(
    engine: Engine, blank_nlp, themes_model: TrainResult, reactive_model: TrainResult
) -> None:
    seed(engine)
    annotate_pending(engine, *blank_nlp)
    register(engine, themes_model)
    register(engine, reactive_model)

    first = classify_pending(engine, batch_size=2)
    after_first = counts(engine)
    second = classify_pending(engine, batch_size=2)

    assert (first.versions, first.batches) == (3, 2)
    assert second.versions == 0 and counts(engine) == after_first
    with Session(engine) as session:
        ids = sorted(session.exec(select(DocumentTheme.version_id).distinct()).all())
        tags = current_themes(session, version_ids=ids)
        reactive = reactive_scores(session, version_ids=ids)
        combined = session.exec(
            select(DocumentTheme).where(DocumentTheme.method == "combined")
        ).all()
    assert "fostering" in tags[ids[0]]
    assert "residential_care" in tags[ids[2]]
    assert reactive[ids[1]] > reactive[ids[0]]  # the urgent review reads as reactive
    evidence = combined[0].evidence[0]
    assert {"model_probability", "rule_score", "threshold", "rule_phrases"} <= set(evidence)
    assert all(row.model_version == themes_model.card["version"] for row in combined)


def test_a_new_model_version_tags_beside_the_old_one(
    engine: Engine, blank_nlp, themes_model: TrainResult, tmp_path: Path
) -> None:
    seed(engine)
    annotate_pending(engine, *blank_nlp)
    register(engine, themes_model)
    classify_pending(engine)
    # a second version: same weights, its own card and version string
    folder = tmp_path / "second"
    shutil.copytree(themes_model.folder, folder)
    card = json.loads((folder / CARD_FILE).read_text())
    card["version"] = "themes-second"
    (folder / CARD_FILE).write_text(json.dumps(card))
    second = TrainResult(folder, card, themes_model.report)
    register(engine, second)

    report = classify_pending(engine)

    assert report.versions == 3 and report.themes_model == "themes-second"
    with Session(engine) as session:
        ids = sorted(session.exec(select(DocumentTheme.version_id).distinct()).all())
        old = current_themes(session, version_ids=ids, model_version=themes_model.card["version"])
        new = current_themes(session, version_ids=ids)
        active = session.exec(select(ModelRecord).where(ModelRecord.active)).all()
    assert old == new and old  # same weights, both versions queryable
    assert [r.version for r in active] == ["themes-second"]


def test_without_a_model_current_themes_fall_back_to_rules(engine: Engine, blank_nlp) -> None:
    seed(engine)
    annotate_pending(engine, *blank_nlp)

    report = classify_pending(engine)

    assert report.versions == 0 and report.themes_model is None
    with Session(engine) as session:
        ids = sorted(session.exec(select(DocumentTheme.version_id).distinct()).all())
        tags = current_themes(session, version_ids=ids)
    assert "fostering" in tags[ids[0]]


def test_distant_and_weak_examples_come_from_the_store(engine: Engine, blank_nlp) -> None:
    seed(engine, taxons=True)
    annotate_pending(engine, *blank_nlp)

    with Session(engine) as session:
        distant = distant_examples(session, None)
        weak = weak_examples(session)

    assert len(distant) == 3 and {e.origin for e in distant} == {"taxon"}
    assert all(e.themes == {"fostering"} for e in distant)
    assert {e.origin for e in weak} == {"weak"} and any("fostering" in e.themes for e in weak)


def test_the_cli_lists_models_and_evaluates_the_active_one(
    themes_model: TrainResult, tmp_path: Path
) -> None:
    from policywatch.config import get_settings
    from policywatch.store import connect

    engine = connect(get_settings(), upgrade=True)
    register(engine, themes_model)
    runner = CliRunner()

    listed = runner.invoke(app, ["models", "list"])
    evaluated = runner.invoke(app, ["evaluate", "themes"])

    assert listed.exit_code == 0, listed.output
    assert themes_model.card["version"][:10] in listed.output
    assert evaluated.exit_code == 0, evaluated.output
    assert "micro" in evaluated.output and "Quality gate" in evaluated.output
