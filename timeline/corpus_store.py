"""Build a store from a labelled corpus folder, the way the evaluation needs it.

The evaluation and the tests need the demo corpus (or the held-out set) in a
store, annotated, with its trigger events, and a way back from a stored
document to the corpus id the labels use. Crawling the fixture site would do
it too but costs a web server and the spiders; here each corpus document goes
through the crawl's own ingest path (``ingest.ingest_items``, so dedupe and
versions behave as in a crawl) and then the real language layer.

A stored document's corpus id is the last segment of its canonical URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import select

from policywatch.fixture_site.corpus import Corpus, CorpusDocument, render_body_text
from policywatch.ingest import RawItem, ingest_items
from policywatch.store import session_scope
from policywatch.store.tables import Document
from timeline.events import add_event

BASE_URL = "https://corpus.policywatch.invalid"


def corpus_url(doc: CorpusDocument) -> str:
    return f"{BASE_URL}/{doc.source}/{doc.id}"


def corpus_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def record(doc: CorpusDocument, *, source_key: str) -> dict[str, object]:
    """The raw record a spider would write for this document (latest body only)."""
    first = doc.versions[0].public_timestamp
    last = doc.versions[-1].public_timestamp
    return {
        "kind": "announcement",
        "source_key": source_key,
        "url": corpus_url(doc),
        "title": doc.title,
        "description": doc.description,
        "document_type": doc.document_type,
        "body_html": "",
        "body_text": render_body_text(doc.body),
        "fetched_at": last.isoformat(),
        "organisations": [{"slug": s} for s in (doc.publisher, *doc.other_publishers)],
        "first_published_at": first.isoformat(),
        "public_updated_at": last.isoformat(),
        "withdrawn_at": doc.withdrawn.withdrawn_at.isoformat() if doc.withdrawn else None,
    }


def ingest_corpus(
    engine: Engine, documents: Iterable[CorpusDocument], *, source_key: str = "corpus"
) -> int:
    """Store the documents through the ingest path; returns how many were seen."""
    items = [
        RawItem(
            raw_path=f"{source_key}.jsonl",
            line_no=n,
            payload=json.dumps(record(doc, source_key=source_key)),
            load=lambda doc=doc: record(doc, source_key=source_key),
        )
        for n, doc in enumerate(documents, start=1)
    ]
    with session_scope(engine) as session:
        report = ingest_items(session, items=items, source_key=source_key)
    return report.seen


def annotate(engine: Engine, *, model: str | None = None) -> int:
    """Run the language layer over every version not yet annotated."""
    from nlp.annotate import annotate_pending
    from nlp.pipeline import load_pipeline

    pipeline, info = load_pipeline(model)
    return annotate_pending(engine, pipeline, info).versions


def register_events(engine: Engine, corpus: Corpus) -> int:
    with session_scope(engine) as session:
        for event in corpus.events:
            add_event(
                session,
                key=event.id,
                date=event.date,
                kind=event.kind,
                theme=event.theme,
                title=event.title,
            )
    return len(corpus.events)


def document_ids_by_corpus_id(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        rows = session.exec(select(Document.id, Document.canonical_url)).all()
    return {corpus_id(url): document_id for document_id, url in rows}


def build_corpus_store(engine: Engine, corpora: Iterable[Corpus]) -> None:
    """Ingest, annotate and register the events of one or more corpora."""
    for corpus in corpora:
        ingest_corpus(engine, corpus.documents)
        register_events(engine, corpus)
    annotate(engine)
