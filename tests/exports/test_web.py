"""The export API on a bare FastAPI app: start, poll, download; failures are reported."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from exports.filters import ExportFilters
from exports.jobs import create_job
from exports.web import export_data_dir, export_engine, router
from tests.exports.test_filters import seed


@pytest.fixture
def client_for(engine: Engine):  # type: ignore[no-untyped-def]
    def make(data_dir: Path) -> TestClient:
        app = FastAPI()
        app.include_router(router)
        app.dependency_overrides[export_engine] = lambda: engine
        app.dependency_overrides[export_data_dir] = lambda: data_dir
        return TestClient(app)

    return make


def test_an_export_is_started_polled_and_downloaded_as_a_zip(
    engine: Engine, client_for, tmp_path: Path
) -> None:
    seed(engine)
    client = client_for(tmp_path / "data")
    started = client.post(
        "/api/exports", json={"format": "csv", "filters": {"themes": ["kinship_care"]}}
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]

    status = client.get(f"/api/exports/{job_id}").json()
    assert status["status"] == "succeeded", status
    assert status["rows"] == 2 and status["filters"]["themes"] == ["kinship_care"]
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = {Path(name).name for name in archive.namelist()}
        documents = archive.read(f"{job_id}/documents.csv").decode("utf-8")
    assert {"documents.csv", "themes.csv", "DATASHEET.md", "manifest.json"} <= names
    rows = list(csv.DictReader(io.StringIO(documents)))
    assert sorted(r["title"] for r in rows) == [
        "Kinship allowance speech",
        "Kinship carers need support",
    ]


def test_bad_requests_and_unknown_or_unfinished_exports(
    engine: Engine, client_for, tmp_path: Path
) -> None:
    client = client_for(tmp_path / "data")
    assert client.post("/api/exports", json={"format": "xlsx"}).status_code == 422
    bad_theme = client.post("/api/exports", json={"filters": {"themes": ["kinship"]}})
    assert bad_theme.status_code == 422 and "unknown theme" in bad_theme.text
    assert client.post("/api/exports", json={"filters": {"colour": "red"}}).status_code == 422
    assert client.get("/api/exports/nope").status_code == 404
    assert client.get("/api/exports/nope/download").status_code == 404
    queued = create_job(engine, fmt="jsonl", filters=ExportFilters())
    assert client.get(f"/api/exports/{queued.token}").json()["status"] == "queued"
    assert client.get(f"/api/exports/{queued.token}/download").status_code == 409


def test_a_failed_export_is_recorded_with_its_reason(
    engine: Engine, client_for, tmp_path: Path
) -> None:
    seed(engine)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data directory should be", encoding="utf-8")
    client = client_for(blocked)
    job_id = client.post("/api/exports", json={"format": "parquet"}).json()["id"]
    status = client.get(f"/api/exports/{job_id}").json()
    assert status["status"] == "failed"
    assert status["error"] and status["download_url"] is None
    assert client.get(f"/api/exports/{job_id}/download").status_code == 409
