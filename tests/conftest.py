"""Shared fixtures: isolated settings, a store on each backend, the fixture site.

Store tests take the ``engine`` fixture, which is parametrised on SQLite and
PostgreSQL, so the same test functions run against both. PostgreSQL is the
local server on 127.0.0.1:5432 (``make test`` starts it when it is down); a
throwaway database is created for the session and dropped afterwards. If it
cannot be reached the PostgreSQL tests fail with a clear message, unless
``POLICYWATCH_SKIP_POSTGRES=1`` asks to skip them; in CI they must run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from policywatch.store import migrate
from policywatch.store.db import make_engine

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
PG_ADMIN_URL = os.environ.get(
    "POLICYWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SKIP_POSTGRES = os.environ.get("POLICYWATCH_SKIP_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory and the default (SQLite) database."""
    data_dir = tmp_path / "data"
    for name in list(os.environ):
        if name.startswith("POLICYWATCH_") and name not in {
            "POLICYWATCH_TEST_POSTGRES_URL",
            "POLICYWATCH_SKIP_POSTGRES",
        }:
            monkeypatch.delenv(name)
    monkeypatch.setenv("POLICYWATCH_DATA_DIR", str(data_dir))
    monkeypatch.chdir(tmp_path)  # so a stray .env in the repo cannot leak in
    return data_dir


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    if SKIP_POSTGRES:
        pytest.skip("POLICYWATCH_SKIP_POSTGRES=1")
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"policywatch_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__}). "
            "Start it (make test does) or set POLICYWATCH_SKIP_POSTGRES=1 to skip on purpose.",
            pytrace=False,
        )
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_postgres(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _truncate_postgres(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend a test runs on."""
    return request.param


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A migrated, empty database on the current backend, as a URL."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        return url
    engine = request.getfixturevalue("migrated_postgres")
    _truncate_postgres(engine)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty store (SQLite file or PostgreSQL database)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgres)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI, a run where no PostgreSQL test passed is a failure, not a quiet skip."""
    if os.environ.get("CI") != "true" or SKIP_POSTGRES or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    passed = reporter.stats.get("passed", []) if reporter else []
    if not any("postgresql" in report.nodeid for report in passed):
        session.exitstatus = 1
        if reporter:
            reporter.write_line("CI: no PostgreSQL store test passed; failing the run.", red=True)
