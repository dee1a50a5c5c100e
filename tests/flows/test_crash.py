"""Crash safety: SIGKILL a real `policywatch run` between steps and inside a batch, run again.

The test-only hook ``POLICYWATCH_FLOW_TEST_PAUSE_AT`` (flows/hooks.py) makes the
run write ``<data_dir>/paused-at-<point>`` and wait at that point; this test
then sends SIGKILL to the process from outside (no clean-up code can run),
and finally runs the pipeline to the end and checks that nothing is missing
and nothing is doubled: documents, annotations, statements, signals, and the
alerts a real webhook receiver on 127.0.0.1 gets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from policywatch.cli import DEMO_SOURCES
from policywatch.config import get_settings
from policywatch.store import connect, session_scope
from policywatch.store.tables import (
    Annotation,
    Delivery,
    Document,
    DocumentVersion,
    Signal,
    StageMark,
    Statement,
)
from tests.flows.conftest import SMALL_SOURCES

pytestmark = pytest.mark.slow

BATCH = 4
#: alerts on every item, however old (the corpus is historical), with no daily cap
ALERT_ENV = {
    "POLICYWATCH_WEBHOOK_ALLOW": '["127.0.0.1"]',
    "POLICYWATCH_ALERTS_MAX_AGE_DAYS": "100000",
    "POLICYWATCH_ALERTS_DAILY_CAP": "100000",
}


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[str]]]:
    """A webhook receiver on 127.0.0.1: its URL and the Idempotency-Key of every POST."""
    keys: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            keys.append(self.headers.get("Idempotency-Key", ""))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", keys
    finally:
        server.shutdown()
        server.server_close()


def subscribe_to_everything(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from alerts.subscriptions import create_subscription

    for name, value in ALERT_ENV.items():
        monkeypatch.setenv(name, value)
    settings = get_settings()
    engine = connect(settings, upgrade=True)
    with session_scope(engine) as session:
        create_subscription(session, settings=settings, name="all", channel="webhook", address=url)
    engine.dispose()


def run_command(site_url: str) -> list[str]:
    sources = [arg for key in SMALL_SOURCES for arg in ("-s", key)]
    return [sys.executable, "-m", "policywatch", "run", "--no-train-missing", *sources,
            "--sources-file", str(DEMO_SOURCES), "--site-url", site_url]  # fmt: skip


def environment(data_dir: Path, prefect_api: str, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
    return {
        **clean,
        "POLICYWATCH_DATA_DIR": str(data_dir),
        "POLICYWATCH_FLOW_ANNOTATE_BATCH_SIZE": str(BATCH),
        "PREFECT_API_URL": prefect_api,  # the session's harness: no temporary server each time
        "COLUMNS": "200",
        **extra,
    }


def kill_at(point: str, command: list[str], env: dict[str, str], data_dir: Path) -> None:
    """Start the run, wait until it parks at ``point``, and SIGKILL it there."""
    marker = data_dir / f"paused-at-{point}"
    process = subprocess.Popen(
        command,
        env={**env, "POLICYWATCH_FLOW_TEST_PAUSE_AT": point},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 180
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the run ended before {point}: {process.stderr.read()[-3000:]}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run never reached {point}")
        time.sleep(0.1)
    assert int(marker.read_text(encoding="utf-8")) == process.pid
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    marker.unlink()


def snapshot() -> dict[str, int]:
    engine = connect(get_settings())
    with Session(engine) as session:
        found = {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (Document, DocumentVersion, Annotation, Statement, StageMark, Signal)
        }
    engine.dispose()
    return found


def test_killing_a_run_between_steps_and_inside_a_batch_loses_and_doubles_nothing(
    prefect_api: str,
    fixture_site: str,
    isolated_settings: Path,
    webhook: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook_url, received = webhook
    subscribe_to_everything(hook_url, monkeypatch)
    command = run_command(fixture_site)
    env = environment(isolated_settings, prefect_api, **ALERT_ENV)

    kill_at("annotate-batch-2", command, env, isolated_settings)  # inside a batch
    killed = snapshot()
    assert killed["Document"] > 2 * BATCH  # the crawl before it was kept
    assert killed["Annotation"] == BATCH  # batch 1 committed, batch 2 rolled back

    no_crawl = [*command, "--no-crawl"]
    kill_at("after-match", no_crawl, env, isolated_settings)  # between steps: queued, not sent
    assert received == []
    queued = snapshot()
    assert queued["Annotation"] == queued["DocumentVersion"]

    # the next run crawls again and finishes the work
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    engine = connect(get_settings())
    with Session(engine) as session:
        versions = session.exec(select(DocumentVersion.id)).all()
        annotations = session.exec(select(Annotation.version_id, Annotation.data)).all()
        statements = Counter(session.exec(select(Statement.version_id)).all())
        marks = session.exec(select(StageMark.stage, StageMark.version_id)).all()
        urls = session.exec(select(Document.canonical_url)).all()
    engine.dispose()
    assert len(urls) == len(set(urls)) == killed["Document"]  # no document twice
    assert sorted(v for v, _ in annotations) == sorted(versions)  # each version once
    for version_id, data in annotations:  # statements were not stored twice
        assert statements[version_id] == len(data["statements"])
    assert len(marks) == len(set(marks))
    with Session(engine) as session:
        deliveries = session.exec(select(Delivery)).all()
    items = [(d.subscription_id, d.item_kind, d.item_id) for d in deliveries]
    assert len(deliveries) >= len(urls) and len(items) == len(set(items))
    assert {d.status for d in deliveries} == {"sent"}
    assert Counter(received) == Counter({d.message_key for d in deliveries})  # each sent once
    assert snapshot()["Signal"] == queued["Signal"]  # signals were not made again
