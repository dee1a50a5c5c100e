"""What orchestration costs: the pipeline through the Prefect flows beside the bare stage functions.

Run: ``.venv/bin/python -m benchmarks.pipeline [--documents 2000]``

The demo corpus is scaled to ``--documents`` distinct documents (copies get
their own URL and id) and written as raw crawl files. Two fresh SQLite
stores get the same data and the same classifier models (trained once,
before any timing, with the fixed seed):

- **flows**: the ``ingest`` flow over the raw files, then the ``pipeline``
  flow without crawling (annotate in ``annotate-batch-i-of-n`` tasks,
  classify, signals, alert matching and sending), as ``policywatch run``
  runs them, against Prefect's temporary local API (started before timing;
  its start-up is printed on its own line);
- **bare**: the same library functions called directly, one after another:
  ``ingest_file``, ``load_pipeline`` + ``annotate_pending``,
  ``classify_pending``, ``recompute_signals``, ``match_new``, ``drain_outbox``.

Both sides are warmed up first on an empty store (imports, caches; the spaCy
pipeline is still loaded inside each side's annotate stage). It prints
documents/s per stage for both, the end-to-end figure for both
(wall time from the first call to the last return), and the ratio
flows / bare of the end-to-end times (the target is at most 1.15). On a
shared machine wall time also carries other processes' load, so it prints
the CPU time each side spent too (this process plus Prefect's API server). Crawling
is measured by ``benchmarks/crawl.py``: here the documents come from files.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from policywatch.config import Settings
from policywatch.fixture_site.corpus import load_corpus
from policywatch.store import make_engine, migrate, session_scope

FILES = 4


def scaled_raw_files(folder: Path, documents: int) -> list[Path]:
    """The corpus copied until there are ``documents`` items, as ``FILES`` raw JSONL files."""
    corpus = load_corpus().documents
    lines = []
    for n in range(documents):
        document = corpus[n % len(corpus)]
        copy = n // len(corpus)
        published = document.versions[0].public_timestamp.isoformat()
        updated = document.versions[-1].public_timestamp.isoformat()
        lines.append(
            json.dumps(
                {
                    "kind": "announcement",
                    "source_key": "bench",
                    "url": f"https://www.gov.uk/bench/{copy}/{document.id}",
                    "external_id": f"bench-{copy}-{document.id}",
                    "title": document.title,
                    "description": document.description,
                    "body_html": "",
                    "body_text": " ".join(document.body.split()),
                    "document_type": document.document_type,
                    "organisations": [{"slug": document.publisher, "title": document.publisher}],
                    "first_published_at": published,
                    "public_updated_at": updated,
                    "fetched_at": "2026-11-23T00:00:00+00:00",
                    "warnings": [],
                }
            )
        )
    paths = []
    for i in range(FILES):
        path = folder / f"raw-{i}.jsonl"
        path.write_text("".join(f"{line}\n" for line in lines[i::FILES]), encoding="utf-8")
        paths.append(path)
    return paths


def fresh_store(folder: Path, models: list[dict[str, Any]]) -> str:
    """A migrated SQLite store with the given classifier models registered and active."""
    from policywatch.store.writes import register_model

    url = f"sqlite:///{folder / 'store.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        for model in models:
            register_model(session, **model, activate=True)
    engine.dispose()
    return url


def train_models(folder: Path) -> list[dict[str, Any]]:
    """The default classifiers (fixed seed), trained once for both stores."""
    from models.training import TASKS, train_model

    models = []
    for task in TASKS:
        result = train_model(task, out_dir=folder)
        models.append(
            {
                "name": task,
                "version": result.card["version"],
                "path": str(result.folder.resolve()),
                "card": result.card,
            }
        )
    return models


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def cpu_seconds() -> float:
    """CPU time of this process and its children (Prefect's temporary API server).

    The machine is shared, so wall time also measures everyone else's load; CPU
    time is what each side itself spent.
    """
    import psutil

    me = psutil.Process()
    total = 0.0
    for process in [me, *me.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def run_bare(url: str, raw: list[Path], settings: Settings) -> dict[str, float]:
    """Each stage's library function, called directly; seconds per stage."""
    from alerts.matching import match_new
    from alerts.sender import drain_outbox
    from models.tagging import classify_pending
    from nlp.annotate import annotate_pending
    from nlp.pipeline import load_pipeline
    from policywatch.ingest import ingest_file
    from timeline.recompute import recompute_signals

    engine = make_engine(url)
    seconds: dict[str, float] = {}

    def ingest() -> None:
        for path in raw:
            with session_scope(engine) as session:
                ingest_file(session, path=path, source_key="bench")

    def annotate() -> None:
        pipeline, info = load_pipeline(settings.spacy_model)
        annotate_pending(engine, pipeline, info, batch_size=settings.nlp_batch_size)

    seconds["ingest"], _ = timed(ingest)
    seconds["annotate"], _ = timed(annotate)
    seconds["classify"], _ = timed(lambda: classify_pending(engine))
    seconds["signals"], _ = timed(lambda: recompute_signals(engine))
    seconds["match"], _ = timed(lambda: match_new(engine, settings))
    seconds["send"], _ = timed(lambda: drain_outbox(engine, settings))
    engine.dispose()
    return seconds


def run_flows(raw: list[Path]) -> tuple[dict[str, float], float]:
    """The ingest flow and the pipeline flow; seconds per stage and end to end."""
    from flows.crawl import ingest_flow
    from flows.pipeline import run_pipeline

    started = time.perf_counter()
    ingested = ingest_flow(paths=[str(p) for p in raw], source_key="bench")
    summary = run_pipeline(crawl=False)
    end_to_end = time.perf_counter() - started
    if summary.failed:
        raise SystemExit(f"a stage failed: {[(s.stage, s.error) for s in summary.failed]}")
    stages = {s.stage: s.seconds for s in [*ingested.stages, *summary.stages]}
    return stages, end_to_end


def count(url: str) -> int:
    from sqlmodel import Session, func, select

    from policywatch.store.tables import Annotation

    engine = make_engine(url)
    with Session(engine) as session:
        found = session.exec(select(func.count()).select_from(Annotation)).one()
    engine.dispose()
    return int(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        os.environ["PREFECT_HOME"] = str(root / "prefect")
        raw = scaled_raw_files(root, args.documents)
        print(f"corpus: {args.documents} documents in {FILES} raw files; training the models once")
        models = train_models(root / "models")
        for name in ("bare", "flows"):
            (root / name).mkdir()
        bare_url = fresh_store(root / "bare", models)
        flows_url = fresh_store(root / "flows", models)

        # warm-up on an empty store, so neither side pays first imports or cold caches
        (root / "warm").mkdir()
        warm_url = fresh_store(root / "warm", models)
        run_bare(warm_url, [], Settings(data_dir=root / "warm", database_url=warm_url))

        base = Settings(data_dir=root / "bare", database_url=bare_url)
        cpu = cpu_seconds()
        bare_total, bare = timed(lambda: run_bare(bare_url, raw, base))
        bare_cpu = cpu_seconds() - cpu

        os.environ["POLICYWATCH_DATA_DIR"] = str(root / "flows")
        os.environ["POLICYWATCH_DATABASE_URL"] = flows_url
        from prefect import flow

        @flow(name="warm-up")
        def warm_up() -> None:
            return None

        server_start, _ = timed(warm_up)  # starts Prefect's temporary API (not counted)
        cpu = cpu_seconds()
        flows, flows_total = run_flows(raw)
        flows_cpu = cpu_seconds() - cpu

        assert count(bare_url) == count(flows_url) == args.documents, "both annotate everything"
        print(f"Prefect temporary API start-up (excluded): {server_start:.1f} s")
        print(f"{'stage':10s} {'bare docs/s':>12s} {'flows docs/s':>13s} {'ratio':>6s}")
        for stage in ("ingest", "annotate", "classify", "signals", "match", "send"):
            b, f = bare[stage], flows.get(stage, 0.0)
            if stage == "ingest" or f:
                print(
                    f"{stage:10s} {args.documents / b:12.1f} {args.documents / f:13.1f} "
                    f"{f / b:6.2f}"
                )
        print(
            f"{'end to end':10s} {args.documents / bare_total:12.1f} "
            f"{args.documents / flows_total:13.1f} {flows_total / bare_total:6.2f}"
        )
        print(
            f"end to end: bare {bare_total:.1f} s (sum of the stage functions), "
            f"flows {flows_total:.1f} s (2 flow runs); ratio flows/bare "
            f"{flows_total / bare_total:.3f} (target <= 1.15)"
        )
        print(
            f"CPU time (this process and Prefect's API server): bare {bare_cpu:.1f} s, "
            f"flows {flows_cpu:.1f} s; ratio flows/bare {flows_cpu / bare_cpu:.3f}"
        )


if __name__ == "__main__":
    main()
