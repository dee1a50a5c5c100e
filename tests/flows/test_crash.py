"""Crash safety: SIGKILL a real `policywatch run` between steps and inside a batch, run again.

The test-only hook ``POLICYWATCH_FLOW_TEST_PAUSE_AT`` (flows/hooks.py) makes the
run write ``<data_dir>/paused-at-<point>`` and wait at that point; this test
then sends SIGKILL to the process from outside (no clean-up code can run),
and finally runs the pipeline to the end and checks that nothing is missing
and nothing is doubled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from policywatch.cli import DEMO_SOURCES
from policywatch.config import get_settings
from policywatch.store import connect
from policywatch.store.tables import (
    Annotation,
    Document,
    DocumentVersion,
    Signal,
    StageMark,
    Statement,
)
from tests.flows.conftest import SMALL_SOURCES

pytestmark = pytest.mark.slow

BATCH = 4


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
    prefect_api: str, fixture_site: str, isolated_settings: Path
) -> None:
    command = run_command(fixture_site)
    env = environment(isolated_settings, prefect_api)

    kill_at("after-crawl", command, env, isolated_settings)  # between two steps
    crawled = snapshot()
    assert crawled["Document"] > 2 * BATCH and crawled["Annotation"] == 0

    no_crawl = [*command, "--no-crawl"]
    kill_at("annotate-batch-2", no_crawl, env, isolated_settings)  # inside a batch
    killed = snapshot()
    assert killed["Document"] == crawled["Document"]
    assert killed["Annotation"] == BATCH  # batch 1 committed, batch 2 rolled back

    # the next run crawls again and finishes the work
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert "annotate" in finished.stdout, finished.stderr
    engine = connect(get_settings())
    with Session(engine) as session:
        versions = session.exec(select(DocumentVersion.id)).all()
        annotations = session.exec(select(Annotation.version_id, Annotation.data)).all()
        statements = Counter(session.exec(select(Statement.version_id)).all())
        marks = session.exec(select(StageMark.stage, StageMark.version_id)).all()
        urls = session.exec(select(Document.canonical_url)).all()
    engine.dispose()
    assert len(urls) == len(set(urls)) == crawled["Document"]  # no document twice
    assert sorted(v for v, _ in annotations) == sorted(versions)  # each version once
    for version_id, data in annotations:  # statements were not stored twice
        assert statements[version_id] == len(data["statements"])
    assert len(marks) == len(set(marks))
