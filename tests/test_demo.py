"""The README's first command, as a newcomer runs it: the demo, twice, in a clean folder."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from policywatch.fixture_site.corpus import load_corpus

pytestmark = pytest.mark.slow


def run_demo(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "policywatch", "demo", "--no-serve"],
        cwd=cwd,
        # Prefect's temporary local API keeps its database under PREFECT_HOME
        env={**clean, "COLUMNS": "200", "PREFECT_HOME": str(cwd.parent / "prefect-home"), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_demo_crawls_stores_summarises_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    documents = load_corpus().documents
    expected = len(documents)  # every source kind is crawled: GOV.UK, Parliament, sector sites
    # GOV.UK keeps a change history (one version per major change); other sources
    # show only the current text, so one version each
    expected_versions = sum(len(d.versions) if d.source == "govuk" else 1 for d in documents)

    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stderr
    database = tmp_path / "data" / "policywatch.db"
    assert database.exists()
    with sqlite3.connect(database) as connection:
        (documents,) = connection.execute("SELECT count(*) FROM document").fetchone()
    assert documents == expected
    assert f"The store holds {expected} documents" in first.stdout
    assert "department-for-education" in first.stdout
    assert str(database) in first.stdout
    assert f"Annotated {expected} new versions" in first.stdout  # the language layer ran
    signals_first = signal_rows(database)

    second = run_demo(tmp_path)
    assert second.returncode == 0, second.stderr
    with sqlite3.connect(database) as connection:
        (again,) = connection.execute("SELECT count(*) FROM document").fetchone()
        (versions,) = connection.execute("SELECT count(*) FROM documentversion").fetchone()
    assert again == expected and versions == expected_versions
    assert f"The store holds {expected} documents ({expected_versions} versions)" in second.stdout
    assert "Annotated 0 new versions" in second.stdout

    # the later stages ran too: both classifiers, and every planted signal kind with evidence
    with sqlite3.connect(database) as connection:
        models = connection.execute("SELECT name FROM modelrecord WHERE active").fetchall()
        tagged = connection.execute(
            "SELECT count(DISTINCT version_id) FROM documenttheme WHERE method = 'model'"
        ).fetchone()[0]
    assert sorted(m for (m,) in models) == ["reactive", "themes"]
    assert tagged == expected_versions - unbodied(database)
    assert signal_rows(database) == signals_first  # a re-run adds and changes no signal
    kinds = {kind for _, kind, _ in signals_first}
    assert kinds == {"contradiction", "reversal", "reannouncement", "reactive", "burst"}
    for _, kind, quotes in signals_first:
        assert quotes >= (2 if kind in {"contradiction", "reversal", "reannouncement"} else 1)
    timeline = subprocess.run(
        [sys.executable, "-m", "policywatch", "timeline", "--kind", "contradiction"],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200", "POLICYWATCH_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert timeline.returncode == 0, timeline.stderr
    assert "CONTRADICTION" in timeline.stdout
    assert "position" in timeline.stdout and "opposing position" in timeline.stdout


def signal_rows(database: Path) -> list[tuple[str, str, int]]:
    """(key, kind, evidence quotes) for every signal, in key order."""
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT s.key, s.kind, count(e.id) FROM signal s "
            "LEFT JOIN signalevidence e ON e.signal_id = s.id GROUP BY s.id ORDER BY s.key"
        ).fetchall()


def unbodied(database: Path) -> int:
    """Versions known only from change history (no body, so never annotated or tagged)."""
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT count(*) FROM documentversion WHERE NOT body_known"
        ).fetchone()[0]


def test_demo_writes_only_where_it_is_told(tmp_path: Path) -> None:
    workdir, data_dir, db_dir = tmp_path / "work", tmp_path / "elsewhere", tmp_path / "db"
    workdir.mkdir()
    url = f"sqlite:///{db_dir / 'custom.db'}"

    result = run_demo(workdir, POLICYWATCH_DATA_DIR=str(data_dir), POLICYWATCH_DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    assert files_under(workdir) == set()
    assert (db_dir / "custom.db").exists()
    assert any(p.suffix == ".jsonl" for p in files_under(data_dir / "raw"))
    assert not (data_dir / "policywatch.db").exists()
