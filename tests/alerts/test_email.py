"""Email through a real SMTP server on loopback: content, headers, retries and dead letters."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from alerts.matching import match_new
from alerts.sender import drain_outbox
from alerts.subscriptions import confirm, create_subscription
from policywatch.cli import app
from policywatch.store.db import session_scope
from policywatch.store.tables import AlertNotice, Delivery, Subscription
from tests.alerts.conftest import NOW, SmtpServer, add_version, alert_settings

runner = CliRunner()


def _email_subscription(engine: Engine, smtp: SmtpServer, address: str, **extra) -> Subscription:
    settings = alert_settings(engine, smtp)
    with session_scope(engine) as session:
        subscription = create_subscription(
            session,
            settings=settings,
            name="Kinship watch",
            channel="email",
            address=address,
            subscriber_name="Kinship Care Alliance",
            filters={"themes": ["kinship_care"]},
            now=NOW,
            **extra,
        )
        confirm(session, subscription=subscription, now=NOW)
    return subscription


def _kinship_document(engine: Engine, n: int = 0, title: str = "Kinship allowance") -> None:
    with session_scope(engine) as session:
        add_version(
            session,
            url=f"https://example.org/kinship/{n}",
            title=title,
            body="Kinship carers will get a new allowance. It starts in April.",
            themes={"kinship_care": 0.9},
        )


def test_email_alert_arrives_with_text_html_headers_and_one_click_unsubscribe(
    engine: Engine, smtp: SmtpServer, web_factory
) -> None:
    settings = alert_settings(engine, smtp)
    subscription = _email_subscription(engine, smtp, "alliance@example.org")
    _kinship_document(engine, title="Kinship <allowance> & carers")
    match_new(engine, settings, now=NOW)
    report = drain_outbox(engine, settings, now=NOW)

    assert report.messages_sent == 1
    [message] = smtp.messages
    assert message["To"] == "Kinship Care Alliance <alliance@example.org>"
    assert message["Subject"] == "[PolicyWatch] Kinship <allowance> & carers"
    assert message["Auto-Submitted"] == "auto-generated"
    unsubscribe_url = (
        f"https://alerts.example.org/alerts/unsubscribe/{subscription.unsubscribe_token}"
    )
    assert message["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with Session(engine) as session:
        delivery = session.exec(select(Delivery)).one()
    assert message["X-PolicyWatch-Idempotency-Key"] == delivery.message_key
    assert message["Message-ID"] == f"<{delivery.message_key}@policywatch.example>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Hello Kinship Care Alliance,")
    assert "“Kinship carers will get a new allowance.”" in text
    assert "Themes: kinship_care" in text
    assert "asks for theme kinship_care" in text
    assert unsubscribe_url in text
    assert "Kinship &lt;allowance&gt; &amp; carers" in html  # crawled text is escaped
    assert "<allowance>" not in html

    # the link works as RFC 8058 says a mail client uses it: a POST with the one-click body
    web = web_factory(engine, settings)
    path = unsubscribe_url.removeprefix("https://alerts.example.org")
    response = httpx.post(
        web.base_url + path,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    with Session(engine) as session:
        assert session.get(Subscription, subscription.id).active is False


def test_a_refusing_server_is_retried_with_backoff_then_delivers_once(
    engine: Engine, smtp: SmtpServer
) -> None:
    settings = alert_settings(engine, smtp)
    _email_subscription(engine, smtp, "busy@example.org")
    _kinship_document(engine)
    match_new(engine, settings, now=NOW)
    smtp.refuse["busy@example.org"] = 2  # 450 twice, then accept

    first = drain_outbox(engine, settings, now=NOW)
    assert (first.messages_sent, first.retries_scheduled) == (0, 1)
    assert "450" in first.errors[0]
    too_soon = drain_outbox(engine, settings, now=NOW + timedelta(seconds=30))
    assert too_soon.retries_scheduled == 0 and too_soon.messages_sent == 0  # backoff: 60 s
    second = drain_outbox(engine, settings, now=NOW + timedelta(seconds=61))
    assert second.retries_scheduled == 1
    with Session(engine) as session:
        delivery = session.exec(select(Delivery)).one()
    assert delivery.next_attempt_at == NOW + timedelta(seconds=61 + 120)  # doubled
    third = drain_outbox(engine, settings, now=NOW + timedelta(seconds=61 + 121))
    assert third.messages_sent == 1
    later = drain_outbox(engine, settings, now=NOW + timedelta(days=1))
    assert later.messages_sent == 0

    assert smtp.refused == 2
    assert len(smtp.to("busy@example.org")) == 1
    with Session(engine) as session:
        delivery = session.exec(select(Delivery)).one()
    assert (delivery.status, delivery.attempts) == ("sent", 3)


def test_a_server_that_always_refuses_ends_in_dead_letter_and_tells_the_owner_once(
    engine: Engine, smtp: SmtpServer, monkeypatch
) -> None:
    settings = alert_settings(engine, smtp)
    subscription = _email_subscription(
        engine, smtp, "gone@example.org", owner_email="owner@example.org"
    )
    _kinship_document(engine, 1)
    _kinship_document(engine, 2)
    match_new(engine, settings, now=NOW)
    smtp.refuse["gone@example.org"] = -1

    at = NOW
    for _ in range(6):
        drain_outbox(engine, settings, now=at)
        at += timedelta(hours=1)

    with Session(engine) as session:
        deliveries = session.exec(select(Delivery)).all()
        notices = session.exec(select(AlertNotice)).all()
    assert [(d.status, d.attempts) for d in deliveries] == [("dead", 3), ("dead", 3)]
    assert "450" in (deliveries[0].last_error or "")
    assert smtp.to("gone@example.org") == []
    [notice_mail] = smtp.to("owner@example.org")  # two dead letters, one notice
    assert "could not deliver alerts" in notice_mail.get_content()
    assert [n.subscription_id for n in notices] == [subscription.id]
    assert notices[0].sent_at is not None

    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = runner.invoke(app, ["alerts", "status"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "deliveries: 2 dead" in result.output
    assert "dead letters (2 shown)" in result.output
    assert "Mailbox temporarily unavailable" in result.output
    assert f"owner notice {notices[0].id} for subscription {subscription.id}: sent" in result.output

    # the receiver is fixed: requeue, send, and a later failure is news again
    smtp.refuse.clear()
    assert runner.invoke(app, ["alerts", "requeue"]).exit_code == 0
    drain_outbox(engine, settings, now=at)
    assert len(smtp.to("gone@example.org")) == 2
    with Session(engine) as session:
        assert session.get(Subscription, subscription.id).owner_notified_at is None
