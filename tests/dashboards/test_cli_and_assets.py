"""The dashboard's commands (serve, reviewer accounts) and its vendored chart assets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dashboards.plotly_assets import GLOBAL_CSS, css_version, maplibre_style_id, plotly_js_version
from policywatch.cli import app

runner = CliRunner()


def test_users_add_list_disable(isolated_settings: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(app, ["users", "add", "Alice"], input="long enough pw\nlong enough pw\n")
    assert added.exit_code == 0, added.output
    assert "alice can now sign in" in added.output.lower()
    short = runner.invoke(app, ["users", "add", "bob", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "too short" in str(short.exception or short.output)
    listed = runner.invoke(app, ["users", "list"], env={"COLUMNS": "120"})
    assert listed.exit_code == 0 and "alice" in listed.output and "never" in listed.output
    assert runner.invoke(app, ["users", "disable", "alice"]).exit_code == 0
    assert "no" in runner.invoke(app, ["users", "list"], env={"COLUMNS": "120"}).output


@pytest.mark.slow
def test_dashboard_command_serves_the_store(isolated_settings: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "POLICYWATCH_DATA_DIR": str(isolated_settings)}
    process = subprocess.Popen(
        [sys.executable, "-m", "policywatch", "dashboard", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/timeline", timeout=2)
                break
            except httpx.HTTPError:
                assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and "No documents match" in response.text
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
    assert f"http://127.0.0.1:{port}/" in output


def test_dashboard_on_an_unmigrated_store_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from policywatch.cli import main

    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["dashboard", "--port", "1"]) == 1
    assert "policywatch db upgrade" in capsys.readouterr().err


def test_plotly_stylesheet_matches_the_installed_plotly() -> None:
    # after upgrading plotly, run `python -m dashboards.plotly_assets` to rewrite the file
    assert css_version() == plotly_js_version()
    assert ".js-plotly-plot .plotly" in GLOBAL_CSS.read_text()
    assert maplibre_style_id() is not None


@pytest.mark.parametrize("path", ["/static/vendor/plotly.min.js", "/static/dashboard.js"])
def test_scripts_are_served_by_the_app(path: str, isolated_settings: Path) -> None:
    from fastapi.testclient import TestClient

    from dashboards.app import create_app
    from policywatch.config import Settings
    from policywatch.store import connect

    settings = Settings(data_dir=isolated_settings)
    connect(settings, upgrade=True).dispose()
    response = TestClient(create_app(settings)).get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) > 1000
