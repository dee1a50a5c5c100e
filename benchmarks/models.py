"""Throughput of classifier tagging, beside the bare scikit-learn calls on the same data.

Trains the default themes and reactive models (as `policywatch train` does),
builds a SQLite store of N annotated document versions (the demo corpus
texts, varied so no two are identical), then measures in one process:

1. ``classify_pending``: the whole classify stage, reading batches from the
   store, predicting both models, combining with rule evidence and writing rows;
2. ``predict_themes``: the theme tagging call on the same texts, no store;
3. the bare ``pipeline.predict_proba`` of the themes pipeline on the same texts;
4. the bare classifier step's ``predict_proba`` on the same precomputed matrix.

The ratios show what the store, the combination and the reactive model cost on
top of the model itself. Usage: python -m benchmarks.models [--documents N]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from models.dataset import corpus_examples
from models.features import add_rule_features
from models.tagging import classify_pending
from models.themes import predict_themes
from models.training import train_model
from nlp.annotate import annotation_record
from nlp.pipeline import BLANK, load_pipeline
from policywatch.store import make_engine, migrate, session_scope, writes
from policywatch.store.tables import Annotation


def varied(texts: list[str], n: int, seed: int = 1) -> list[str]:
    """N texts from the corpus, each with a sentence of its own so none repeats."""
    rng = random.Random(seed)
    return [
        f"{rng.choice(texts)}\n\nReference {i}: update {rng.randint(1, 10**6)}." for i in range(n)
    ]


def build_store(path: Path, texts: list[str], records: list[dict]) -> object:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        publisher = writes.upsert_publisher(session, slug="bench", kind="government")
        ids = []
        for i, text in enumerate(texts):
            title, _, body = text.partition("\n\n")
            result = writes.upsert_document(
                session,
                source_key="bench",
                canonical_url=f"https://example.org/{i}",
                title=title,
                body_html="",
                body_text=body,
                publisher_ids=[publisher.id],
            )
            ids.append(result.version_id)
        session.execute(
            insert(Annotation.__table__),  # type: ignore[attr-defined]
            [
                {
                    "version_id": vid,
                    "pipeline_name": "bench",
                    "pipeline_version": "bench",
                    "data": records[i % len(records)],
                }
                for i, vid in enumerate(ids)
            ],
        )
    return engine


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:10.0f} docs/s  ({seconds:.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=5000)
    args = parser.parse_args()
    n = args.documents

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        themes = train_model("themes", out_dir=folder / "models")
        reactive = train_model("reactive", out_dir=folder / "models")
        print(f"trained both default models in {time.perf_counter() - started:.1f} s")

        corpus = corpus_examples()
        nlp, info = load_pipeline(BLANK)
        add_rule_features(corpus, nlp)
        records = [annotation_record(doc, info) for doc in nlp.pipe(e.text for e in corpus)]
        texts = varied([e.text for e in corpus], n)
        engine = build_store(folder / "bench.db", texts, records)
        with session_scope(engine) as session:
            for result in (themes, reactive):
                writes.register_model(
                    session,
                    name=result.card["name"],
                    version=result.card["version"],
                    path=str(result.folder),
                    card=result.card,
                    activate=True,
                )

        started = time.perf_counter()
        report = classify_pending(engine, batch_size=256)
        stage = time.perf_counter() - started
        assert report.versions == n, report

        from models.artifacts import load_model

        pipeline, card = load_model(themes.folder)
        rules = [records[i % len(records)]["theme_scores"] for i in range(n)]
        started = time.perf_counter()
        for start in range(0, n, 256):
            predict_themes(
                pipeline, card["settings"], texts[start : start + 256], rules[start : start + 256]
            )
        tagging = time.perf_counter() - started

        started = time.perf_counter()
        pipeline.predict_proba(texts)
        bare = time.perf_counter() - started

        matrix = pipeline.named_steps["features"].transform(texts)
        started = time.perf_counter()
        pipeline.named_steps["classify"].predict_proba(matrix)
        bare_matrix = time.perf_counter() - started

    print(f"\n{n} documents, batches of 256")
    print(f"classify stage (store in and out, both models): {rate(n, stage)}")
    print(f"predict_themes (tagging, no store):             {rate(n, tagging)}")
    print(f"bare themes pipeline.predict_proba (texts):     {rate(n, bare)}")
    print(f"bare classifier predict_proba (same matrix):    {rate(n, bare_matrix)}")
    print(f"\ntagging / bare pipeline time: {tagging / bare:.2f}x")
    print(f"classify stage / bare pipeline time: {stage / bare:.2f}x")


if __name__ == "__main__":
    main()
