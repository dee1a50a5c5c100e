"""The command line: every command documented with an example, errors as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from policywatch.cli import app, main
from tests.test_ingest import item, write_jsonl

runner = CliRunner()


def all_command_paths() -> list[list[str]]:
    """Every command and group, as argument lists (e.g. ["documents", "search"])."""
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p) or "policywatch")
def test_every_command_has_help_with_an_example(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Example: policywatch" in result.output or "Example: POLICYWATCH_" in result.output


def test_the_expected_commands_exist() -> None:
    names = {" ".join(p) for p in all_command_paths()}
    assert {
        "db upgrade",
        "sources list",
        "crawl",
        "documents list",
        "documents show",
        "documents search",
        "status",
        "demo",
    } <= names


def test_documents_list_show_and_search_after_an_ingest(tmp_path: Path) -> None:
    raw = write_jsonl(
        tmp_path / "raw.jsonl",
        [
            json.dumps(
                item(1, title="Kinship care strategy", body_text="Support for kinship carers.")
            ),
            json.dumps(
                item(2, title="Fostering recruitment drive", body_text="More foster carers.")
            ),
        ],
    )
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    ingested = runner.invoke(app, ["ingest", str(raw)])
    assert ingested.exit_code == 0, ingested.output
    assert "2 new" in ingested.output

    listed = runner.invoke(app, ["documents", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0
    assert (
        "Kinship care strategy" in listed.output and "Fostering recruitment drive" in listed.output
    )

    as_json = runner.invoke(app, ["documents", "list", "--json"])
    rows = [json.loads(line) for line in as_json.output.splitlines()]
    assert {r["title"] for r in rows} == {"Kinship care strategy", "Fostering recruitment drive"}
    assert all(r["publisher"] == "department-for-education" for r in rows)

    found = runner.invoke(app, ["documents", "search", "kinship"], env={"COLUMNS": "200"})
    assert found.exit_code == 0
    assert "Kinship care strategy" in found.output and "Fostering" not in found.output

    shown = runner.invoke(app, ["documents", "show", "1"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "Support for kinship carers." in shown.output
    assert "v1 2023-02-02 First published." in shown.output

    status = runner.invoke(app, ["status"], env={"COLUMNS": "200"})
    assert "2 documents, 2 versions (0 annotated)" in status.output


def test_sources_list_shows_the_configured_sources() -> None:
    result = runner.invoke(app, ["sources", "list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "govuk-dfe  govuk_search" in result.output
    assert "parliament-statements  parliament_statements  (unverified)" in result.output
    assert (
        "taxonomy_base_paths: /childcare-parenting/safeguarding-and-social-care-for-children"
        in (result.output)
    )


def test_sources_check_reports_which_sources_answer(tmp_path: Path) -> None:
    from policywatch.fixture_site.server import FixtureSite

    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nkey = "alive"\nkind = "govuk_search"\nbase_url = "{site}"\n\n'
        '[[source]]\nkey = "blog"\nkind = "feed"\nbase_url = "{site}/sites/adcs"\n'
        'publisher = "adcs"\n\n'
        '[[source]]\nkey = "gone"\nkind = "wordpress"\nbase_url = "http://127.0.0.1:9"\n'
        "verified = false\n",
        encoding="utf-8",
    )
    with FixtureSite() as site:
        args = ["sources", "check", "--sources-file", str(sources), "--site-url", site.base_url]
        result = runner.invoke(app, args, env={"COLUMNS": "250"})
        probed = [p for p in site.request_log if not p.startswith("/robots")]
    assert result.exit_code == 1  # one source does not answer
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert rows["alive"].split()[1:3] == ["yes", "200"]
    assert rows["blog"].split()[1:3] == ["yes", "200"]
    assert rows["gone"].split()[1] == "no"
    assert sorted(probed) == ["/api/search.json?count=1", "/sites/adcs/feed/"]


def test_a_bad_sources_file_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nkey = "x"\nkind = "carrier-pigeon"\n', encoding="utf-8")
    monkeypatch.setenv("POLICYWATCH_SOURCES_FILE", str(bad))
    assert main(["sources", "list"]) == 1
    err = capsys.readouterr().err
    assert "unknown kind 'carrier-pigeon'" in err
    assert "Traceback" not in err


def test_a_usage_error_exits_2_with_the_reason(capsys) -> None:
    assert main(["documents", "list", "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err


def test_unknown_document_is_a_clear_error(capsys) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["documents", "show", "999"]) == 1
    assert "no document '999'" in capsys.readouterr().err


def test_an_unreachable_database_is_one_line_without_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "POLICYWATCH_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "COLUMNS": "300",
    }
    result = subprocess.run(
        [sys.executable, "-m", "policywatch", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot open the store")
    assert "Traceback" not in result.stderr

    debug = subprocess.run(
        [sys.executable, "-m", "policywatch", "--debug", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr


def test_status_before_upgrade_says_what_to_do(capsys) -> None:
    assert main(["status"]) == 1
    assert "run `policywatch db upgrade`" in capsys.readouterr().err


@pytest.mark.slow
def test_crawl_then_status_shows_each_sources_latest_run(isolated_settings: Path) -> None:
    from policywatch.cli import DEMO_SOURCES
    from policywatch.fixture_site.server import FixtureSite

    with FixtureSite() as site:
        site.faults["/sites/adcs/feed/"] = [500] * 10
        for key in ("adcs-demo", "kinship-demo"):
            args = ["crawl", "-s", key, "--sources-file", str(DEMO_SOURCES)]
            result = runner.invoke(app, [*args, "--site-url", site.base_url])
            assert result.exit_code == 0, result.output

    status = runner.invoke(app, ["status", "--runs", "5"], env={"COLUMNS": "250"})
    assert status.exit_code == 0
    lines = status.output.splitlines()
    rows = [line.split() for line in lines if "-demo" in line and line.split()[0].isdigit()]
    latest = {row[1]: row for row in rows[:2]}
    assert latest["adcs-demo"][5:10] == ["0", "0", "0", "1", "feed_http_error"]
    assert latest["kinship-demo"][4] == "succeeded"
    assert int(latest["kinship-demo"][5]) > 0  # new documents
    assert len(rows) == 4  # two in the latest-per-source table, two in the history


@pytest.mark.slow
def test_the_development_http_cache_replays_without_asking_the_site(
    isolated_settings: Path,
) -> None:
    from policywatch.cli import DEMO_SOURCES
    from policywatch.fixture_site.server import FixtureSite

    with FixtureSite() as site:
        args = ["crawl", "-s", "kinship-demo", "--sources-file", str(DEMO_SOURCES)]
        args += ["--site-url", site.base_url, "--http-cache", "--full"]
        first = runner.invoke(app, args)
        asked = len(site.request_log)
        second = runner.invoke(app, args)
        asked_again = len(site.request_log) - asked
    assert first.exit_code == second.exit_code == 0
    assert asked > 0
    assert asked_again == 0
    assert (isolated_settings / "httpcache").is_dir()
