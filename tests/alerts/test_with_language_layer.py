"""Matching what the real language layer writes (rules-only spaCy pipeline), not hand-made rows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from alerts.matching import match_new
from alerts.subscriptions import create_subscription
from nlp.annotate import annotate_pending
from nlp.pipeline import BLANK, load_pipeline
from policywatch.store.db import session_scope
from policywatch.store.tables import Delivery
from tests.alerts.conftest import alert_settings
from tests.store.helpers import add_document

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
BODY = (
    "Ministers today confirmed a new kinship allowance for special guardians. "
    "The Department for Education will spend £40 million on kinship carers next year. "
    "Foster carers are not affected."
)


def test_alerts_read_annotations_themes_and_statements_from_the_pipeline(
    sqlite_engine: Engine,
) -> None:
    engine = sqlite_engine
    with session_scope(engine) as session:
        add_document(
            session,
            url="https://www.gov.uk/government/news/kinship-allowance",
            title="Kinship allowance for special guardians",
            body=BODY,
            published=NOW,
        )
    pipeline, info = load_pipeline(BLANK)
    annotate_pending(engine, pipeline, info)
    with session_scope(engine) as session:
        create_subscription(
            session,
            settings=alert_settings(engine),
            name="Kinship money",
            channel="atom",
            filters={"themes": ["kinship_care"], "keywords": '"kinship carers"'},
            now=NOW,
        )
        create_subscription(
            session,
            settings=alert_settings(engine),
            name="DfE on kinship carers",
            channel="atom",
            filters={"actors": ["department-for-education"], "targets": ["kinship carers"]},
            now=NOW,
        )
    report = match_new(engine, alert_settings(engine), now=NOW)
    assert report.versions == 1 and report.deliveries == 2
    with Session(engine) as session:
        delivery, by_statement = session.exec(select(Delivery).order_by(Delivery.id)).all()
    assert "target “kinship carers”" in by_statement.why
    assert "actor “department-for-education”" in by_statement.why
    assert by_statement.payload["sentence"].startswith("The Department for Education will spend")
    assert "kinship_care" in delivery.payload["themes"]
    assert delivery.payload["sentence"] == (
        "The Department for Education will spend £40 million on kinship carers next year."
    )
    assert "theme kinship_care" in delivery.why and "found “kinship carers”" in delivery.why
