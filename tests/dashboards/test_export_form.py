"""The "export these documents" form: the page's filters become a real export, downloadable."""

from __future__ import annotations

import io
import json
import re
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from exports.filters import ExportFilters
from exports.jobs import MAX_ACTIVE_JOBS, create_job
from policywatch.store.queries import current_themes
from policywatch.store.tables import DocumentVersion


def form_token(client: TestClient, url: str) -> str:
    page = client.get(url).text
    assert 'action="/exports"' in page
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_the_timeline_form_exports_exactly_the_filtered_documents(client: TestClient, app) -> None:
    token = form_token(client, "/timeline?theme=local_government")
    started = client.post(
        "/exports",
        data={"csrf_token": token, "format": "jsonl", "theme": "local_government"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    page = client.get(started.headers["location"])  # the background job ran after the POST

    assert "succeeded" in page.text, page.text
    link = re.search(r'href="(/api/exports/[^"]+/download)"', page.text).group(1)  # type: ignore[union-attr]
    archive = zipfile.ZipFile(io.BytesIO(client.get(link).content))
    manifest = json.loads(
        archive.read(next(n for n in archive.namelist() if n.endswith("manifest.json")))
    )
    rows = [
        json.loads(line)
        for name in archive.namelist()
        if name.endswith("documents.jsonl")
        for line in archive.read(name).decode().splitlines()
    ]
    with Session(app.state.engine) as session:
        ids = list(session.exec(select(DocumentVersion.id)).all())
        tagged = {
            v
            for v, themes in current_themes(session, version_ids=ids).items()
            if "local_government" in themes
        }
    assert rows and len(rows) == len(tagged)
    assert manifest["filters"]["themes"] == ["local_government"]


def test_the_form_needs_its_csrf_token(client: TestClient) -> None:
    refused = client.post("/exports", data={"format": "csv"}, follow_redirects=False)
    assert refused.status_code == 403


def test_too_many_running_exports_are_refused(client: TestClient, app) -> None:
    token = form_token(client, "/search?q=children")
    for _ in range(MAX_ACTIVE_JOBS):
        create_job(app.state.engine, fmt="csv", filters=ExportFilters())

    busy = client.post("/exports", data={"csrf_token": token, "format": "csv"})
    api = client.post("/api/exports", json={"format": "csv"})

    assert busy.status_code == 429 and api.status_code == 429
    with Session(app.state.engine) as session:
        from policywatch.store.tables import ExportJob

        assert session.exec(select(func.count()).select_from(ExportJob)).one() == MAX_ACTIVE_JOBS
