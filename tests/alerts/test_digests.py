"""Daily and weekly digests at the subscriber's hour and time zone; overflow rolls into one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from alerts.digests import latest_slot, send_due_digests
from alerts.matching import match_new
from alerts.sender import drain_outbox
from alerts.subscriptions import confirm, create_subscription
from policywatch.store.db import session_scope
from policywatch.store.tables import Delivery, Subscription
from tests.alerts.conftest import NOW, SmtpServer, add_signal, add_version, alert_settings

CREATED = NOW - timedelta(days=2)  # Sunday 8 March 2026, 09:00 UTC


def _subscribe(engine: Engine, smtp: SmtpServer, address: str, **kwargs) -> Subscription:
    with session_scope(engine) as session:
        subscription = create_subscription(
            session,
            settings=alert_settings(engine, smtp),
            name=kwargs.pop("name", "Digest"),
            channel="email",
            address=address,
            timezone="Europe/London",
            now=CREATED,
            **kwargs,
        )
        confirm(session, subscription=subscription, now=CREATED)
    return subscription


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        _, kinship = add_version(
            session,
            url="https://example.org/k",
            title="Kinship allowance",
            body="Kinship carers get an allowance.",
            themes={"kinship_care": 0.9},
        )
        add_version(
            session,
            url="https://example.org/f",
            title="Fostering fees",
            body="Foster carers get a fee uplift.",
            themes={"fostering": 0.9},
        )
        add_signal(
            session,
            key="reversal:kinship",
            kind="reversal",
            theme="kinship_care",
            target="kinship allowance",
            explanation="DfE reverses its kinship allowance.",
            evidence=[(kinship, "earlier", "Kinship carers get an allowance.")],
        )


def test_a_daily_digest_goes_out_at_the_local_hour_signals_first_grouped_by_theme(
    engine: Engine, smtp: SmtpServer
) -> None:
    settings = alert_settings(engine, smtp)
    _seed(engine)
    _subscribe(
        engine,
        smtp,
        "daily@example.org",
        cadence="daily",
        send_hour=8,
        filters={"themes": ["kinship_care", "fostering"], "items": "all"},
    )
    report = match_new(engine, settings, now=NOW)
    assert report.held_for_digest == 3
    assert drain_outbox(engine, settings, now=NOW).messages_sent == 0  # nothing immediate

    # 08:00 in London is 08:00 UTC in March (GMT) and 07:00 UTC in July (BST)
    early = datetime(2026, 3, 10, 7, 59, tzinfo=UTC)
    assert latest_slot_is(engine, early) == datetime(2026, 3, 9, 8, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert latest_slot_is(engine, summer) == datetime(2026, 7, 1, 7, tzinfo=UTC)

    assert send_due_digests(engine, settings, now=NOW).messages_sent == 0  # held after 08:00
    tomorrow = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
    sent = send_due_digests(engine, settings, now=tomorrow)
    assert (sent.messages_sent, sent.deliveries_sent) == (1, 3)
    [message] = smtp.messages
    assert message["Subject"] == "[PolicyWatch] Daily digest for Digest: 3 alerts, 1 signal"
    text = message.get_body(("plain",)).get_content()
    signals, kinship, fostering = (
        text.index("== Signals =="),
        text.index("== Kinship care =="),
        text.index("== Fostering =="),
    )
    assert signals < fostering < kinship  # signals first, then themes in order
    assert "DfE reverses its kinship allowance." in text

    again = send_due_digests(engine, settings, now=tomorrow + timedelta(hours=3))
    assert again.messages_sent == 0 and len(smtp.messages) == 1


def latest_slot_is(engine: Engine, at: datetime) -> datetime:
    with Session(engine) as session:
        subscription = session.exec(select(Subscription)).one()
    return latest_slot(subscription, at)


def test_a_weekly_digest_waits_for_its_weekday(engine: Engine, smtp: SmtpServer) -> None:
    settings = alert_settings(engine, smtp)
    _seed(engine)
    _subscribe(
        engine,
        smtp,
        "weekly@example.org",
        cadence="weekly",
        send_hour=9,
        send_weekday=2,  # Wednesday
        filters={"themes": ["fostering"]},
    )
    match_new(engine, settings, now=NOW)
    assert send_due_digests(engine, settings, now=NOW).messages_sent == 0  # Tuesday
    wednesday = datetime(2026, 3, 11, 9, 0, 1, tzinfo=UTC)
    assert send_due_digests(engine, settings, now=wednesday).messages_sent == 1
    assert "Weekly digest" in smtp.messages[0]["Subject"]


def test_an_immediate_subscriptions_overflow_arrives_in_the_next_daily_digest(
    engine: Engine, smtp: SmtpServer
) -> None:
    settings = alert_settings(engine, smtp)
    with session_scope(engine) as session:
        for n in range(4):
            add_version(
                session,
                url=f"https://example.org/{n}",
                title=f"Fostering news {n}",
                body="Foster carers.",
                themes={"fostering": 0.9},
            )
    _subscribe(
        engine,
        smtp,
        "capped@example.org",
        daily_cap=1,
        send_hour=18,
        filters={"themes": ["fostering"]},
    )
    report = match_new(engine, settings, now=NOW)
    assert (report.queued, report.overflow) == (1, 3)
    assert drain_outbox(engine, settings, now=NOW).messages_sent == 1
    assert send_due_digests(engine, settings, now=NOW).messages_sent == 0  # 18:00 not yet
    evening = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    digest = send_due_digests(engine, settings, now=evening)
    assert (digest.messages_sent, digest.deliveries_sent) == (1, 3)
    assert len(smtp.messages) == 2
    assert smtp.messages[1]["Subject"] == "[PolicyWatch] Digest for Digest: 3 alerts"
    with Session(engine) as session:
        assert {d.status for d in session.exec(select(Delivery)).all()} == {"sent"}
