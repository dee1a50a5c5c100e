"""Matching on both backends: what is queued, what it says, and that nothing is matched twice."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from alerts.filters import CompiledFilter, Filters, parse_filters
from alerts.index import SubscriptionIndex, match_naively
from alerts.matching import match_new, preview
from alerts.subscriptions import create_subscription
from benchmarks.alerts import as_pairs, corpus_items, synthetic_filters
from policywatch.errors import PolicyWatchError
from policywatch.store.db import session_scope
from policywatch.store.tables import AlertMatch, Delivery
from tests.alerts.conftest import NOW, add_signal, add_version, alert_settings

KINSHIP_BODY = (
    "The government will fund a new kinship allowance for special guardians. "
    "Kinship carers have waited years for this. Adoption support is unchanged."
)


def _subscribe(engine: Engine, **kwargs) -> int:
    settings = alert_settings(engine)
    kwargs.setdefault("channel", "atom")
    with session_scope(engine) as session:
        subscription = create_subscription(session, settings=settings, now=NOW, **kwargs)
    return subscription.id  # type: ignore[return-value]


def _deliveries(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)).all())


def _seed(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        kinship_doc, kinship_v = add_version(
            session,
            url="https://example.org/kinship",
            title="Kinship allowance announced",
            body=KINSHIP_BODY,
            themes={"kinship_care": 0.9, "funding": 0.7},
            statements=[
                (
                    "department-for-education",
                    "create",
                    "kinship allowance",
                    "The government will fund a new kinship allowance for special guardians.",
                )
            ],
        )
        homes_doc, homes_v = add_version(
            session,
            url="https://example.org/homes",
            title="Children's homes capital",
            body="Councils get capital for new children's homes. Ofsted will inspect them.",
            themes={"residential_care": 0.8},
            publisher="ofsted",
            document_type="news_story",
        )
        signal = add_signal(
            session,
            key="contradiction:kinship",
            kind="contradiction",
            theme="kinship_care",
            target="kinship allowance",
            score=0.82,
            explanation="DfE says it will create a kinship allowance; DLUHC says it will not.",
            evidence=[
                (kinship_v, "first", "The government will fund a new kinship allowance."),
                (homes_v, "second", "There will be no new allowance this year."),
            ],
        )
    return {
        "kinship_doc": kinship_doc,
        "homes_doc": homes_doc,
        "signal": signal,
        "kinship_v": kinship_v,
    }


def test_match_queues_alerts_that_say_what_and_why(engine: Engine) -> None:
    ids = _seed(engine)
    kinship = _subscribe(
        engine,
        name="Kinship watch",
        filters={"themes": ["kinship_care"], "keywords": "kinship -fostering"},
    )
    contradictions = _subscribe(
        engine, name="Contradictions", filters={"signal_kinds": ["contradiction"], "min_score": 0.8}
    )
    _subscribe(engine, name="Ofsted news", filters={"publishers": ["ofsted"]})
    _subscribe(engine, name="Fostering", filters={"keywords": "fostering"})  # matches nothing

    report = match_new(engine, alert_settings(engine), now=NOW)

    assert (report.versions, report.signals, report.subscriptions) == (2, 1, 4)
    rows = {(d.subscription_id, d.item_kind, d.item_id): d for d in _deliveries(engine)}
    assert set(rows) == {
        (kinship, "document", ids["kinship_doc"]),
        (kinship, "signal", ids["signal"]),  # a signal on the theme with the keyword in its quotes
        (contradictions, "signal", ids["signal"]),
        (3, "document", ids["homes_doc"]),
        (3, "signal", ids["signal"]),  # its second quote comes from an Ofsted document
    }
    doc = rows[(kinship, "document", ids["kinship_doc"])]
    assert doc.status == "queued" and doc.message_key.startswith("pw-")
    assert doc.payload["title"] == "Kinship allowance announced"
    assert doc.payload["publisher"] == "department-for-education"
    assert doc.payload["themes"] == ["kinship_care", "funding"]
    assert doc.payload["sentence"] == (
        "The government will fund a new kinship allowance for special guardians."
    )
    assert doc.why == (
        "You got this because your subscription “Kinship watch” asks for theme kinship_care; "
        "keywords kinship AND NOT fostering (found “kinship”)."
    )
    signal = rows[(contradictions, "signal", ids["signal"])]
    assert signal.payload["explanation"].startswith("DfE says")
    assert [e["quote"] for e in signal.payload["evidence"]] == [
        "The government will fund a new kinship allowance.",
        "There will be no new allowance this year.",
    ]
    assert [e["url"] for e in signal.payload["evidence"]] == [
        "https://example.org/kinship",
        "https://example.org/homes",
    ]
    assert signal.payload["url"] == "https://alerts.example.org/signals/contradiction%3Akinship"
    assert "signal kind contradiction; score 0.82 ≥ 0.8" in signal.why


def test_a_rerun_matches_nothing_twice_and_a_new_version_does_not_realert(engine: Engine) -> None:
    ids = _seed(engine)
    _subscribe(engine, name="Kinship", filters={"themes": ["kinship_care"]})
    first = match_new(engine, alert_settings(engine), now=NOW)
    again = match_new(engine, alert_settings(engine), now=NOW)
    assert first.deliveries == 2
    assert (again.versions, again.signals, again.deliveries) == (0, 0, 0)

    with session_scope(engine) as session:
        add_version(
            session,
            url="https://example.org/kinship",
            title="Kinship allowance announced",
            body=KINSHIP_BODY + " Updated with the rates.",
            themes={"kinship_care": 0.9},
            change_note="Rates added.",
        )
    third = match_new(engine, alert_settings(engine), now=NOW)
    assert third.versions == 1 and third.deliveries == 0  # one alert per document, ever
    with Session(engine) as session:
        marks = session.exec(select(AlertMatch)).all()
    assert len(marks) == 4  # three versions and one signal, each marked once
    assert len(_deliveries(engine)) == 2
    assert ids["kinship_doc"] in {d.item_id for d in _deliveries(engine)}


def test_old_items_unconfirmed_and_ended_subscriptions_get_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_version(
            session,
            url="https://example.org/archive",
            title="Kinship care in 2016",
            body="An archived kinship care statement.",
            themes={"kinship_care": 0.9},
            published=NOW - timedelta(days=400),
        )
    _subscribe(
        engine,
        name="Unconfirmed email",
        channel="email",
        address="someone@example.org",
        filters={"themes": ["kinship_care"]},
    )
    _subscribe(engine, name="Feed", filters={"themes": ["kinship_care"]})
    report = match_new(engine, alert_settings(engine), now=NOW)
    assert report.too_old == 1 and report.deliveries == 0
    assert report.subscriptions == 1  # the email one waits for its confirmation click


def test_past_the_daily_cap_alerts_are_held_for_the_digest_not_dropped(engine: Engine) -> None:
    with session_scope(engine) as session:
        for n in range(5):
            add_version(
                session,
                url=f"https://example.org/f{n}",
                title=f"Fostering update {n}",
                body="Foster carers get a fee uplift.",
                themes={"fostering": 0.9},
            )
    with session_scope(engine) as session:
        sub = create_subscription(
            session,
            settings=alert_settings(engine),
            name="Fostering",
            channel="webhook",
            address="http://127.0.0.1:9/hook",
            filters={"themes": ["fostering"]},
            daily_cap=2,
            now=NOW,
        )
    report = match_new(engine, alert_settings(engine), now=NOW)
    assert (report.queued, report.overflow) == (2, 3)
    states = sorted((d.status, d.mode) for d in _deliveries(engine) if d.subscription_id == sub.id)
    assert states == [("held", "overflow")] * 3 + [("queued", "immediate")] * 2


def test_filters_reject_bad_input_with_one_clear_line() -> None:
    with pytest.raises(PolicyWatchError, match="unknown theme 'kinship'"):
        parse_filters({"themes": ["kinship"]})
    with pytest.raises(PolicyWatchError, match="signal kind"):
        parse_filters({"signal_kinds": ["scandal"]})
    with pytest.raises(PolicyWatchError, match="keywords"):
        parse_filters({"keywords": "kinship AND"})
    with pytest.raises(PolicyWatchError, match="filter colour"):
        parse_filters({"colour": "red"})


def test_the_index_finds_exactly_what_the_naive_loop_finds() -> None:
    rng = random.Random(7)
    items = corpus_items(150, 30, rng)
    filters = synthetic_filters(1500, rng)
    index = SubscriptionIndex(filters)
    indexed = [index.match(item) for item in items]
    naive = [match_naively(filters, item) for item in items]
    pairs = as_pairs(items, indexed)
    assert pairs == as_pairs(items, naive)
    assert len(pairs) > 1000  # the workload really matches things
    assert sum(len(index.candidates(i)) for i in items) < len(items) * len(index.groups) / 5


def test_reasons_name_each_facet_that_matched() -> None:
    items = corpus_items(40, 0, random.Random(1))
    item = next(i for i in items if "adoption" in i.themes)
    f = CompiledFilter(
        1, "Adoption", Filters(themes=["adoption"], publishers=[next(iter(item.publishers))])
    )
    reasons = f.reasons(item)
    assert reasons is not None
    assert reasons[0] == "theme adoption" and reasons[1].startswith("publisher ")


def test_preview_shows_what_would_have_been_sent_with_the_cap(engine: Engine) -> None:
    with session_scope(engine) as session:
        for n in range(4):
            add_version(
                session,
                url=f"https://example.org/k{n}",
                title=f"Kinship news {n}",
                body="Kinship carers will get support.",
                themes={"kinship_care": 0.9},
                published=NOW - timedelta(days=1, hours=n),
            )
        add_version(
            session,
            url="https://example.org/old",
            title="Kinship news long ago",
            body="Kinship carers.",
            themes={"kinship_care": 0.9},
            published=NOW - timedelta(days=60),
        )
    report = preview(
        engine,
        alert_settings(engine),
        filters=Filters(keywords="kinship"),
        name="Kinship",
        daily_cap=3,
        days=30,
        now=NOW,
    )
    assert len(report.rows) == 4  # the 60-day-old one is outside the window
    assert (report.immediate, report.rolled_into_digest) == (3, 1)
    assert all("found “kinship”" in row.why for row in report.rows)
    with Session(engine) as session:
        assert session.exec(select(Delivery)).first() is None  # nothing saved


def test_a_matcher_racing_another_writes_no_second_delivery(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _seed(engine)
    _subscribe(engine, name="Kinship", filters={"themes": ["kinship_care"]})
    assert match_new(engine, alert_settings(engine), now=NOW).deliveries == 2

    # a second run that read the same items, and saw none of the first run's rows, before
    # the first one committed: its inserts meet the unique keys and are skipped
    import alerts.matching as matching

    served: dict[str, bool] = {}

    def once(name: str, value: list[int]):  # type: ignore[no-untyped-def]
        def pending(session, *, limit):  # type: ignore[no-untyped-def]
            if served.get(name):
                return []
            served[name] = True
            return value

        return pending

    with Session(engine) as session:
        version_ids = [
            m.item_id for m in session.exec(select(AlertMatch)).all() if m.item_kind == "version"
        ]
    monkeypatch.setattr(matching, "pending_version_ids", once("v", version_ids))
    monkeypatch.setattr(matching, "pending_signal_ids", once("s", [ids["signal"]]))
    monkeypatch.setattr(matching, "_existing", lambda session, items: set())
    again = match_new(engine, alert_settings(engine), now=NOW)
    assert again.versions == 2 and again.signals == 1
    assert len(_deliveries(engine)) == 2
    with Session(engine) as session:
        assert len(session.exec(select(AlertMatch)).all()) == 3
