"""Ingest: bad lines become counted, kept errors and the rest of the file goes in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from policywatch.ingest import ingest_file, parse_timestamp
from policywatch.store import queries, session_scope
from policywatch.store.tables import Document, DocumentVersion, IngestError, Publisher


def item(n: int, **overrides: Any) -> dict[str, Any]:
    """A raw announcement record as the GOV.UK spider writes it."""
    record: dict[str, Any] = {
        "kind": "announcement",
        "source_key": "govuk-test",
        "url": f"https://www.gov.uk/government/news/item-{n}",
        "external_id": f"content-{n}",
        "title": f"Announcement {n}",
        "body_html": f"<p>Body of announcement {n}.</p>",
        "body_text": f"Body of announcement {n}.",
        "document_type": "press_release",
        "organisations": [{"slug": "department-for-education", "title": "DfE"}],
        "first_published_at": "2023-02-02T09:30:00Z",
        "public_updated_at": "2023-02-02T09:30:00Z",
        "change_history": [
            {"public_timestamp": "2023-02-02T09:30:00Z", "note": "First published."}
        ],
        "fetched_at": "2026-11-23T00:00:00+00:00",
        "warnings": [],
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def ingest(engine: Engine, path: Path) -> Any:
    with session_scope(engine) as session:
        return ingest_file(session, path=path, source_key="govuk-test")


def test_a_clean_file_goes_in_and_a_replay_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [json.dumps(item(n)) for n in range(5)])

    first = ingest(engine, path)
    second = ingest(engine, path)

    assert first.run_counts()["items_new"] == 5
    assert second.run_counts()["items_unchanged"] == 5
    with session_scope(engine) as session:
        assert queries.store_counts(session).documents == 5
        assert queries.store_counts(session).versions == 5


def test_each_bad_line_is_a_counted_kept_error_and_the_rest_goes_in(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    no_date = item(2, first_published_at=None, public_updated_at=None)
    crawl_error = {
        "kind": "error",
        "url": "https://x/api/content/y",
        "reason": "content_http_error",
        "detail": "HTTP 500",
        "source_key": "govuk-test",
    }
    lines = [
        json.dumps(item(1)),
        '{"kind": "announcement", "title": "cut off mid-wr',  # corrupt line
        json.dumps(no_date),
        json.dumps(crawl_error),
        "[1, 2, 3]",
        json.dumps(item(6)),
    ]
    report = ingest(engine, write_jsonl(tmp_path / "run.jsonl", lines))

    assert report.run_counts()["items_new"] == 2
    assert dict(report.rejected) == {
        "corrupt_json_line": 1,
        "no_publication_date": 1,
        "content_http_error": 1,
        "not_an_object": 1,
    }
    assert "no_publication_date" in caplog.text
    with session_scope(engine) as session:
        errors = session.exec(select(IngestError).order_by(IngestError.line_no)).all()
        titles = sorted(d.title for d in session.exec(select(Document)).all())
    assert [e.line_no for e in errors] == [2, 3, 4, 5]
    assert json.loads(errors[1].payload)["title"] == "Announcement 2"  # nothing is lost
    assert titles == ["Announcement 1", "Announcement 6"]


def test_an_unknown_organisation_is_stored_and_counted(engine: Engine, tmp_path: Path) -> None:
    stranger = item(1, organisations=[{"slug": "ministry-of-magic", "title": "Ministry of Magic"}])
    nobody = item(2, organisations=[])
    report = ingest(
        engine, write_jsonl(tmp_path / "r.jsonl", [json.dumps(stranger), json.dumps(nobody)])
    )

    assert report.run_counts()["items_new"] == 2
    assert report.warnings == {"unknown_organisation": 1, "no_organisation": 1}
    with session_scope(engine) as session:
        publisher = session.exec(
            select(Publisher).where(Publisher.slug == "ministry-of-magic")
        ).one()
    assert publisher.kind == "unknown"
    assert publisher.title == "Ministry of Magic"


def test_a_known_organisation_takes_the_configured_name(engine: Engine, tmp_path: Path) -> None:
    ingest(engine, write_jsonl(tmp_path / "r.jsonl", [json.dumps(item(1))]))
    with session_scope(engine) as session:
        publisher = session.exec(select(Publisher)).one()
    assert (publisher.title, publisher.kind, publisher.acronym) == (
        "Department for Education",
        "government",
        "DfE",
    )


def test_an_encoding_warning_is_counted_and_the_text_kept(engine: Engine, tmp_path: Path) -> None:
    mislabelled = item(
        1, body_text="Café £5m", warnings=["body is not valid utf-8; decoded as windows-1252"]
    )
    report = ingest(engine, write_jsonl(tmp_path / "r.jsonl", [json.dumps(mislabelled)]))
    assert report.warnings == {"encoding_fallback": 1}
    with session_scope(engine) as session:
        version = session.exec(select(DocumentVersion)).one()
    assert version.body_text == "Café £5m"
    assert version.meta["warnings"] == {"encoding_fallback": 1}


def test_invalid_utf8_bytes_in_the_file_do_not_stop_it(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(
        json.dumps(item(1)).encode()
        + b"\n"
        + b'{"title": "\xff\xfe"}\n'
        + json.dumps(item(2)).encode()
        + b"\n"
    )
    report = ingest(engine, path)
    assert report.run_counts()["items_new"] == 2
    assert report.rejected == {"missing_url": 1}


def test_a_half_written_part_file_is_ingested_up_to_the_cut(engine: Engine, tmp_path: Path) -> None:
    full = "".join(json.dumps(item(n)) + "\n" for n in range(3))
    path = tmp_path / "run.jsonl.part"
    path.write_text(full + json.dumps(item(3))[:40], encoding="utf-8")  # crash mid-line

    report = ingest(engine, path)
    assert report.run_counts()["items_new"] == 3
    assert report.rejected == {"corrupt_json_line": 1}

    # the re-run's complete file finishes the job without duplicates
    complete = write_jsonl(tmp_path / "run.jsonl", [json.dumps(item(n)) for n in range(4)])
    rerun = ingest(engine, complete)
    assert rerun.run_counts()["items_new"] == 1
    assert rerun.run_counts()["items_unchanged"] == 3


def test_missing_first_published_falls_back_to_update_time(engine: Engine, tmp_path: Path) -> None:
    record = item(1, first_published_at=None, public_updated_at="2024-07-10T10:00:00Z")
    report = ingest(engine, write_jsonl(tmp_path / "r.jsonl", [json.dumps(record)]))
    assert report.warnings == {"date_from_public_updated_at": 1}
    with session_scope(engine) as session:
        document = session.exec(select(Document)).one()
    assert document.first_published_at == parse_timestamp("2024-07-10T10:00:00Z")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-02-02T09:30:00Z", "2023-02-02T09:30:00+00:00"),
        ("2023-02-02T09:30:00+01:00", "2023-02-02T08:30:00+00:00"),
        ("2023-02-02", "2023-02-02T00:00:00+00:00"),
        ("not a date", None),
        (None, None),
    ],
)
def test_parse_timestamp(value: str | None, expected: str | None) -> None:
    parsed = parse_timestamp(value)
    assert (parsed.isoformat() if parsed else None) == expected
