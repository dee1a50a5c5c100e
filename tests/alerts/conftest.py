"""Real receivers on loopback for the alert tests, and builders for store rows.

- ``smtp``: an aiosmtpd server whose handler keeps every message and can be
  told to refuse recipients (always, or for the first N attempts);
- ``receiver``: a threaded HTTP server that verifies webhook signatures the way
  docs/alerts.md tells a receiver to, and deduplicates on ``Idempotency-Key``;
- ``web``: the alerts router mounted on a bare FastAPI app served by uvicorn.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from policywatch.config import Settings
from policywatch.store import migrate
from policywatch.store.db import make_engine
from policywatch.store.tables import (
    Annotation,
    DocumentTheme,
    Signal,
    SignalEvidence,
    Statement,
)
from tests.store.helpers import add_document

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- store builders -------------------------------------------------------------


def add_version(
    session: Session,
    *,
    url: str,
    title: str,
    body: str,
    themes: dict[str, float] | None = None,
    statements: list[tuple[str, str, str, str]] | None = None,
    publisher: str = "department-for-education",
    published: datetime = NOW,
    document_type: str = "press_release",
    change_note: str | None = None,
) -> tuple[int, int]:
    """A document version as the language layer leaves it: annotated, with rule themes.

    ``statements`` are (actor, direction, target, sentence). Returns (document id, version id).
    """
    result = add_document(
        session,
        url=url,
        title=title,
        body=body,
        publisher=publisher,
        published=published,
        document_type=document_type,
        change_note=change_note,
    )
    text = f"{title}\n\n{body}"
    offset = len(title) + 2
    sentences = [
        [offset + m.start(), offset + m.end()] for m in re.finditer(r"[^.!?\s][^.!?]*[.!?]?", body)
    ]
    session.add(
        Annotation(
            version_id=result.version_id,
            pipeline_name="test",
            pipeline_version="1",
            data={"sentences": [[0, len(title)], *sentences], "actors": []},
        )
    )
    for theme, score in (themes or {}).items():
        session.add(
            DocumentTheme(
                version_id=result.version_id,
                theme=theme,
                score=score,
                method="rule",
                evidence=[{"phrase": theme.split("_")[0], "count": 1}],
            )
        )
    for actor, direction, target, sentence in statements or []:
        offset = text.find(sentence)
        session.add(
            Statement(
                version_id=result.version_id,
                actor=actor,
                direction=direction,
                target=target,
                sentence=sentence,
                start_char=max(offset, 0),
                end_char=max(offset, 0) + len(sentence),
            )
        )
    session.flush()
    return result.document_id, result.version_id


def add_signal(
    session: Session,
    *,
    key: str,
    kind: str,
    evidence: list[tuple[int, str, str]],
    theme: str | None = None,
    target: str | None = None,
    score: float = 0.8,
    explanation: str = "",
    first_seen: datetime = NOW,
    data: dict[str, Any] | None = None,
) -> int:
    """A signal as the timeline writes it; ``evidence`` is (version id, role, quote)."""
    signal = Signal(
        key=key,
        kind=kind,
        theme=theme,
        target=target,
        score=score,
        explanation=explanation,
        data=data or {},
        first_seen_at=first_seen,
        updated_at=first_seen,
    )
    session.add(signal)
    session.flush()
    for version_id, role, quote in evidence:
        session.add(
            SignalEvidence(
                signal_id=signal.id, version_id=version_id, role=role, text=quote, start_char=0
            )
        )
    session.flush()
    return signal.id  # type: ignore[return-value]


# -- SMTP -----------------------------------------------------------------------


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    #: recipient address -> how many more RCPT commands to refuse (-1: always)
    refuse: dict[str, int] = field(default_factory=dict)
    refused: int = 0

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        left = self.server.refuse.get(address, 0)
        if left:
            self.server.refused += 1
            if left > 0:
                self.server.refuse[address] = left - 1
            return "450 4.2.1 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.server.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(_Handler(server), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# -- webhook receiver -------------------------------------------------------------


@dataclass
class Receiver:
    """What the loopback receiver saw: every request, and deliveries kept once per key."""

    url: str
    secret: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_signatures: int = 0
    #: status codes to answer with, in order, before answering 200
    script: list[int] = field(default_factory=list)


def _verify(secret: str, headers: Any, body: bytes, tolerance: int = 300) -> bool:
    """Signature check exactly as docs/alerts.md describes it for receivers."""
    timestamp = headers.get("X-PolicyWatch-Timestamp", "")
    signature = headers.get("X-PolicyWatch-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(signature, "sha256=" + expected.hexdigest())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hook")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            record = {"path": self.path, "headers": dict(self.headers), "body": body}
            state.requests.append(record)
            if state.script:
                code = state.script.pop(0)
                self.send_response(code)
                if code in (301, 302, 307, 308):
                    self.send_header("Location", f"http://127.0.0.1:{port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if state.secret and not _verify(state.secret, self.headers, body):
                state.bad_signatures += 1
                self.send_response(401)
            else:
                key = self.headers.get("Idempotency-Key", "")
                state.accepted.setdefault(key, record)  # a repeated key is the same delivery
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# -- settings and the web app ------------------------------------------------------


def alert_settings(engine: Engine, smtp: SmtpServer | None = None, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "public_base_url": "https://alerts.example.org",
        "webhook_allow": ["127.0.0.1"],
        "alerts_backoff_seconds": 60,
        "alerts_max_attempts": 3,
        "alerts_timeout_seconds": 3,
    }
    if smtp is not None:
        values |= {"smtp_host": smtp.host, "smtp_port": smtp.port}
    return Settings(**(values | extra))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite store, for tests whose point is not the backend."""
    engine = make_engine(f"sqlite:///{tmp_path / 'alerts.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@dataclass
class Web:
    base_url: str
    app: FastAPI


def serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def web_factory() -> Iterator[Any]:
    """Start the alerts router on uvicorn for a given engine and settings."""
    import alerts.web

    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(engine: Engine, settings: Settings) -> Web:
        app = FastAPI()
        app.include_router(alerts.web.router)
        app.dependency_overrides[alerts.web.get_engine] = lambda: engine
        app.dependency_overrides[alerts.web.get_alert_settings] = lambda: settings
        server, thread, base = serve(app)
        started.append((server, thread))
        return Web(base, app)

    yield start
    for server, thread in started:
        server.should_exit = True
        thread.join(timeout=10)


def body_json(record: dict[str, Any]) -> dict[str, Any]:
    return json.loads(record["body"])
