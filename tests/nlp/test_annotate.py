"""`policywatch process`: every unannotated version annotated once, results stored."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from spacy.language import Language
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from nlp.annotate import annotate_pending, pending_versions, version_text
from nlp.pipeline import PipelineInfo
from policywatch.cli import app
from policywatch.store import session_scope, writes
from policywatch.store.tables import Annotation, DocumentTheme, StageMark, Statement

BODY = (
    "The Department for Education will invest £259 million to increase the number of "
    "places in children's homes by 2027. The Home Office will end the use of hotels for "
    "unaccompanied children. Kinship carers will receive a new allowance."
)


def seed(engine: Engine, n: int = 3) -> None:
    with session_scope(engine) as session:
        dfe = writes.upsert_publisher(session, slug="department-for-education", kind="government")
        for i in range(n):
            writes.upsert_document(
                session,
                source_key="test",
                canonical_url=f"https://www.gov.uk/government/news/{i}",
                title=f"Announcement {i}",
                body_html="",
                body_text=BODY,
                first_published_at=datetime(2024, 1, 1, tzinfo=UTC),
                publisher_ids=[dfe.id],
            )


def test_annotating_stores_everything_once_and_a_rerun_is_a_no_op(
    engine: Engine, trained: tuple[Language, PipelineInfo]
) -> None:
    pipeline, info = trained
    seed(engine)
    first = annotate_pending(engine, pipeline, info, batch_size=2)
    second = annotate_pending(engine, pipeline, info, batch_size=2)

    assert (first.versions, first.batches) == (3, 2)
    assert second.versions == 0
    with session_scope(engine) as session:
        annotations = session.exec(select(Annotation)).all()
        statements = session.exec(select(Statement)).all()
        themes = session.exec(select(DocumentTheme)).all()
        marks = session.exec(select(StageMark)).all()
        assert pending_versions(session, pipeline_version=info.version_key) == []
    assert len(annotations) == 3 and len(marks) == 3
    assert {a.pipeline_version for a in annotations} == {info.version_key}
    assert statements, "the trained pipeline finds statements in the seeded text"
    for statement in statements:
        title = f"Announcement {statement.version_id - 1}"  # versions were stored in order
        text = version_text(title, BODY)
        assert text[statement.start_char : statement.end_char] == statement.sentence
        assert not statement.sentence.startswith("Announcement")  # the title is its own sentence
    money = [m for a in annotations for m in a.data["money"]]
    assert {m["gbp"] for m in money} == {259_000_000}
    assert {"residential_care", "kinship_care"} <= {t.theme for t in themes}
    assert all(t.method == "rule" and t.evidence for t in themes)


def test_a_new_pipeline_version_re_annotates_and_replaces_rule_output(
    engine: Engine,
    trained: tuple[Language, PipelineInfo],
    blank: tuple[Language, PipelineInfo],
) -> None:
    seed(engine, n=1)
    annotate_pending(engine, *trained)
    report = annotate_pending(engine, *blank)
    assert report.versions == 1
    with session_scope(engine) as session:
        annotations = session.exec(select(Annotation)).all()
        rule_themes = session.exec(select(DocumentTheme)).all()
    assert len(annotations) == 2  # one per pipeline version, both kept
    assert {t.model_version for t in rule_themes} == {blank[1].version_key}


def test_versions_known_only_from_change_history_are_not_annotated(
    engine: Engine, blank: tuple[Language, PipelineInfo]
) -> None:
    with session_scope(engine) as session:
        dfe = writes.upsert_publisher(session, slug="department-for-education")
        writes.upsert_document(
            session,
            source_key="t",
            canonical_url="https://www.gov.uk/a",
            title="A",
            body_html="",
            body_text=BODY,
            first_published_at=datetime(2024, 1, 1, tzinfo=UTC),
            public_updated_at=datetime(2024, 3, 1, tzinfo=UTC),
            publisher_ids=[dfe.id],
            history=[writes.HistoryEntry(at=datetime(2024, 1, 1, tzinfo=UTC), note="First.")],
        )
    report = annotate_pending(engine, *blank)
    assert report.versions == 1  # the body-less history version is skipped


def oddities_document(words: int = 2000, seed: int = 7) -> str:
    """A nasty 2,000-word document: Unicode oddities, HTML remnants, flat tables, run-ons."""
    rng = random.Random(seed)
    pieces = [
        "\ufb01nancial",  # a ligature
        "co\u00adoperative",  # a soft hyphen
        "zero\u200bwidth",
        "\u202eright-to-left\u202c",
        "cafe\u0301",  # a combining accent
        "\u00a3259\u00a0million",  # a non-breaking space inside money
        "\uff0412",  # a full-width dollar
        "\u00a32+b",
        "&nbsp;",
        "<br/>",
        "</p><p>",
        "&amp;",
        "<td>\u00a33m</td>",
        "\U0001f3e0",  # an emoji
        "children\u2019s",
        "\u201cquoted\u201d",
        "\u2014",
        "\t",
        "\u2028",  # a line separator
        "\u216b",  # a Roman numeral
        "\u00bd",
        "10 000",
        "1,000,000",
        "DfE",
        "Ofsted",
        "kinship",
        "homes",
        "will",
        "increase",
        "places",
        "|",
        "||",
        "2024/25",
    ]
    out = []
    for i in range(words):
        out.append(rng.choice(pieces))
        if i % 700 == 699:
            out.append(".")  # long sentences: hundreds of words without a full stop
    table = "\n".join(" | ".join(f"£{rng.randint(1, 900)}m" for _ in range(6)) for _ in range(20))
    return " ".join(out) + "\n" + table


def test_a_document_of_oddities_annotates_without_error(
    trained: tuple[Language, PipelineInfo], blank: tuple[Language, PipelineInfo]
) -> None:
    text = oddities_document()
    assert len(text.split()) >= 2000
    for pipeline, _ in (trained, blank):
        doc = pipeline(text)
        assert len(doc) > 2000
        json.dumps(doc._.statements, default=str)  # results stay serialisable
        assert doc.spans["money"]


def test_the_process_command_annotates_then_has_nothing_to_do(engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("POLICYWATCH_SPACY_MODEL", "blank")
    seed(engine, n=2)
    runner = CliRunner()
    first = runner.invoke(app, ["process"], env={"COLUMNS": "200"})
    second = runner.invoke(app, ["process"], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "Annotated 2 versions" in first.output
    assert "BLANK FALLBACK" in first.output
    assert "Nothing to annotate" in second.output


def test_two_processes_annotate_the_same_as_one(
    engine: Engine, blank: tuple[Language, PipelineInfo]
) -> None:
    seed(engine, n=5)
    report = annotate_pending(engine, *blank, batch_size=2, n_process=2)
    assert (report.versions, report.batches) == (5, 3)
    with session_scope(engine) as session:
        annotations = session.exec(select(Annotation)).all()
    # user_data (version id, publisher) travels with each Doc to the worker and back
    assert len({a.version_id for a in annotations}) == 5
    assert all(a.data["money"] for a in annotations)
