"""Importing users' own documents: JSONL, CSV and folders of HTML, PDF and text files."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from policywatch.cli import app, main
from policywatch.config import get_settings
from policywatch.errors import PolicyWatchError
from policywatch.fixture_site.pdf import build_pdf
from policywatch.importer import (
    ImportFormat,
    ImportReport,
    default_source_key,
    detect_format,
    import_path,
    row_to_record,
)
from policywatch.ingest import RejectedItem
from policywatch.registry import load_sources
from policywatch.store import connect, queries, session_scope
from policywatch.store.tables import CrawlRun, Document, DocumentVersion, IngestError, Source

runner = CliRunner()

#: a fixed modification time for folder files, so their dates can be asserted
MTIME = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def row(n: int, **overrides: Any) -> dict[str, Any]:
    """One document as a user would write it in a JSONL line."""
    value: dict[str, Any] = {
        "url": f"https://council.example.org/news/{n}",
        "title": f"Council news {n}",
        "published": "2024-02-01",
        "publisher": "ofsted",
        "document_type": "news_story",
        "body_text": f"Body of council news {n}.",
    }
    value.update(overrides)
    return value


def write_jsonl(path: Path, rows: list[dict[str, Any] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run_import(engine: Engine, path: Path, **options: Any) -> ImportReport:
    return import_path(get_settings(), engine, path, **options)


def problems(report: ImportReport) -> list[tuple[str, str]]:
    return [(p.where, p.reason) for p in report.problems]


def documents(engine: Engine) -> dict[str, Document]:
    with session_scope(engine) as session:
        return {d.canonical_url: d for d in session.exec(select(Document)).all()}


def latest_body(engine: Engine, url: str) -> str:
    with session_scope(engine) as session:
        document = queries.get_document(session, ref=url)
        assert document is not None
        return queries.document_versions(session, document_id=document.id)[-1].body_text  # type: ignore[arg-type]


# -- JSONL ---------------------------------------------------------------------


def test_a_jsonl_file_goes_in_as_a_recorded_import_source(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "Council News.jsonl",
        [
            row(1),
            row(2, body_text="", body_html="<p>Fostering allowances rise.</p><p>From April.</p>"),
        ],
    )

    report = run_import(engine, path)

    assert (report.format, report.source_key, report.status) == (
        ImportFormat.JSONL,
        "import-council-news",
        "succeeded",
    )
    assert report.counts["items_new"] == 2 and not report.problems
    stored = documents(engine)
    first = stored["https://council.example.org/news/1"]
    assert (first.title, first.document_type, first.source_key) == (
        "Council news 1",
        "news_story",
        "import-council-news",
    )
    assert first.first_published_at == datetime(2024, 2, 1, tzinfo=UTC)
    # body_text is derived from body_html when only the HTML is given, one line per paragraph
    assert latest_body(engine, "https://council.example.org/news/2") == (
        "Fostering allowances rise.\nFrom April."
    )
    with session_scope(engine) as session:
        source = queries.get_source(session, key="import-council-news")
        run = session.exec(select(CrawlRun)).one()
        ofsted = queries.document_publishers(session, document_id=first.id)  # type: ignore[arg-type]
    assert source is not None and source.kind == "import"
    assert source.config["path"] == str(path.resolve())
    assert (run.source_key, run.status, run.items_new, run.raw_path) == (
        "import-council-news",
        "succeeded",
        2,
        str(path.resolve()),
    )
    assert run.finished_at is not None
    assert [p.slug for p in ofsted] == ["ofsted"]


def test_bad_jsonl_lines_are_reported_by_line_and_the_good_ones_stored(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            row(1),  # line 1
            row(2, title="  "),  # 2
            "",  # 3: blank lines are skipped, but still count for numbering
            row(4, published="01/02/2024"),  # 4
            row(5, body_text="", body_html=""),  # 5
            '{"url": "https://council.example.org/news/6", "title": "cut',  # 6
            "[1, 2]",  # 7
            row(8, publisher="Ofsted inspections"),  # 8
            row(9, publisher=None),  # 9
            row(10, url="council.example.org/news/10"),  # 10
            row(11, title=["a", "list"]),  # 11
            row(12, published="2024-02-01T09:30:00+01:00"),  # 12
        ],
    )

    report = run_import(engine, path)

    assert problems(report) == [
        ("line 2", "missing_title"),
        ("line 4", "bad_date"),
        ("line 5", "missing_body"),
        ("line 6", "corrupt_json_line"),
        ("line 7", "not_an_object"),
        ("line 8", "bad_publisher"),
        ("line 9", "missing_publisher"),
        ("line 10", "bad_url"),
        ("line 11", "bad_value"),
    ]
    assert str(report.problems[1]) == (
        "line 4: bad_date ('01/02/2024' is not an ISO date (YYYY-MM-DD or a datetime))"
    )
    assert report.status == "partial"
    assert report.counts["items_new"] == 2
    assert report.ingest.rejected["bad_date"] == 1
    stored = documents(engine)
    assert set(stored) == {
        "https://council.example.org/news/1",
        "https://council.example.org/news/12",
    }
    assert stored["https://council.example.org/news/12"].first_published_at == datetime(
        2024, 2, 1, 8, 30, tzinfo=UTC
    )
    with session_scope(engine) as session:
        errors = session.exec(select(IngestError).order_by(IngestError.line_no)).all()
        run = session.exec(select(CrawlRun)).one()
    assert [(e.line_no, e.reason) for e in errors] == [
        (int(where.split()[1]), reason) for where, reason in problems(report)
    ]
    assert all(e.source_key == "import-mixed" and e.crawl_run_id == run.id for e in errors)
    assert json.loads(errors[1].payload)["published"] == "01/02/2024"  # kept whole
    assert (run.status, run.items_seen, run.items_rejected) == ("partial", 11, 9)
    assert run.error_summary["missing_title"] == 1


def test_importing_the_same_file_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "news.jsonl", [row(n) for n in range(1, 4)])

    first = run_import(engine, path)
    second = run_import(engine, path)

    assert first.counts["items_new"] == 3
    assert (second.counts["items_new"], second.counts["items_unchanged"]) == (0, 3)
    assert second.status == "succeeded"
    with session_scope(engine) as session:
        counts = queries.store_counts(session)
        runs = queries.recent_crawl_runs(session)
    assert (counts.documents, counts.versions) == (3, 3)
    assert [r.source_key for r in runs] == ["import-news", "import-news"]  # both imports recorded


def test_a_changed_row_makes_a_new_version(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "news.jsonl", [row(1), row(2)])
    run_import(engine, path)

    write_jsonl(path, [row(1), row(2, body_text="Body of council news 2, corrected.")])
    report = run_import(engine, path)

    assert (report.counts["items_new_version"], report.counts["items_unchanged"]) == (1, 1)
    with session_scope(engine) as session:
        versions = session.exec(select(DocumentVersion).order_by(DocumentVersion.id)).all()
    assert [v.version_no for v in versions] == [1, 1, 2]
    assert latest_body(engine, row(2)["url"]) == "Body of council news 2, corrected."


def test_publisher_and_document_type_defaults_and_source_key_override(
    engine: Engine, tmp_path: Path
) -> None:
    bare = {k: v for k, v in row(1).items() if k not in {"publisher", "document_type"}}
    path = write_jsonl(tmp_path / "bare.jsonl", [bare])

    report = run_import(
        engine,
        path,
        publisher="department-for-education",
        document_type="foi_release",
        source_key="foi-2024",
    )

    assert report.source_key == "foi-2024"
    document = documents(engine)[row(1)["url"]]
    assert (document.document_type, document.source_key) == ("foi_release", "foi-2024")
    with session_scope(engine) as session:
        publishers = queries.document_publishers(session, document_id=document.id)  # type: ignore[arg-type]
    assert [p.slug for p in publishers] == ["department-for-education"]


# -- CSV -----------------------------------------------------------------------


def test_a_csv_with_bom_quoted_commas_and_newlines(engine: Engine, tmp_path: Path) -> None:
    text = (
        "URL,Title,Published,Publisher,Body_Text,Notes\r\n"  # header case does not matter
        'https://la.example.org/1,"Kinship care, fostering and adoption",2024-03-01,'
        'ofsted,"First paragraph, with a comma.\r\nSecond paragraph.",x\r\n'  # lines 2-3
        "https://la.example.org/2,No date,,ofsted,Body,y\r\n"  # line 4
        "\r\n"  # line 5: blank
        'https://la.example.org/3,"Quoted ""title""",2024-03-02,ofsted,Body three,z\r\n'  # 6
        "https://la.example.org/4,Short row\r\n"  # line 7
    )
    path = tmp_path / "la.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    report = run_import(engine, path)

    assert report.format == ImportFormat.CSV
    assert problems(report) == [("line 4", "missing_date"), ("line 7", "csv_column_missing")]
    assert report.ignored_columns == ["notes"]
    stored = documents(engine)
    assert stored["https://la.example.org/1"].title == "Kinship care, fostering and adoption"
    assert stored["https://la.example.org/3"].title == 'Quoted "title"'
    assert latest_body(engine, "https://la.example.org/1") == (
        "First paragraph, with a comma.\nSecond paragraph."
    )
    assert report.status == "partial"

    again = run_import(engine, path)
    assert (again.counts["items_new"], again.counts["items_unchanged"]) == (0, 2)


def test_a_windows_1252_csv_is_read_with_a_warning(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    text = (
        "url,title,published,body_text\r\n"
        "https://la.example.org/5,Carers\u2019 allowance,2024-01-05,£150 a week \u2013 café\r\n"
    )
    path.write_bytes(text.encode("cp1252"))

    report = run_import(engine, path, publisher="ofsted")

    assert report.counts["items_new"] == 1
    assert report.ingest.warnings["encoding_fallback"] == 1
    assert documents(engine)["https://la.example.org/5"].title == "Carers\u2019 allowance"
    assert latest_body(engine, "https://la.example.org/5") == "£150 a week \u2013 café"


def test_a_csv_without_a_needed_column_is_one_clear_error(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "no-title.csv"
    path.write_text("url,published,body_text\nhttps://x.example/1,2024-01-01,Body\n")

    with pytest.raises(PolicyWatchError, match=r"no title, publisher .* column"):
        run_import(engine, path)
    with session_scope(engine) as session:
        assert queries.store_counts(session).crawl_runs == 0  # nothing read, nothing recorded


# -- folders -------------------------------------------------------------------

HTML_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Kinship care: new guidance for councils</title>
<meta property="article:published_time" content="2024-03-01T10:00:00Z"></head>
<body><nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<main><h1>Kinship care guidance</h1>
<p>The council has published new guidance on kinship care arrangements for its social workers.</p>
<p>It sets out what support kinship carers should expect and when it will be reviewed.</p>
</main><footer>Cookies and privacy</footer></body></html>
"""


def make_folder(root: Path) -> Path:
    """A folder as a user might have it: HTML, text (UTF-8 and Windows-1252), PDF and clutter."""
    (root / "reports").mkdir(parents=True)
    (root / "page.html").write_text(HTML_PAGE, encoding="utf-8")
    (root / "notes.txt").write_text(
        "Placement sufficiency update\n\nThe council opened two children's homes.\n",
        encoding="utf-8",
    )
    (root / "legacy.txt").write_bytes(
        "Carers\u2019 allowance\r\nNow £150 a week \u2013 from April.\r\n".encode("cp1252")
    )
    (root / "reports" / "sufficiency.pdf").write_bytes(
        build_pdf(
            "Local authorities will receive £20m for kinship care.\n\nA second paragraph.",
            title="Sufficiency report 2024",
        )
    )
    (root / "reports" / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a PDF\n")
    (root / "minutes.docx").write_bytes(b"PK\x03\x04 not supported")
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    for file in root.rglob("*"):
        os.utime(file, (MTIME.timestamp(), MTIME.timestamp()))
    return root


def test_a_folder_without_dates_keeps_the_dated_html_and_reports_the_rest(
    engine: Engine, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "Council Papers")

    report = run_import(engine, folder, publisher="ofsted")

    assert report.format == ImportFormat.FOLDER
    assert report.source_key == "import-council-papers"
    assert problems(report) == [
        ("file legacy.txt", "missing_date"),
        ("file notes.txt", "missing_date"),
        ("file reports/broken.pdf", "unreadable_file"),
        ("file reports/sufficiency.pdf", "missing_date"),
    ]
    assert "--published-from mtime" in report.problems[0].detail
    assert report.skipped == ["minutes.docx"]
    page = documents(engine)[(folder / "page.html").resolve().as_uri()]
    assert page.title == "Kinship care: new guidance for councils"
    assert page.first_published_at == datetime(2024, 3, 1, tzinfo=UTC)  # the date the page states
    body = latest_body(engine, page.canonical_url)
    assert "published new guidance on kinship care" in body
    assert "Cookies and privacy" not in body  # boilerplate removed
    with session_scope(engine) as session:
        errors = session.exec(select(IngestError).order_by(IngestError.raw_path)).all()
    assert (Path(errors[0].raw_path).name, errors[0].line_no) == ("legacy.txt", None)


def test_a_folder_dated_by_mtime_stores_html_pdf_and_text(engine: Engine, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "papers")

    report = run_import(engine, folder, publisher="ofsted", published_from="mtime")

    assert problems(report) == [("file reports/broken.pdf", "unreadable_file")]
    assert report.counts["items_new"] == 4
    assert report.ingest.warnings["encoding_fallback"] == 1
    stored = documents(engine)

    def at(name: str) -> Document:
        return stored[(folder / name).resolve().as_uri()]

    assert at("page.html").first_published_at == datetime(2024, 3, 1, tzinfo=UTC)  # stated wins
    pdf = at("reports/sufficiency.pdf")
    assert (pdf.title, pdf.first_published_at) == ("Sufficiency report 2024", MTIME)
    assert "£20m for kinship care" in latest_body(engine, pdf.canonical_url)
    assert at("notes.txt").title == "Placement sufficiency update"
    legacy = at("legacy.txt")
    assert legacy.title == "Carers\u2019 allowance"
    assert latest_body(engine, legacy.canonical_url) == (
        "Carers\u2019 allowance\nNow £150 a week \u2013 from April."
    )
    assert {d.document_type for d in stored.values()} == {"import"}

    again = run_import(engine, folder, publisher="ofsted", published_from="mtime")
    assert (again.counts["items_new"], again.counts["items_unchanged"]) == (0, 4)


def test_one_pdf_file_imports_like_a_folder_of_one(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(build_pdf("Only a body, no metadata title.\n\nSecond paragraph."))

    report = run_import(engine, path, publisher="ofsted", published_from="mtime")

    assert report.format == ImportFormat.FOLDER and report.counts["items_new"] == 1
    (document,) = documents(engine).values()
    assert document.title == "Only a body, no metadata title."  # the first line


def test_a_folder_needs_a_publisher(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(PolicyWatchError, match="--publisher"):
        run_import(engine, make_folder(tmp_path / "papers"))


# -- the rules, without a store --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "is_dir", "expected"),
    [
        ("a.jsonl", False, ImportFormat.JSONL),
        ("a.NDJSON", False, ImportFormat.JSONL),
        ("a.csv", False, ImportFormat.CSV),
        ("a.pdf", False, ImportFormat.FOLDER),
        ("docs", True, ImportFormat.FOLDER),
    ],
)
def test_detect_format(tmp_path: Path, name: str, is_dir: bool, expected: ImportFormat) -> None:
    path = tmp_path / name
    path.mkdir() if is_dir else path.write_text("")
    assert detect_format(path) == expected


def test_an_unknown_extension_asks_for_format(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("")
    with pytest.raises(PolicyWatchError, match="--format"):
        detect_format(path)


def test_default_source_key(tmp_path: Path) -> None:
    assert default_source_key(tmp_path / "FOI Release (2024).csv") == "import-foi-release-2024"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"url": ""}, "missing_url"),
        ({"url": "ftp://x.example/a"}, "bad_url"),
        ({"title": None}, "missing_title"),
        ({"published": ""}, "missing_date"),
        ({"published": "2024-02-30"}, "bad_date"),
        ({"body_text": "", "body_html": "<p> </p>"}, "missing_body"),
        ({"title": "x" * 1001}, "too_long"),
    ],
)
def test_row_to_record_rejects(overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(RejectedItem) as caught:
        row_to_record(row(1, **overrides), source_key="import-x")
    assert caught.value.reason == reason


def test_row_to_record_makes_an_ingest_record() -> None:
    record = row_to_record(
        row(1, description="Short summary", external_id="foi-17"), source_key="import-x"
    )
    assert record["kind"] == "announcement"
    assert record["organisations"] == [{"slug": "ofsted"}]
    assert record["first_published_at"] == "2024-02-01T00:00:00+00:00"
    assert (record["description"], record["external_id"]) == ("Short summary", "foi-17")


# -- the command line ------------------------------------------------------------


def test_the_import_command_reports_counts_and_bad_lines(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "mine.jsonl",
        [row(1), row(2), row(3, published="yesterday"), row(4, body_text="")],
    )
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

    result = runner.invoke(app, ["import", str(path)], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert "2 new, 0 new versions, 0 unchanged, 2 rejected" in result.output
    assert "line 3: bad_date ('yesterday' is not an ISO date" in result.output
    assert "line 4: missing_body (no body_text or body_html)" in result.output
    assert "import-mine" in result.output

    again = runner.invoke(app, ["import", str(path)], env={"COLUMNS": "200"})
    assert again.exit_code == 0
    assert "0 new, 0 new versions, 2 unchanged, 2 rejected" in again.output

    status = runner.invoke(app, ["status"], env={"COLUMNS": "200"})
    assert "import-mine" in status.output and "partial" in status.output
    assert "2 documents, 2 versions" in status.output


def test_the_import_command_folder_with_options(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "papers")
    result = runner.invoke(
        app,
        [
            "import",
            str(folder),
            "--publisher",
            "ofsted",
            "--source-key",
            "council-papers",
            "--document-type",
            "report",
            "--published-from",
            "mtime",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "4 new" in result.output
    assert "file reports/broken.pdf: unreadable_file" in result.output
    assert "skipped 1 file that is not HTML, PDF or text: minutes.docx" in result.output
    with session_scope(connect(get_settings())) as session:
        assert session.exec(select(Source.key, Source.kind)).all() == [("council-papers", "import")]
        types = set(session.exec(select(Document.document_type)).all())
    assert types == {"report"}


def test_nothing_readable_exits_1_with_one_line(tmp_path: Path, capsys) -> None:
    assert main(["import", str(tmp_path / "missing.jsonl")]) == 1
    assert "no such file or folder" in capsys.readouterr().err

    all_bad = write_jsonl(tmp_path / "bad.jsonl", [row(1, title=""), "not json"])
    assert main(["import", str(all_bad)]) == 1
    out = capsys.readouterr().out
    assert "line 1: missing_title" in out and "line 2: corrupt_json_line" in out

    crawled = load_sources(get_settings().resolved_sources_file)[0].key
    assert main(["import", str(all_bad), "--source-key", crawled]) == 1
    assert "is a configured crawl source" in capsys.readouterr().err
