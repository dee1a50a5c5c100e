"""Filters pick the right documents on SQLite and PostgreSQL, and bad filters are refused."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from exports.filters import ExportFilters
from exports.writer import export_corpus
from policywatch.errors import PolicyWatchError
from policywatch.store import session_scope, writes
from policywatch.store.tables import DocumentTheme, Signal, SignalEvidence, Statement

SOURCES_TOML = """
[[source]]
key = "govuk-test"
kind = "govuk_search"

[[source]]
key = "sector-closed"
kind = "feed"
base_url = "https://example.org"
redistribute = false
"""


def seed(engine: Engine) -> dict[str, int]:
    """Three documents: two from DfE (one with two versions), one from a closed sector feed."""
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        dfe = writes.upsert_publisher(session, slug="department-for-education", kind="government")
        sector = writes.upsert_publisher(session, slug="adcs", kind="sector", title="ADCS")
        writes.upsert_source(session, key="govuk-test", kind="govuk_search")
        writes.upsert_source(session, key="sector-closed", kind="feed")
        docs = [
            ("homes", "govuk-test", dfe.id, "press_release", "Children's homes capital", 2021),
            ("kin", "govuk-test", dfe.id, "speech", "Kinship allowance speech", 2023),
            ("adcs", "sector-closed", sector.id, "news", "Kinship carers need support", 2024),
        ]
        for name, source, publisher, kind, title, year in docs:
            result = writes.upsert_document(
                session,
                source_key=source,
                canonical_url=f"https://example.org/{name}",
                title=title,
                body_html="",
                body_text=f"{title}. The department will increase funding for {name}.",
                publisher_ids=[publisher],  # type: ignore[list-item]
                document_type=kind,
                first_published_at=datetime(year, 6, 1, 12, tzinfo=UTC),
            )
            ids[name] = result.document_id
        second = writes.upsert_document(
            session,
            source_key="govuk-test",
            canonical_url="https://example.org/homes",
            title="Children's homes capital (updated)",
            body_html="",
            body_text="Updated: more money for children's homes.",
            publisher_ids=[dfe.id],  # type: ignore[list-item]
            document_type="press_release",
            first_published_at=datetime(2021, 6, 1, 12, tzinfo=UTC),
        )
        ids["homes_v2"] = second.version_id
        session.flush()
        versions = {name: _latest_version(session, ids[name]) for name in ("homes", "kin", "adcs")}
        themes = {"homes": "residential_care", "kin": "kinship_care", "adcs": "kinship_care"}
        for name, theme in themes.items():
            session.add(
                DocumentTheme(
                    version_id=versions[name],
                    theme=theme,
                    score=0.9,
                    method="rule",
                    model_version="rules-1",
                    evidence=[{"phrase": theme, "count": 2}],
                )
            )
        session.add(
            Statement(
                version_id=versions["kin"],
                actor="department-for-education",
                direction="create",
                target="kinship allowance",
            )
        )
        signal = Signal(key="s1", kind="contradiction", explanation="opposite directions")
        session.add(signal)
        session.flush()
        session.add(SignalEvidence(signal_id=signal.id, version_id=versions["adcs"], text="x"))  # type: ignore[arg-type]
    return ids


def _latest_version(session, document_id: int) -> int:  # type: ignore[no-untyped-def]
    from sqlmodel import col, select

    from policywatch.store.tables import Document, DocumentVersion

    return session.exec(
        select(DocumentVersion.id)
        .join(Document, col(Document.id) == col(DocumentVersion.document_id))
        .where(
            DocumentVersion.document_id == document_id,
            col(DocumentVersion.version_no) == col(Document.latest_version),
        )
    ).one()


def exported(engine: Engine, folder: Path, sources: Path, **filters: object) -> list[dict]:
    export_corpus(
        engine,
        out_dir=folder,
        fmt="jsonl",
        filters=ExportFilters(**filters),  # type: ignore[arg-type]
        sources_file=sources,
    )
    with (folder / "documents.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES_TOML, encoding="utf-8")
    return path


def test_each_filter_selects_the_documents_it_names(
    engine: Engine, tmp_path: Path, sources: Path
) -> None:
    ids = seed(engine)

    def urls(**filters: object) -> list[str]:
        rows = exported(engine, tmp_path / "out", sources, **filters)
        return [row["canonical_url"].rsplit("/", 1)[1] for row in rows]

    assert urls() == ["homes", "kin", "adcs"]
    assert urls(themes=["kinship_care"]) == ["kin", "adcs"]
    assert urls(publishers=["adcs"]) == ["adcs"]
    assert urls(document_types=["speech", "news"]) == ["kin", "adcs"]
    assert urls(since=date(2022, 1, 1), until=date(2023, 6, 1)) == ["kin"]
    assert urls(until=date(2021, 6, 1)) == ["homes"]  # the until day is included
    assert urls(text="kinship -speech") == ["adcs"]
    assert urls(text='"children\'s homes"') == ["homes"]
    assert urls(targets=["Kinship Allowance"]) == ["kin"]
    assert urls(actors=["department-for-education"]) == ["kin"]
    assert urls(signal_kinds=["contradiction"]) == ["adcs"]
    assert urls(signal_kinds=["reversal"]) == []
    assert urls(themes=["kinship_care"], publishers=["department-for-education"]) == ["kin"]

    rows = exported(engine, tmp_path / "all", sources, all_versions=True)
    assert [(r["document_id"], r["version_no"], r["is_latest"]) for r in rows] == [
        (ids["homes"], 1, False),
        (ids["homes"], 2, True),
        (ids["kin"], 1, True),
        (ids["adcs"], 1, True),
    ]


def test_text_is_withheld_only_for_sources_marked_not_redistributable(
    engine: Engine, tmp_path: Path, sources: Path
) -> None:
    seed(engine)
    rows = {r["canonical_url"].rsplit("/", 1)[1]: r for r in exported(engine, tmp_path, sources)}
    assert rows["adcs"]["text"] is None and rows["adcs"]["text_withheld"] is True
    assert rows["adcs"]["licence"] == "publisher-terms" and "ADCS" in rows["adcs"]["attribution"]
    assert rows["kin"]["text"].startswith("Kinship allowance speech")
    assert rows["kin"]["licence"] == "OGL-UK-3.0"
    assert "Open Government Licence v3.0" in rows["kin"]["attribution"]
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["text_withheld_documents"] == 1
    assert manifest["licences"]["OGL-UK-3.0"]["documents"] == 2


def test_bad_filters_are_refused_before_anything_is_written(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(PolicyWatchError, match="unknown theme 'kinship'"):
        export_corpus(
            engine, out_dir=tmp_path / "a", fmt="csv", filters=ExportFilters(themes=["kinship"])
        )
    with pytest.raises(PolicyWatchError, match="unknown export format 'xlsx'"):
        export_corpus(engine, out_dir=tmp_path / "b", fmt="xlsx")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    with pytest.raises(ValidationError, match="unknown signal kind"):
        ExportFilters(signal_kinds=["scandal"])
    with pytest.raises(ValidationError, match="is after until"):
        ExportFilters(since=date(2024, 1, 1), until=date(2023, 1, 1))
    with pytest.raises(ValidationError, match="no word to search for"):
        ExportFilters(text="-only")
