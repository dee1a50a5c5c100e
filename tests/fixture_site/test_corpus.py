"""Corpus loading, version semantics and the checker's rules."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest
import yaml

from policywatch.fixture_site.corpus import (
    Corpus,
    check_corpus,
    load_corpus,
    main,
    render_body_html,
    render_body_text,
)
from policywatch.fixture_site.pdf import build_pdf
from tests.fixture_site.tiny_corpus import HOMES_OLD_BODY, write_doc

HOMES_SENTENCE = "The department will spend £259 million on children's homes."


def _doc(corpus: Corpus, doc_id: str):
    doc = corpus.get(doc_id)
    assert doc is not None
    return doc


def _edit(path: Path, **changes: object) -> None:
    """Rewrite one front-matter field, keeping the body."""
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    meta = yaml.safe_load(front)
    meta.update(changes)
    path.write_text(f"---\n{yaml.safe_dump(meta, allow_unicode=True)}---\n{body}", encoding="utf-8")


def test_tiny_corpus_loads_and_is_valid(tiny_corpus: Corpus) -> None:
    assert check_corpus(tiny_corpus) == []
    assert len(tiny_corpus.documents) == 19
    assert {s.kind for s in tiny_corpus.signals} == {"burst"}
    assert tiny_corpus.controls[0].documents == ("dfe-homes-press",)
    assert tiny_corpus.events[0].date.isoformat() == "2022-05-26"
    assert tiny_corpus.publishers["kinship"].site_kind == "html"


def test_versions_and_timestamps(tiny_corpus: Corpus) -> None:
    doc = _doc(tiny_corpus, "dfe-homes-press")
    assert doc.first_published_at == datetime(2020, 3, 1, 9, 30, tzinfo=UTC)
    assert doc.public_updated_at == datetime(2021, 5, 10, 11, tzinfo=UTC)
    assert doc.body_at(datetime(2019, 1, 1, tzinfo=UTC)) is None
    assert doc.version_at(datetime(2019, 1, 1, tzinfo=UTC)) is None
    assert doc.body_at(datetime(2020, 6, 1, tzinfo=UTC)) == HOMES_OLD_BODY
    assert doc.version_at(datetime(2020, 6, 1, tzinfo=UTC)).note == "First published."
    assert "£259 million" in doc.body_at(None)
    assert doc.labels.statements[0].money_gbp == 259_000_000


def test_omitted_first_body_reads_like_the_next_stated_body(corpus_dir: Path) -> None:
    write_doc(
        corpus_dir,
        "Final.\n",
        id="dfe-three-versions",
        source="govuk",
        publisher="department-for-education",
        document_type="news_story",
        title="T",
        description="D",
        versions=[
            {"public_timestamp": "2020-01-01T00:00:00Z", "note": "First published."},
            {"public_timestamp": "2020-02-01T00:00:00Z", "note": "Changed.", "body": "Middle.\n"},
            {"public_timestamp": "2020-03-01T00:00:00Z", "note": "Changed again."},
        ],
    )
    doc = _doc(load_corpus(corpus_dir), "dfe-three-versions")
    assert doc.version_bodies() == ["Middle.\n", "Middle.\n", "Final.\n"]


@pytest.mark.parametrize(
    ("document_type", "prefix"),
    [
        ("press_release", "/government/news/"),
        ("government_response", "/government/news/"),
        ("oral_statement", "/government/speeches/"),
        ("authored_article", "/government/speeches/"),
        ("consultation_outcome", "/government/consultations/"),
        ("policy_paper", "/government/publications/"),
        ("independent_report", "/government/publications/"),
    ],
)
def test_base_path_follows_whitehall(tiny_corpus: Corpus, document_type: str, prefix: str) -> None:
    from dataclasses import replace

    doc = replace(_doc(tiny_corpus, "dfe-homes-press"), document_type=document_type)
    assert doc.base_path == prefix + "dfe-homes-press"


def test_content_id_is_stable(corpus_dir: Path) -> None:
    first = _doc(load_corpus(corpus_dir), "dfe-homes-press").content_id
    assert first == _doc(load_corpus(corpus_dir), "dfe-homes-press").content_id
    assert len(first) == 36


def test_markdown_renders_tables_and_text() -> None:
    html = render_body_html("| a | b |\n|---|---|\n| 1 | 2 |\n\nSome **bold** text.")
    assert "<table>" in html and "<strong>bold</strong>" in html
    assert render_body_text("## Head\n\n- one\n- two\n\nSome **bold**\ntext.") == (
        "Head one two Some bold text."
    )


def test_broken_yaml_is_reported_not_raised(corpus_dir: Path) -> None:
    (corpus_dir / "documents" / "broken.md").write_text("---\nid: [oops\n---\nBody\n")
    (corpus_dir / "documents" / "no-front.md").write_text("Just text\n")
    corpus = load_corpus(corpus_dir)
    errors = check_corpus(corpus)
    assert len(corpus.documents) == 19
    assert any(e.startswith("documents/broken.md: YAML error") for e in errors)
    assert any(e.startswith("documents/no-front.md: no YAML front matter") for e in errors)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": "other-id"}, "differs from the file name"),
        ({"publisher": "nobody"}, "is not in publishers.yaml"),
        ({"publisher": "adcs"}, "non-government publisher"),
        (
            {"versions": [{"public_timestamp": "2014-12-31T00:00:00Z", "note": "x"}]},
            "outside 2015-01-01..2025-12-31",
        ),
        (
            {
                "versions": [
                    {"public_timestamp": "2020-01-02T00:00:00Z", "note": "x"},
                    {"public_timestamp": "2020-01-01T00:00:00Z", "note": "y"},
                ]
            },
            "is not after",
        ),
        ({"labels": {"themes": ["space_travel"]}}, "unknown theme 'space_travel'"),
        (
            {
                "labels": {
                    "themes": [],
                    "statements": [
                        {
                            "actor": "department-for-education",
                            "direction": "increase",
                            "target": "t",
                            "sentence": "Not in the body.",
                        }
                    ],
                }
            },
            "not found verbatim",
        ),
        (
            {
                "labels": {
                    "statements": [
                        {
                            "actor": "x",
                            "direction": "sideways",
                            "target": "t",
                            "sentence": HOMES_SENTENCE,
                        }
                    ]
                }
            },
            "direction 'sideways'",
        ),
        ({"taxons": ["/nowhere"]}, "unknown taxon '/nowhere'"),
        ({"source": "ftp"}, "source 'ftp'"),
    ],
)
def test_checker_rules(corpus_dir: Path, changes: dict[str, object], expected: str) -> None:
    _edit(corpus_dir / "documents" / "dfe-homes-press.md", **changes)
    errors = check_corpus(load_corpus(corpus_dir))
    assert any(expected in e and e.startswith("documents/dfe-homes-press.md") for e in errors), (
        errors
    )


def test_sector_document_needs_matching_site_kind(corpus_dir: Path) -> None:
    _edit(corpus_dir / "documents" / "cc-blog-0.md", publisher="kinship")
    errors = check_corpus(load_corpus(corpus_dir))
    assert any("needs a sector publisher with site_kind wordpress" in e for e in errors)


def test_ground_truth_rules(corpus_dir: Path) -> None:
    (corpus_dir / "ground_truth" / "signals-bad.yaml").write_text(
        yaml.safe_dump(
            {
                "signals": [
                    {"id": "s1", "kind": "hunch", "documents": ["dfe-homes-press"]},
                    {
                        "id": "s2",
                        "kind": "reactive",
                        "documents": ["ghost-doc"],
                        "theme": "funding",
                        "trigger": "no-such-event",
                    },
                    {
                        "id": "s3",
                        "kind": "burst",
                        "documents": ["kinship-news-01", "kinship-news-00"],
                    },
                ],
                "controls": [{"id": "c1", "looks_like": "contradiction", "documents": ["missing"]}],
            }
        )
    )
    errors = "\n".join(check_corpus(load_corpus(corpus_dir)))
    assert "kind 'hunch'" in errors
    assert "document 'ghost-doc' does not exist" in errors
    assert "trigger 'no-such-event'" in errors
    assert "a burst signal needs a theme" in errors
    assert "signal 's3': documents are not in date order" in errors
    assert "control 'c1': document 'missing' does not exist" in errors


def test_cli_reports_errors_and_summary(
    corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", "--path", str(corpus_dir)]) == 0
    out = capsys.readouterr().out
    assert "source govuk: 4" in out and "documents with 2+ versions: 2" in out
    assert "burst: 1" in out and "OK: no errors" in out
    _edit(corpus_dir / "documents" / "dfe-homes-press.md", publisher="nobody")
    assert main(["--check", "--path", str(corpus_dir)]) == 1
    assert "documents/dfe-homes-press.md: publisher 'nobody'" in capsys.readouterr().out


def test_pdf_round_trip_through_pypdf() -> None:
    text = "First paragraph (with brackets) and a back\\slash, £5.\n\n" + "word " * 2500
    reader = pypdf.PdfReader(io.BytesIO(build_pdf(text, title="Report: “quotes”")))
    assert len(reader.pages) > 1
    assert reader.metadata is not None and reader.metadata.title == "Report: “quotes”"
    extracted = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert extracted.startswith("Report: “quotes” First paragraph (with brackets)")
    assert " ".join(text.split()) in extracted


def test_real_corpus_passes_check() -> None:
    """REAL CORPUS: fails until the corpus writers are done; the gate for their work."""
    errors = check_corpus(load_corpus())
    assert errors == [], "\n".join(errors)
