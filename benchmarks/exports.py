"""Export speed and memory: a synthetic store of 10,000 and 100,000 documents, every format.

Run: ``.venv/bin/python -m benchmarks.exports [--sizes 10000 100000] [--workdir DIR]``

For each size a SQLite store is built once (kept in ``--workdir`` for re-runs):
every document has one version with ~1,500 characters of text, three rule
theme rows, two statements and an annotation with its coherence profile;
one document in a hundred is linked to a signal. Then, each in a **fresh
child process**:

- **baseline**: the simplest possible export in the same process kind: one
  streamed query over latest versions joined to their documents, each row
  written as a JSON line (documents only, no themes, statements or signals);
- **jsonl / csv / parquet / sqlite**: ``exports.writer.export_corpus``.

It prints document rows/s, all rows/s (every table) and the child's peak RSS
(``ru_maxrss`` of the child itself, so the interpreter and imports are
included and each run starts from nothing). Memory is flat when the peak at
100,000 documents is about the peak at 10,000.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from policywatch.store import migrate
from policywatch.store.db import make_engine
from policywatch.store.tables import (
    Annotation,
    Document,
    DocumentPublisher,
    DocumentSource,
    DocumentTheme,
    DocumentVersion,
    Publisher,
    Signal,
    SignalEvidence,
    Source,
    Statement,
)

FORMATS = ("jsonl", "csv", "parquet", "sqlite")
THEMES = ("residential_care", "fostering", "kinship_care", "funding", "workforce", "adoption")
WORDS = [
    "the",
    "department",
    "will",
    "increase",
    "funding",
    "for",
    "children's",
    "homes",
    "and",
    "foster",
    "carers",
    "across",
    "England",
    "local",
    "authorities",
    "kinship",
    "carers",
    "review",
    "sufficiency",
    "workforce",
    "social",
    "workers",
    "placement",
    "stability",
    "investment",
    "million",
    "pounds",
    "by",
    "2027",
    "in",
    "response",
    "to",
    "the",
    "inquiry",
]
CHUNK = 5_000


def _text(rng: random.Random, n_words: int = 230) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words)).capitalize() + "."


def build_store(path: Path, size: int) -> None:
    """A synthetic store of ``size`` documents, written with Core bulk inserts."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    rng = random.Random(size)
    texts = [_text(rng) for _ in range(200)]
    start = datetime(2015, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(Publisher),
            [
                {"slug": f"publisher-{i}", "title": f"Publisher {i}", "kind": "government"}
                for i in range(10)
            ],
        )
        connection.execute(
            insert(Source),
            [
                {"key": "govuk-bench", "kind": "govuk_search", "config": {}},
                {"key": "feed-bench", "kind": "feed", "config": {}},
            ],
        )
        publisher_ids = list(connection.execute(select(Publisher.id)).scalars())
    for first in range(1, size + 1, CHUNK):
        ids = range(first, min(first + CHUNK, size + 1))
        documents, versions, links, sources, themes, statements, annotations = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        for i in ids:
            published = start + timedelta(hours=i)
            source = "govuk-bench" if i % 4 else "feed-bench"
            body = texts[i % len(texts)]
            documents.append(
                {
                    "id": i,
                    "canonical_url": f"https://example.org/doc/{i}",
                    "source_key": source,
                    "document_type": "press_release",
                    "title": f"Announcement {i}",
                    "description": "A synthetic announcement.",
                    "first_published_at": published,
                    "public_updated_at": published,
                    "latest_version": 1,
                    "publisher_id": publisher_ids[i % 10],
                    "created_at": published,
                    "updated_at": published,
                }
            )
            versions.append(
                {
                    "id": i,
                    "document_id": i,
                    "version_no": 1,
                    "content_hash": f"{i:064x}",
                    "body_known": True,
                    "title": f"Announcement {i}",
                    "body_html": "",
                    "body_text": body,
                    "published_at": published,
                    "fetched_at": published,
                    "meta": {},
                }
            )
            links.append({"document_id": i, "publisher_id": publisher_ids[i % 10]})
            sources.append({"document_id": i, "source_key": source, "first_seen_at": published})
            for k in range(3):
                themes.append(
                    {
                        "version_id": i,
                        "theme": THEMES[(i + k) % len(THEMES)],
                        "score": round(0.9 - 0.3 * k, 4),
                        "method": "rule",
                        "model_version": "bench-rules",
                        "evidence": [{"phrase": "x", "count": 1}],
                    }
                )
            for k in range(2):
                statements.append(
                    {
                        "version_id": i,
                        "actor": "department-for-education",
                        "direction": "increase",
                        "target": f"target {i % 50}",
                        "money_gbp": 1_000_000 * k or None,
                        "timeframe": None,
                        "sentence": body[:120],
                        "start_char": 0,
                        "end_char": 120,
                    }
                )
            annotations.append(
                {
                    "version_id": i,
                    "pipeline_name": "bench",
                    "pipeline_version": "bench-1",
                    "created_at": published,
                    "data": {
                        "words": 230,
                        "planning_score": 0.5,
                        "coherence_profile": {
                            "problem": True,
                            "intervention": True,
                            "outcome": False,
                            "resources": True,
                            "timeline": False,
                            "owner": True,
                            "evaluation": False,
                            "strategy_link": False,
                            "reactive_cue": i % 7 == 0,
                        },
                    },
                }
            )
        with engine.begin() as connection:
            for table, rows in (
                (Document, documents),
                (DocumentVersion, versions),
                (DocumentPublisher, links),
                (DocumentSource, sources),
                (DocumentTheme, themes),
                (Statement, statements),
                (Annotation, annotations),
            ):
                connection.execute(insert(table), rows)
    with engine.begin() as connection:
        signals = [
            {
                "id": n,
                "key": f"bench-{n}",
                "kind": "reversal",
                "score": 0.5,
                "explanation": "synthetic",
                "status": "open",
                "data": {"n": n},
                "first_seen_at": start,
                "updated_at": start,
            }
            for n in range(1, size // 100 + 1)
        ]
        connection.execute(insert(Signal), signals)
        connection.execute(
            insert(SignalEvidence),
            [
                {
                    "signal_id": s["id"],
                    "version_id": s["id"] * 100 - k,
                    "role": "member",
                    "text": "synthetic",
                }
                for s in signals
                for k in (0, 1)
            ],
        )
    engine.dispose()


def baseline(db: Path, out: Path) -> dict[str, float]:
    """One streamed query of latest versions and their documents, written as JSON lines."""
    engine = make_engine(f"sqlite:///{db}")
    query = (
        select(
            Document.id,
            Document.canonical_url,
            Document.title,
            Document.first_published_at,
            DocumentVersion.id,
            DocumentVersion.body_text,
        )
        .join(
            DocumentVersion,
            (DocumentVersion.document_id == Document.id)
            & (DocumentVersion.version_no == Document.latest_version),
        )
        .order_by(Document.id)
    )
    rows = 0
    with engine.connect() as connection, out.open("w", encoding="utf-8") as f:
        result = connection.execution_options(stream_results=True, yield_per=1000).execute(query)
        for document_id, url, title, published, version_id, text in result:
            f.write(
                json.dumps(
                    {
                        "document_id": document_id,
                        "url": url,
                        "title": title,
                        "published": published.isoformat(),
                        "version_id": version_id,
                        "text": text,
                    }
                )
                + "\n"
            )
            rows += 1
    return {"documents": rows, "all_rows": rows}


def child(db: Path, fmt: str, out: Path) -> None:
    """One measured run in this (fresh) process; prints its figures as JSON."""
    started = time.perf_counter()
    if fmt == "baseline":
        out.mkdir(parents=True, exist_ok=True)
        counts = baseline(db, out / "baseline.jsonl")
    else:
        from exports.writer import export_corpus

        manifest = export_corpus(make_engine(f"sqlite:///{db}"), out_dir=out, fmt=fmt)
        counts = {
            "documents": manifest.row_counts["documents"],
            "all_rows": sum(manifest.row_counts.values()),
        }
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({**counts, "seconds": seconds, "peak_mb": peak_kb / 1024}))


def measure(db: Path, fmt: str, out: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.exports", "--child", str(db), fmt, str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{fmt} run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", nargs=3, metavar=("DB", "FORMAT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        db, fmt, out = args.child
        child(Path(db), fmt, Path(out))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pw-export-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    peaks: dict[str, dict[int, float]] = {}
    print(
        f"{'documents':>9}  {'run':9} {'doc rows/s':>11} {'all rows/s':>11} "
        f"{'seconds':>8} {'peak RSS MB':>12}"
    )
    for size in args.sizes:
        db = workdir / f"store-{size}.db"
        if not db.exists():
            started = time.perf_counter()
            build_store(db, size)
            print(f"(built a {size:,}-document store in {time.perf_counter() - started:.0f} s)")
        for fmt in ("baseline", *FORMATS):
            figures = measure(db, fmt, workdir / f"out-{size}-{fmt}")
            assert figures["documents"] == size, figures
            peaks.setdefault(fmt, {})[size] = figures["peak_mb"]
            print(
                f"{size:>9,}  {fmt:9} {figures['documents'] / figures['seconds']:>11,.0f} "
                f"{figures['all_rows'] / figures['seconds']:>11,.0f} "
                f"{figures['seconds']:>8.1f} {figures['peak_mb']:>12.1f}"
            )
    if len(args.sizes) > 1:
        low, high = min(args.sizes), max(args.sizes)
        print(f"\npeak RSS at {high:,} vs {low:,} documents (flat memory: about 1.0x):")
        for fmt, by_size in peaks.items():
            print(
                f"  {fmt:9} {by_size[low]:7.1f} MB -> {by_size[high]:7.1f} MB "
                f"({by_size[high] / by_size[low]:.2f}x)"
            )
    print(f"\nstores and exports kept in {workdir}")


if __name__ == "__main__":
    main()
