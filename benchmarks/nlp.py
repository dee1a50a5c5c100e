"""Annotation speed: the full annotation step beside bare ``nlp.pipe``, same texts, same run.

Run: ``.venv/bin/python -m benchmarks.nlp [--copies 3] [--processes 1]``

For the trained and the blank pipeline (each with PolicyWatch's components):

- **bare**: ``list(nlp.pipe(texts))`` over the demo corpus texts, nothing stored;
- **full**: ``nlp.annotate.annotate_pending`` over the same texts stored as
  document versions in a fresh SQLite store: finding pending versions, the
  same ``nlp.pipe``, and writing annotations, statements, themes and marks.

It prints words/s for both and their ratio (the target is full >= 80% of
bare). Words are non-punctuation, non-space tokens, counted once per text.
The corpus is copied ``--copies`` times (as distinct documents) so each run
lasts long enough to time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from spacy.language import Language

from nlp.annotate import annotate_pending, version_text
from nlp.pipeline import BLANK, PipelineInfo, load_pipeline
from policywatch.fixture_site.corpus import load_corpus
from policywatch.store import migrate, session_scope, writes
from policywatch.store.db import make_engine


def corpus_texts(copies: int) -> list[tuple[str, str, str]]:
    """(url, title, body) for every corpus document, ``copies`` times over."""
    corpus = load_corpus()
    items = []
    for copy in range(copies):
        for document in corpus.documents:
            url = f"https://example.org/{copy}/{document.id}"
            items.append((url, document.title, " ".join(document.body.split())))
    return items


def store_with(items: list[tuple[str, str, str]], folder: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        publisher = writes.upsert_publisher(session, slug="department-for-education")
        for url, title, body in items:
            writes.upsert_document(
                session,
                source_key="bench",
                canonical_url=url,
                title=title,
                body_html="",
                body_text=body,
                first_published_at=datetime(2024, 1, 1, tzinfo=UTC),
                publisher_ids=[publisher.id],  # type: ignore[list-item]
            )
    return engine


def count_words(pipeline: Language, texts: list[str]) -> int:
    tokenizer = pipeline.tokenizer
    return sum(sum(1 for t in tokenizer(text) if not (t.is_punct or t.is_space)) for text in texts)


def measure(
    pipeline: Language, info: PipelineInfo, items: list[tuple[str, str, str]], processes: int
) -> tuple[float, float]:
    """(bare words/s, full words/s) for one pipeline."""
    texts = [version_text(title, body) for _, title, body in items]
    words = count_words(pipeline, texts)
    list(pipeline.pipe(texts[:20]))  # warm-up: lazy tables, first-call costs

    started = time.perf_counter()
    for _ in pipeline.pipe(texts, batch_size=64, n_process=processes):
        pass
    bare = words / (time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as folder:
        engine = store_with(items, Path(folder))
        started = time.perf_counter()
        report = annotate_pending(engine, pipeline, info, batch_size=64, n_process=processes)
        full = words / (time.perf_counter() - started)
        assert report.versions == len(items), report
    return bare, full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    items = corpus_texts(args.copies)
    print(f"{len(items)} documents, n_process={args.processes}")
    for model in (None, BLANK):
        pipeline, info = load_pipeline(model)
        bare, full = measure(pipeline, info, items, args.processes)
        print(
            f"{info.model:24s} bare nlp.pipe {bare:9,.0f} words/s | full annotation step "
            f"{full:9,.0f} words/s | full/bare {full / bare:5.2f}"
        )


if __name__ == "__main__":
    main()
