"""A small store with documents, annotations, themes, statements and signals.

Signals are created directly as Signal + SignalEvidence rows (the detectors
are another area's work); each evidence quote is cut out of
``nlp.annotate.version_text`` so its offsets are the real ones. One document
is the XSS fixture: its title and body are full of script tags and event
handlers, inserted through the store's own ``upsert_document``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboards.app import create_app
from dashboards.users import add_user
from nlp.annotate import version_text
from policywatch.config import Settings
from policywatch.store import session_scope, writes
from policywatch.store.db import make_engine
from policywatch.store.tables import (
    Annotation,
    DocumentTheme,
    Signal,
    SignalEvidence,
    Statement,
)

FIXTURES = Path(__file__).with_name("fixtures")
REVIEWER = ("reviewer", "correct horse battery")


def add_doc(
    session: Session,
    *,
    slug: str,
    title: str,
    body: str,
    publisher: str,
    published: datetime,
    themes: dict[str, float] | None = None,
    statements: list[dict[str, Any]] | None = None,
    body_html: str | None = None,
) -> writes.UpsertResult:
    """A document through upsert_document, with rule themes, statements and an annotation."""
    publisher_row = writes.upsert_publisher(
        session, slug=publisher, title=publisher.replace("-", " ").title(), kind="government"
    )
    result = writes.upsert_document(
        session,
        source_key="test",
        canonical_url=f"https://www.gov.uk/government/news/{slug}",
        title=title,
        body_html=body_html if body_html is not None else f"<p>{html.escape(body)}</p>",
        body_text=body,
        first_published_at=published,
        publisher_ids=[publisher_row.id],
        document_type="press_release",
    )
    text = version_text(title, body)
    money_spans = []
    for match in re.finditer(r"£(\d+) million", text):
        money_spans.append(
            {
                "label": "GBP",
                "text": match.group(0),
                "start": match.start(),
                "end": match.end(),
                "gbp": int(match.group(1)) * 1_000_000,
            }
        )
    for theme, score in (themes or {}).items():
        session.add(
            DocumentTheme(
                version_id=result.version_id,
                theme=theme,
                score=score,
                method="rule",
                model_version="test-pipeline",
                evidence=[{"phrase": theme.split("_")[0], "count": 2}],
            )
        )
    for statement in statements or []:
        sentence = statement["sentence"]
        start = text.index(sentence)
        session.add(
            Statement(
                version_id=result.version_id,
                actor=statement.get("actor", ""),
                direction=statement["direction"],
                target=statement["target"],
                money_gbp=statement.get("money_gbp"),
                sentence=sentence,
                start_char=start,
                end_char=start + len(sentence),
            )
        )
    first_sentence_end = text.find(".") + 1 or len(text)
    session.add(
        Annotation(
            version_id=result.version_id,
            pipeline_name="test",
            pipeline_version="test-pipeline",
            data={
                "money": money_spans,
                "coherence": {"intervention": [[len(title) + 2, first_sentence_end]]},
                "coherence_profile": {
                    "problem": False,
                    "intervention": True,
                    "resources": bool(money_spans),
                },
            },
        )
    )
    session.flush()
    return result


def add_signal(
    session: Session,
    *,
    key: str,
    kind: str,
    evidence: list[tuple[writes.UpsertResult, str, str]],
    theme: str | None,
    target: str | None,
    score: float,
    explanation: str,
    data: dict[str, Any] | None = None,
) -> Signal:
    """A signal with one evidence row per (document, quote, role); offsets into version_text."""
    from policywatch.store.tables import DocumentVersion

    signal = Signal(
        key=key,
        kind=kind,
        theme=theme,
        target=target,
        score=score,
        explanation=explanation,
        data=data or {},
    )
    session.add(signal)
    session.flush()
    for result, quote, role in evidence:
        version = session.get(DocumentVersion, result.version_id)
        text = version_text(version.title, version.body_text)
        start = text.index(quote)
        session.add(
            SignalEvidence(
                signal_id=signal.id,
                version_id=result.version_id,
                role=role,
                start_char=start,
                end_char=start + len(quote),
                text=quote,
            )
        )
    session.flush()
    return signal


@dataclass
class Seeded:
    url: str
    docs: dict[str, writes.UpsertResult] = field(default_factory=dict)
    signals: dict[str, int] = field(default_factory=dict)


QUOTE_DFE = "Regional care co-operatives will be built on today's children's services authorities."
QUOTE_MHCLG = "Many councils will be merged into larger unitary authorities."
QUOTE_FIRST = "We will invest £259 million in new children's homes places."
QUOTE_AGAIN = "A new £259 million fund will create children's homes places."
QUOTE_REV_1 = "We will increase the number of secure children's home places."
QUOTE_REV_2 = "We will reduce the number of secure children's home places."


def seed(engine: Engine) -> Seeded:
    """The test store: six ordinary documents, the XSS fixture, four signals, one reviewer."""
    seeded = Seeded(url=engine.url.render_as_string(hide_password=False))
    xss_title = (FIXTURES / "xss_title.txt").read_text().strip()
    xss_html = (FIXTURES / "xss_document.html").read_text()
    with session_scope(engine) as session:
        d = seeded.docs
        d["dfe"] = add_doc(
            session,
            slug="dfe-rcc",
            title="Keeping children safe, helping families thrive",
            body=f"{QUOTE_DFE} The Department for Education will provide £20 million to help.",
            publisher="department-for-education",
            published=datetime(2024, 11, 18, tzinfo=UTC),
            themes={"local_government": 0.8, "sufficiency_commissioning": 0.7, "funding": 0.3},
            statements=[
                {
                    "sentence": QUOTE_DFE,
                    "actor": "department-for-education",
                    "direction": "maintain",
                    "target": "children's services authorities",
                }
            ],
        )
        d["mhclg"] = add_doc(
            session,
            slug="mhclg-devolution",
            title="English devolution white paper",
            body=f"{QUOTE_MHCLG} Reorganisation will follow.",
            publisher="ministry-of-housing-communities-and-local-government",
            published=datetime(2024, 12, 16, tzinfo=UTC),
            themes={"local_government": 0.9},
            statements=[
                {
                    "sentence": QUOTE_MHCLG,
                    "actor": "ministry-of-housing",
                    "direction": "abolish",
                    "target": "children's services authorities",
                }
            ],
        )
        d["homes1"] = add_doc(
            session,
            slug="homes-capital-2022",
            title="Children's homes capital fund",
            body=f"{QUOTE_FIRST} Councils can bid from April.",
            publisher="department-for-education",
            published=datetime(2022, 3, 1, tzinfo=UTC),
            themes={"residential_care": 0.9, "funding": 0.8},
            statements=[
                {
                    "sentence": QUOTE_FIRST,
                    "actor": "department-for-education",
                    "direction": "increase",
                    "target": "children's homes places",
                    "money_gbp": 259_000_000,
                }
            ],
        )
        d["homes2"] = add_doc(
            session,
            slug="stable-homes-2023",
            title="Stable homes, built on love",
            body=f"{QUOTE_AGAIN} {QUOTE_REV_1}",
            publisher="department-for-education",
            published=datetime(2023, 2, 2, tzinfo=UTC),
            themes={"residential_care": 0.85, "funding": 0.6},
            statements=[
                {
                    "sentence": QUOTE_AGAIN,
                    "actor": "department-for-education",
                    "direction": "create",
                    "target": "children's homes places",
                    "money_gbp": 259_000_000,
                },
                {
                    "sentence": QUOTE_REV_1,
                    "actor": "department-for-education",
                    "direction": "increase",
                    "target": "secure children's home places",
                },
            ],
        )
        d["rev2"] = add_doc(
            session,
            slug="secure-places-2023",
            title="Youth custody: secure places",
            body=f"{QUOTE_REV_2} Fewer beds will be bought.",
            publisher="ministry-of-justice",
            published=datetime(2023, 9, 5, tzinfo=UTC),
            themes={"exploitation_youth_justice": 0.9, "residential_care": 0.55},
            statements=[
                {
                    "sentence": QUOTE_REV_2,
                    "actor": "ministry-of-justice",
                    "direction": "decrease",
                    "target": "secure children's home places",
                }
            ],
        )
        d["fostering"] = add_doc(
            session,
            slug="fostering-drive",
            title="Fostering recruitment drive",
            body="More foster carers will be recruited through regional hubs.",
            publisher="department-for-education",
            published=datetime(2021, 5, 4, tzinfo=UTC),
            themes={"fostering": 0.9},
        )
        d["xss"] = add_doc(
            session,
            slug="xss-fixture",
            title=xss_title,
            body=re.sub(r"<[^>]*>", "", xss_html) + "\n" + xss_html,
            body_html=xss_html,
            publisher="department-for-education",
            published=datetime(2024, 1, 10, tzinfo=UTC),
            themes={"kinship_care": 0.9},
            statements=[
                {
                    "sentence": "<script>window.__xss = 'script'; alert('xss')</script>",
                    "actor": "department-for-education",
                    "direction": "increase",
                    "target": "kinship care support",
                }
            ],
        )
        s = seeded.signals
        s["contradiction"] = add_signal(
            session,
            key="contradiction-rcc-vs-reorganisation",
            kind="contradiction",
            evidence=[(d["dfe"], QUOTE_DFE, "first"), (d["mhclg"], QUOTE_MHCLG, "second")],
            theme="local_government",
            target="children's services authorities",
            score=0.82,
            explanation="DfE builds on today's authorities while MHCLG merges them.",
        ).id
        s["reannouncement"] = add_signal(
            session,
            key="reannouncement-homes-259m",
            kind="reannouncement",
            evidence=[(d["homes1"], QUOTE_FIRST, "original"), (d["homes2"], QUOTE_AGAIN, "repeat")],
            theme="residential_care",
            target="children's homes places",
            score=0.7,
            explanation="The same £259 million presented again as new.",
            data={"money_gbp": 259_000_000},
        ).id
        s["reversal"] = add_signal(
            session,
            key="reversal-secure-places",
            kind="reversal",
            evidence=[(d["homes2"], QUOTE_REV_1, "before"), (d["rev2"], QUOTE_REV_2, "after")],
            theme="residential_care",
            target="secure children's home places",
            score=0.4,
            explanation="Secure places: increase, then reduce.",
        ).id
        s["xss"] = add_signal(
            session,
            key='reactive-"><svg onload=alert(9)>',
            kind="reactive",
            evidence=[
                (d["xss"], "<script>window.__xss = 'script'; alert('xss')</script>", "trigger"),
                (d["fostering"], "More foster carers will be recruited", "context"),
            ],
            theme="kinship_care",
            target="<img src=x onerror=alert(8)>",
            score=0.3,
            explanation=(
                "<script>window.__xss='explanation'</script><b onmouseover=alert(7)>bold</b>"
            ),
        ).id
        add_user(session, username=REVIEWER[0], password=REVIEWER[1])
    return seeded


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    """The seeded store on the current backend (SQLite and PostgreSQL)."""
    return seed(engine)


@pytest.fixture
def app(seeded: Seeded, tmp_path: Path) -> FastAPI:
    return create_app(Settings(database_url=seeded.url, data_dir=tmp_path / "data"))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def sqlite_store(tmp_path: Path) -> Engine:
    """A migrated SQLite store outside the backend parametrisation (browser tests)."""
    from policywatch.store import migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    migrate.upgrade(engine)
    return engine


def sign_in(client: TestClient, *, username: str = REVIEWER[0], password: str = REVIEWER[1]) -> str:
    """Sign in through the login form as a browser would; returns the session's CSRF token."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/", response.text
    page = client.get("/signals/reversal-secure-places")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


@contextmanager
def shared_store(
    backend: str, request: pytest.FixtureRequest, tmp: Path
) -> Iterator[tuple[TestClient, Seeded]]:
    """One seeded store and client for a whole test module (seeding dominates run time)."""
    from tests.conftest import _truncate_postgres

    if backend == "sqlite":
        engine = sqlite_store(tmp)
    else:
        engine = request.getfixturevalue("migrated_postgres")
        _truncate_postgres(engine)
    seeded = seed(engine)
    app = create_app(Settings(database_url=seeded.url, data_dir=tmp / "data"))
    with TestClient(app) as test_client:
        yield test_client, seeded
