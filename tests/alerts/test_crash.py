"""A sender killed between sending and recording: the restart resends with the same key,
and the receiver, deduplicating on it, keeps one delivery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from alerts.matching import match_new
from alerts.sender import drain_outbox
from alerts.subscriptions import create_subscription
from policywatch.store.db import session_scope
from policywatch.store.tables import Delivery
from policywatch.store.types import utcnow
from tests.alerts.conftest import Receiver, add_version, alert_settings


def _sender(engine: Engine, **env: str) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "POLICYWATCH_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "POLICYWATCH_WEBHOOK_ALLOW": '["127.0.0.1"]',
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "policywatch", "alerts", "send", "--no-digests"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_killed_between_send_and_record_the_receiver_sees_one_delivery(
    engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        add_version(
            session,
            url="https://example.org/kinship",
            title="Kinship allowance",
            body="Kinship carers will get an allowance.",
            themes={"kinship_care": 0.9},
            published=now,
        )
        subscription = create_subscription(
            session,
            settings=alert_settings(engine),
            name="Kinship hook",
            channel="webhook",
            address=receiver.url,
            filters={"themes": ["kinship_care"]},
        )
    receiver.secret = subscription.secret
    assert match_new(engine, alert_settings(engine), now=now).queued == 1

    marker = tmp_path / "sent.marker"
    first = _sender(engine, POLICYWATCH_ALERTS_TEST_PAUSE_AFTER_SEND=str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the sender never sent"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # after the send, before the record
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL

    with Session(engine) as session:
        delivery = session.exec(select(Delivery)).one()
    assert delivery.status == "sending" and delivery.sent_at is None
    key = delivery.message_key
    assert marker.read_text() == key
    assert len(receiver.requests) == 1

    # while the dead sender's claim is fresh, nobody else takes the message
    assert drain_outbox(engine, alert_settings(engine)).messages_sent == 0

    second = _sender(engine, POLICYWATCH_ALERTS_CLAIM_LEASE_SECONDS="0")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "1 messages (1 alerts) sent" in out

    assert [r["headers"]["Idempotency-Key"] for r in receiver.requests] == [key, key]
    assert list(receiver.accepted) == [key]  # one delivery, as the receiver sees it
    assert receiver.bad_signatures == 0
    with Session(engine) as session:
        delivery = session.exec(select(Delivery)).one()
    assert delivery.status == "sent" and delivery.attempts == 1

    # and nothing more goes out later
    later = drain_outbox(engine, alert_settings(engine), now=now + timedelta(days=2))
    assert later.messages_sent == 0 and len(receiver.requests) == 2


def test_two_senders_draining_at_once_send_each_message_once(
    engine: Engine, receiver: Receiver
) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        for n in range(12):
            add_version(
                session,
                url=f"https://example.org/{n}",
                title=f"Kinship news {n}",
                body="Kinship carers.",
                themes={"kinship_care": 0.9},
                published=now,
            )
        subscription = create_subscription(
            session,
            settings=alert_settings(engine),
            name="Kinship hook",
            channel="webhook",
            address=receiver.url,
            filters={"themes": ["kinship_care"]},
            daily_cap=100,
        )
    receiver.secret = subscription.secret
    assert match_new(engine, alert_settings(engine), now=now).queued == 12

    start = threading.Barrier(2)
    reports = []

    def drain() -> None:
        start.wait()
        reports.append(drain_outbox(engine, alert_settings(engine), now=now))

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.messages_sent for r in reports) == 12
    keys = [r["headers"]["Idempotency-Key"] for r in receiver.requests]
    assert len(keys) == 12 and len(set(keys)) == 12  # no message was sent twice
