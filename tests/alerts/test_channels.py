"""Webhook, Apprise and Atom channels against real receivers on loopback."""

from __future__ import annotations

import feedparser
import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from alerts.channels.webhook import sign
from alerts.matching import match_new
from alerts.safety import check_target_url
from alerts.sender import drain_outbox
from alerts.subscriptions import create_subscription
from policywatch.errors import PolicyWatchError
from policywatch.store.db import session_scope
from policywatch.store.tables import Delivery, Subscription
from tests.alerts.conftest import NOW, Receiver, add_signal, add_version, alert_settings, body_json


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        _, first = add_version(
            session,
            url="https://example.org/a",
            title="Hotels ban for under-16s",
            body="Children under 16 will no longer be placed in unregulated hotels.",
            themes={"residential_care": 0.9},
        )
        _, second = add_version(
            session,
            url="https://example.org/b",
            title="Hotels remain in use",
            body="Councils may keep using hotels in an emergency.",
            themes={"residential_care": 0.8},
            publisher="ofsted",
        )
        add_signal(
            session,
            key="contradiction:hotels",
            kind="contradiction",
            theme="residential_care",
            target="unregulated placements",
            explanation="Two departments point opposite ways on hotel placements.",
            evidence=[
                (first, "first", "Children under 16 will no longer be placed in hotels."),
                (second, "second", "Councils may keep using hotels in an emergency."),
            ],
        )


def _subscribe(engine: Engine, channel: str, address: str = "", **filters) -> Subscription:
    with session_scope(engine) as session:
        return create_subscription(
            session,
            settings=alert_settings(engine),
            name=f"{channel} residential",
            channel=channel,
            address=address,
            filters=filters or {"themes": ["residential_care"]},
            now=NOW,
        )


def test_webhook_body_is_signed_and_the_receiver_verifies_it(
    engine: Engine, receiver: Receiver
) -> None:
    _seed(engine)
    subscription = _subscribe(engine, "webhook", receiver.url)
    receiver.secret = subscription.secret
    settings = alert_settings(engine)
    match_new(engine, settings, now=NOW)
    report = drain_outbox(engine, settings, now=NOW)

    assert report.messages_sent == 3 and receiver.bad_signatures == 0
    assert len(receiver.accepted) == 3
    bodies = [body_json(r) for r in receiver.accepted.values()]
    signal = next(b for b in bodies if b["alerts"][0]["kind"] == "signal")
    alert = signal["alerts"][0]
    assert alert["explanation"] == "Two departments point opposite ways on hotel placements."
    assert [e["url"] for e in alert["evidence"]] == [
        "https://example.org/a",
        "https://example.org/b",
    ]
    assert alert["why"].startswith("You got this because your subscription “webhook residential”")
    assert signal["links"]["unsubscribe"].startswith("https://alerts.example.org/alerts/unsub")
    for key, record in receiver.accepted.items():
        assert body_json(record)["idempotency_key"] == key

    # a body changed in transit fails the documented check
    record = next(iter(receiver.accepted.values()))
    timestamp = record["headers"]["X-PolicyWatch-Timestamp"]
    assert (
        sign(subscription.secret, timestamp, record["body"])
        == record["headers"]["X-PolicyWatch-Signature"]
    )
    assert (
        sign(subscription.secret, timestamp, record["body"] + b" ")
        != record["headers"]["X-PolicyWatch-Signature"]
    )


def test_a_redirecting_webhook_is_a_failed_attempt_not_followed(
    engine: Engine, receiver: Receiver
) -> None:
    _seed(engine)
    _subscribe(engine, "webhook", receiver.url, signal_kinds=["contradiction"])
    settings = alert_settings(engine)
    match_new(engine, settings, now=NOW)
    receiver.script = [302]
    report = drain_outbox(engine, settings, now=NOW)
    assert report.retries_scheduled == 1
    assert "HTTP 302" in report.errors[0]
    assert [r["path"] for r in receiver.requests] == ["/hook"]  # /elsewhere never asked


def test_webhooks_to_private_addresses_are_refused_unless_allowed() -> None:
    for url in (
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://localhost/hook",
    ):
        with pytest.raises(PolicyWatchError, match="private, loopback or link-local"):
            check_target_url(url, allow=[])
    assert check_target_url("http://127.0.0.1:8080/hook", allow=["127.0.0.1"])
    assert check_target_url("http://10.1.2.3/hook", allow=["10.0.0.0/8"])
    with pytest.raises(PolicyWatchError, match="http:// or https://"):
        check_target_url("file:///etc/passwd", allow=[])


def test_an_apprise_json_url_on_loopback_receives_the_alert(
    engine: Engine, receiver: Receiver
) -> None:
    _seed(engine)
    port = receiver.url.split(":")[2].split("/")[0]
    _subscribe(engine, "apprise", f"json://127.0.0.1:{port}/hook", signal_kinds=["contradiction"])
    settings = alert_settings(engine)
    match_new(engine, settings, now=NOW)
    report = drain_outbox(engine, settings, now=NOW)
    assert report.messages_sent == 1
    [record] = receiver.requests
    payload = body_json(record)
    with Session(engine) as session:
        key = session.exec(select(Delivery.message_key)).one()
    assert record["headers"]["Idempotency-Key"] == key
    assert payload["title"] == "[PolicyWatch] Contradiction: unregulated placements"
    assert "Two departments point opposite ways" in payload["message"]
    assert f"Ref: {key}" in payload["message"]


def test_an_apprise_url_that_fails_is_retried(engine: Engine, receiver: Receiver) -> None:
    _seed(engine)
    port = receiver.url.split(":")[2].split("/")[0]
    _subscribe(engine, "apprise", f"json://127.0.0.1:{port}/hook", signal_kinds=["contradiction"])
    settings = alert_settings(engine)
    match_new(engine, settings, now=NOW)
    receiver.script = [500]
    report = drain_outbox(engine, settings, now=NOW)
    assert report.retries_scheduled == 1 and report.messages_sent == 0
    assert "Apprise could not deliver" in report.errors[0]


def test_the_private_atom_feed_parses_and_lists_the_alerts(engine: Engine, web_factory) -> None:
    _seed(engine)
    subscription = _subscribe(engine, "atom")
    settings = alert_settings(engine)
    match_new(engine, settings, now=NOW)
    report = drain_outbox(engine, settings, now=NOW)
    assert report.deliveries_sent == 3  # published to the feed
    web = web_factory(engine, settings)

    response = httpx.get(f"{web.base_url}/alerts/feed/{subscription.feed_token}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "PolicyWatch: atom residential"
    titles = sorted(entry.title for entry in feed.entries)
    assert titles == [
        "Contradiction: unregulated placements",
        "Hotels ban for under-16s",
        "Hotels remain in use",
    ]
    entry = next(e for e in feed.entries if e.title == "Hotels ban for under-16s")
    assert entry.link == "https://example.org/a"
    assert entry.id.startswith("urn:policywatch:delivery:")
    assert "asks for theme residential_care" in entry.summary
    assert [t.term for t in entry.tags] == ["residential_care"]

    assert httpx.get(f"{web.base_url}/alerts/feed/not-a-token").status_code == 404
