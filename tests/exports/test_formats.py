"""Every format, read back with its own reader, holds exactly what the store holds.

The expected rows are read from the demo database with plain ``sqlite3``
queries, independently of the export's own reader, so a mistake in the
export's joins shows up as a difference here.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from exports.manifest import MANIFEST_NAME, Manifest, verify
from exports.schema import TABLES
from exports.writer import export_corpus
from tests.exports.conftest import FORMATS, REACTIVE_MODEL
from tests.exports.readback import read_export

NOT_REDISTRIBUTABLE = "ncercc-demo"  # redistribute = false in the demo's sources.toml


def stored_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def query(db: Path, sql: str) -> list[sqlite3.Row]:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return list(connection.execute(sql))
    finally:
        connection.close()


def expected_documents(db: Path) -> list[dict[str, Any]]:
    rows = query(
        db,
        """
        SELECT v.id AS version_id, d.id AS document_id, v.title, d.canonical_url, v.body_text,
               d.source_key, s.kind AS source_kind, p.slug, d.first_published_at
        FROM documentversion v
        JOIN document d ON d.id = v.document_id AND v.version_no = d.latest_version
        LEFT JOIN publisher p ON p.id = d.publisher_id
        LEFT JOIN source s ON s.key = d.source_key
        ORDER BY d.id
        """,
    )
    tags: dict[int, list[str]] = {}
    for row in query(db, "SELECT version_id, theme FROM documenttheme WHERE score >= 0.5"):
        tags.setdefault(row["version_id"], []).append(row["theme"])
    licences = {
        "govuk_search": "OGL-UK-3.0",
        "parliament_statements": "Open-Parliament-Licence-3.0",
    }
    return [
        {
            "version_id": r["version_id"],
            "document_id": r["document_id"],
            "title": r["title"],
            "canonical_url": r["canonical_url"],
            "publisher": r["slug"],
            "first_published_at": stored_time(r["first_published_at"]),
            "text": None if r["source_key"] == NOT_REDISTRIBUTABLE else r["body_text"],
            "text_withheld": r["source_key"] == NOT_REDISTRIBUTABLE,
            "licence": licences.get(r["source_kind"], "publisher-terms"),
            "themes": sorted(tags.get(r["version_id"], [])),
        }
        for r in rows
    ]


def pick(rows: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    return [{name: row[name] for name in names} for row in rows]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_table_read_back_matches_the_store(
    fmt: str, demo_exports: dict[str, tuple[Path, Manifest]], demo_db: Path
) -> None:
    folder, manifest = demo_exports[fmt]
    tables = read_export(fmt, folder)

    documents = expected_documents(demo_db)
    assert pick(tables["documents"], list(documents[0])) == documents
    assert any(d["text_withheld"] for d in documents) and any(d["text"] for d in documents)
    latest = {d["version_id"] for d in documents}

    stored_themes = {
        (r["version_id"], r["theme"], r["method"], r["model_version"], r["score"])
        for r in query(demo_db, "SELECT * FROM documenttheme")
        if r["version_id"] in latest
    }
    exported_themes = [
        (r["version_id"], r["theme"], r["method"], r["model_version"], r["score"])
        for r in tables["themes"]
    ]
    order = [(r["document_id"], r["theme"], r["method"]) for r in tables["themes"]]
    assert sorted(order) == order  # the documents' order, then theme and method
    assert set(exported_themes) == stored_themes and len(exported_themes) == len(stored_themes)
    evidence = json.loads(tables["themes"][0]["evidence"])
    assert evidence and {"phrase", "count"} <= set(evidence[0])

    document_of = {d["version_id"]: d["document_id"] for d in documents}
    stored_statements = [
        (r["id"], r["version_id"], r["actor"], r["direction"], r["target"], r["sentence"])
        for r in sorted(
            query(demo_db, "SELECT * FROM statement"),
            key=lambda r: (document_of.get(r["version_id"], 0), r["id"]),
        )
        if r["version_id"] in latest
    ]
    assert [
        (r["statement_id"], r["version_id"], r["actor"], r["direction"], r["target"], r["sentence"])
        for r in tables["statements"]
    ] == stored_statements

    profiles = {
        r["version_id"]: json.loads(r["data"])["coherence_profile"]
        for r in query(demo_db, "SELECT version_id, data FROM annotation")
    }
    scores = {
        r["version_id"]: r["score"]
        for r in query(demo_db, "SELECT version_id, score FROM documentscore")
    }
    assert len(tables["coherence"]) == len(documents)
    for row in tables["coherence"]:
        assert {part: row[part] for part in profiles[row["version_id"]]} == profiles[
            row["version_id"]
        ]
        assert row["reactive_score"] == scores.get(row["version_id"])
        expected_model = REACTIVE_MODEL if row["version_id"] in scores else None
        assert row["reactive_model_version"] == expected_model

    stored_signals = query(demo_db, "SELECT * FROM signal ORDER BY id")
    assert [(s["signal_id"], s["key"], s["kind"]) for s in tables["signals"]] == [
        (s["id"], s["key"], s["kind"]) for s in stored_signals
    ]
    assert json.loads(tables["signals"][0]["data"]) == json.loads(stored_signals[0]["data"])
    links = query(demo_db, "SELECT * FROM signalevidence ORDER BY id")
    assert sorted(
        (r["evidence_id"], r["signal_id"], r["version_id"]) for r in tables["signal_links"]
    ) == [(r["id"], r["signal_id"], r["version_id"]) for r in links]

    assert manifest.row_counts == {name: len(rows) for name, rows in tables.items()}
    assert manifest.text_withheld_documents == sum(d["text_withheld"] for d in documents)
    assert [m["version"] for m in manifest.models] == [REACTIVE_MODEL]
    assert manifest.models[0]["card"]["evaluation"]["figures"]["f1"] == 0.71
    assert len(manifest.models[0]["card"]["evaluation"]["test_keys"]) == 60


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_datasheet_describes_fields_versions_licences_and_filters(
    fmt: str, demo_exports: dict[str, tuple[Path, Manifest]]
) -> None:
    folder, manifest = demo_exports[fmt]
    sheet = (folder / "DATASHEET.md").read_text(encoding="utf-8")
    for table in TABLES:
        assert f"### {table.name}" in sheet
        for column in table.columns:
            assert f"| `{column.name}` | {column.type}" in sheet
    assert f"version **{manifest.taxonomy['version']}**" in sheet
    assert f"`{REACTIVE_MODEL}` (active)" in sheet and '"f1": 0.71' in sheet
    assert "(60 items: see manifest.json)" in sheet and "doc-59" not in sheet
    assert "Open Government Licence v3.0" in sheet and "ncercc" in sheet
    assert f"Documents with text withheld: {manifest.text_withheld_documents}." in sheet
    assert '"all_versions": false' in sheet
    assert f"documents: {manifest.row_counts['documents']}" in sheet
    assert manifest.created_at not in sheet  # no time: the datasheet is reproducible too


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_manifest_hashes_every_file_and_catches_a_change(
    fmt: str, demo_exports: dict[str, tuple[Path, Manifest]], tmp_path: Path
) -> None:
    folder, manifest = demo_exports[fmt]
    on_disk = {p.name for p in folder.iterdir()}
    assert on_disk == {entry.path for entry in manifest.files} | {MANIFEST_NAME}
    for entry in manifest.files:
        data = (folder / entry.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry.sha256
        assert len(data) == entry.bytes
    written = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert written["files"] == [entry.__dict__ for entry in manifest.files]
    assert written["taxonomy"]["version"] and written["filters"]["all_versions"] is False
    assert "Open Government Licence v3.0" in json.dumps(written["licences"])
    assert verify(folder) == []

    copy = shutil.copytree(folder, tmp_path / "copy")
    target = copy / manifest.files[-1].path
    target.write_bytes(target.read_bytes() + b"\n")
    assert verify(copy) == [f"{manifest.files[-1].path}: SHA-256 differs"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_exporting_twice_gives_byte_identical_files(
    fmt: str, demo_exports: dict[str, tuple[Path, Manifest]], demo_engine: Engine, tmp_path: Path
) -> None:
    first, manifest = demo_exports[fmt]
    again = export_corpus(demo_engine, out_dir=tmp_path, fmt=fmt)
    assert again.files == manifest.files  # same names, sizes and SHA-256
    for entry in manifest.files:
        assert (first / entry.path).read_bytes() == (tmp_path / entry.path).read_bytes()


def test_a_rerun_into_the_same_folder_replaces_the_files(
    demo_engine: Engine, tmp_path: Path
) -> None:
    first = export_corpus(demo_engine, out_dir=tmp_path, fmt="jsonl")
    second = export_corpus(demo_engine, out_dir=tmp_path, fmt="jsonl")
    assert second.files == first.files
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [e.path for e in first.files] + [MANIFEST_NAME]
    )
