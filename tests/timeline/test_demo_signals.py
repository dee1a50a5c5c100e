"""The demo corpus: every planted kind is flagged with its evidence, and a new document
contradicting the store adds exactly one signal."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from policywatch.fixture_site.corpus import Corpus
from policywatch.ingest import RawItem, ingest_items
from policywatch.store import session_scope
from timeline.corpus_store import annotate, corpus_id
from timeline.detect import KINDS
from timeline.evaluate import load_baseline, matches, predicted_signals, score_set
from timeline.queries import get_signal, timeline_signals
from timeline.recompute import recompute_signals


def test_every_planted_kind_is_on_the_timeline_with_its_evidence(
    demo_engine: Engine, demo_corpus: Corpus
) -> None:
    predicted = {p.key: p for p in predicted_signals(demo_engine)}
    with session_scope(demo_engine) as session:
        rows = timeline_signals(session, limit=500)
        for kind in KINDS:
            planted = [s for s in demo_corpus.signals if s.kind == kind]
            found = [
                r
                for r in rows
                if any(matches(predicted[r.key], kind, s.documents, s.theme) for s in planted)
            ]
            assert found, f"no planted {kind} found"
            for row in found:
                detail = get_signal(session, key_or_id=row.key)
                assert detail is not None and detail.signal.explanation
                quotes = [e for e in detail.chain if e.quote]
                minimum = 1 if kind == "reactive" else 2
                assert len(quotes) >= minimum, row.key
                for evidence in quotes:  # every quote is cut from its stored version
                    assert evidence.title and evidence.url and evidence.publisher
                    assert evidence.date is not None
                    assert 0 <= evidence.start_char < evidence.end_char


def test_evidence_offsets_point_into_the_stored_version(demo_engine: Engine) -> None:
    from nlp.annotate import version_text
    from policywatch.store.tables import DocumentVersion

    with session_scope(demo_engine) as session:
        rows = timeline_signals(session, kinds=["contradiction", "reversal"], limit=50)
        assert rows
        for row in rows:
            for evidence in row.evidence:
                version = session.get(DocumentVersion, evidence.version_id)
                text = version_text(version.title, version.body_text)
                assert text[evidence.start_char : evidence.end_char].strip() == evidence.quote


def test_demo_figures_meet_the_pinned_floors_and_the_issue_targets(
    demo_engine: Engine, demo_corpus: Corpus
) -> None:
    result = score_set("demo", demo_corpus, predicted_signals(demo_engine))
    floors = load_baseline()["sets"]["demo"]  # type: ignore[index]
    for kind, figures in result.figures().items():
        assert figures["precision"] is not None and figures["recall"] is not None
        assert figures["precision"] >= floors[kind]["precision"] - 0.02, kind
        assert figures["recall"] >= floors[kind]["recall"] - 0.02, kind
        assert figures["precision"] >= 0.8 and figures["recall"] >= 0.7, (kind, figures)
        assert figures["controls_flagged"] == 0, kind


def test_a_new_contradicting_document_flags_exactly_one_new_signal(demo_copy: Engine) -> None:
    with session_scope(demo_copy) as session:
        before = {r.key for r in timeline_signals(session, limit=1000, statuses=None)}
    record = {
        "kind": "announcement",
        "source_key": "test",
        "url": "https://example.org/government/news/ho-2022-12-secure-places-trafficked-children",
        "title": "Support for children who have been trafficked",
        "body_text": (
            "The Home Office will pay for more places in secure children's homes for children "
            "rescued from trafficking. Councils can apply from January."
        ),
        "body_html": "",
        "organisations": [{"slug": "home-office"}],
        "first_published_at": "2022-12-01T10:00:00+00:00",
        "public_updated_at": "2022-12-01T10:00:00+00:00",
    }
    item = RawItem("test.jsonl", 1, json.dumps(record), lambda: record)
    with session_scope(demo_copy) as session:
        ingest_items(session, items=[item], source_key="test")
    assert annotate(demo_copy) == 1

    report = recompute_signals(demo_copy)
    with session_scope(demo_copy) as session:
        after = {r.key: r for r in timeline_signals(session, limit=1000, statuses=None)}
    new = set(after) - before
    assert report.created == 1 and len(new) == 1, (report, len(before), len(after), new)
    (key,) = new
    assert after[key].kind == "contradiction"
    assert "ho-2022-12-secure-places-trafficked-children" in {
        corpus_id(e.url) for e in after[key].evidence
    }
    assert after[key].target == "secure children's homes places"
    assert report.withdrawn == 0

    again = recompute_signals(demo_copy)
    assert (again.created, again.updated, again.withdrawn) == (0, 0, 0)
