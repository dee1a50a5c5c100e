"""Dashboard latency on a 100,000-document store, under concurrent load over loopback.

Run: ``.venv/bin/python -m benchmarks.dashboard [--documents 100000] [--requests 200]
[--concurrency 8] [--store PATH]``

1. Builds (or reuses, with ``--store``) a synthetic SQLite store: documents with
   a latest version indexed by FTS5, rule theme tags, one policy statement each
   (actor, target, some money), and signals of every kind joining two documents.
   Bulk inserts go through SQLAlchemy Core; the FTS trigger indexes every version.
2. Serves ``dashboards.app.create_app`` with uvicorn in a separate process on
   127.0.0.1, and sends requests from this process with ``--concurrency`` threads,
   each route ``--requests`` times with varied parameters (themes, words, signals).
3. Prints p50/p95/max per route, API and page alike, beside a same-process baseline:
   the same query function called directly (no HTTP, no JSON, no template), so the
   difference is what serving costs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, text
from sqlmodel import Session

from dashboards import queries
from dashboards.filters import Filters
from nlp.components.theme_ruler import load_data
from policywatch.store import migrate
from policywatch.store.db import make_engine
from policywatch.store.tables import (
    Document,
    DocumentPublisher,
    DocumentTheme,
    DocumentVersion,
    Publisher,
    Signal,
    SignalEvidence,
    Statement,
)

#: every theme of the taxonomy the language layer reads
THEMES = sorted(load_data()["themes"])
KINDS = ["contradiction", "reversal", "reannouncement", "reactive", "burst"]
PUBLISHERS = [f"publisher-{i:02d}" for i in range(20)]
TARGETS = [f"programme {i}" for i in range(400)]
SEARCH_WORDS = ["kinship", "inspection", "placements", "workforce", "capital", "adoption"]
BATCH = 5000


def _vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    made = {"".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(3000)}
    return sorted(made) + SEARCH_WORDS * 3


def build_store(path: Path, documents: int, seed: int = 7) -> None:
    """A synthetic store with ``documents`` documents and about one signal per 25."""
    rng = random.Random(seed)
    words = _vocabulary(rng)
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(Publisher),
            [{"slug": s, "title": s.title(), "kind": "government"} for s in PUBLISHERS],
        )
        publisher_ids = [row[0] for row in connection.execute(text("SELECT id FROM publisher"))]
    for offset in range(0, documents, BATCH):
        docs, versions, links, themes, statements = [], [], [], [], []
        for i in range(offset, min(offset + BATCH, documents)):
            doc_id = i + 1
            published = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 10))
            publisher = rng.choice(publisher_ids)
            title = " ".join(rng.choices(words, k=8)).capitalize()
            body = " ".join(rng.choices(words, k=80)) + "."
            docs.append(
                {"id": doc_id, "canonical_url": f"https://example.org/d/{doc_id}",
                 "source_key": "bench", "title": title, "description": "",
                 "first_published_at": published, "public_updated_at": published,
                 "latest_version": 1, "publisher_id": publisher, "document_type": "news",
                 "created_at": published, "updated_at": published}
            )  # fmt: skip
            versions.append(
                {"id": doc_id, "document_id": doc_id, "version_no": 1, "content_hash": f"{i:064x}",
                 "body_known": True, "title": title, "body_html": "", "body_text": body,
                 "published_at": published, "fetched_at": published, "meta": {}}
            )  # fmt: skip
            links.append({"document_id": doc_id, "publisher_id": publisher})
            for theme in rng.sample(THEMES, rng.randint(1, 3)):
                themes.append(
                    {"version_id": doc_id, "theme": theme, "score": rng.uniform(0.3, 1.0),
                     "method": "rule", "model_version": "bench", "evidence": []}
                )  # fmt: skip
            statements.append(
                {"version_id": doc_id, "actor": rng.choice(PUBLISHERS),
                 "direction": rng.choice(["increase", "decrease", "create"]),
                 "target": rng.choice(TARGETS), "sentence": body[:120], "start_char": 0,
                 "end_char": 120,
                 "money_gbp": rng.choice([None, None, rng.randint(1, 500) * 1_000_000])}
            )  # fmt: skip
        with engine.begin() as connection:
            connection.execute(insert(Document), docs)
            connection.execute(insert(DocumentVersion), versions)
            connection.execute(insert(DocumentPublisher), links)
            connection.execute(insert(DocumentTheme), themes)
            connection.execute(insert(Statement), statements)
    signals, evidence = [], []
    for n in range(documents // 25):
        a, b = sorted(rng.sample(range(1, documents + 1), 2))
        signals.append(
            {"id": n + 1, "key": f"bench-signal-{n + 1}", "kind": rng.choice(KINDS),
             "theme": rng.choice(THEMES), "target": rng.choice(TARGETS),
             "score": rng.random(), "explanation": "Synthetic signal for the benchmark.",
             "status": "open", "data": {}, "scope": "", "digest": ""}
        )  # fmt: skip
        for position, doc_id in enumerate((a, b)):
            evidence.append(
                {"signal_id": n + 1, "version_id": doc_id, "document_id": doc_id,
                 "role": "first" if position == 0 else "second", "position": position,
                 "start_char": 0, "end_char": 40, "text": f"Quote {position} of signal {n}."}
            )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(Signal), signals)
        connection.execute(insert(SignalEvidence), evidence)
        connection.execute(text("ANALYZE"))
    engine.dispose()


# -- the server and the load -------------------------------------------------------

SERVER = """
import sys, uvicorn
from dashboards.app import create_app
from policywatch.config import Settings
app = create_app(Settings(database_url=sys.argv[1], data_dir=sys.argv[2]))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, url, str(data_dir), str(port)])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/publishers", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the dashboard server did not start")


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def load(base: str, paths: list[str], concurrency: int) -> tuple[list[float], float]:
    """Latencies (ms) of GETting every path with ``concurrency`` threads, and requests/s."""
    local = threading.local()

    def one(path: str) -> float:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, timeout=60)
        began = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        return elapsed

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        samples = list(pool.map(one, paths))
    return samples, len(paths) / (time.perf_counter() - began)


def baseline(engine_url: str, calls: list[Callable[[Session], object]]) -> list[float]:
    """The same query functions called directly, one after another (ms each)."""
    engine = make_engine(engine_url)
    samples = []
    with Session(engine) as session:
        for call in calls:
            began = time.perf_counter()
            call(session)
            samples.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    return samples


def routes(rng: random.Random, n: int, signals: int) -> dict[str, tuple[list[str], list]]:
    """Per route: request paths, and the matching direct query calls for the baseline."""
    themes = [rng.choice(THEMES) for _ in range(n)]
    words = [rng.choice(SEARCH_WORDS) for _ in range(n)]
    keys = [f"bench-signal-{rng.randint(1, signals)}" for _ in range(n)]
    timeline = [f"/timeline?theme={t}&limit=100" for t in themes]
    search = [f"/search?q={w}&limit=20" for w in words]
    signal = [f"/signals/{k}" for k in keys]
    return {
        "timeline API": (
            [f"/api{p}" for p in timeline],
            [lambda s, t=t: queries.timeline(s, Filters(themes=[t], limit=100)) for t in themes],
        ),
        "timeline page": (timeline, None),
        "search API": (
            [f"/api{p}" for p in search],
            [lambda s, w=w: queries.search(s, Filters(q=w, limit=20)) for w in words],
        ),
        "search page": (search, None),
        "signal API": (
            [f"/api{p}" for p in signal],
            [lambda s, k=k: queries.signal_detail(s, k) for k in keys],
        ),
        "signal page": (signal, None),
        "signals list API": (
            [f"/api/signals?kind={rng.choice(KINDS)}&limit=50" for _ in range(n)],
            None,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per route")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--store", type=Path, help="reuse or keep the synthetic store here")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="pw-dashboard-bench-"))
    store = args.store or folder / "bench.db"
    if not store.exists():
        began = time.perf_counter()
        build_store(store, args.documents)
        print(
            f"built a store of {args.documents:,} documents in {time.perf_counter() - began:.0f} s"
        )
    url = f"sqlite:///{store.resolve()}"
    os.environ.setdefault("DO_NOT_TRACK", "1")
    rng = random.Random(11)
    plan = routes(rng, args.requests, max(1, args.documents // 25))
    process, base = start_server(url, folder / "data")
    try:
        load(base, [paths[0] for paths, _ in plan.values()], 1)  # warm caches and imports
        print(
            f"{args.documents:,} documents, {args.requests} requests per route, "
            f"{args.concurrency} concurrent clients in this process, "
            f"server (uvicorn, 1 worker) in another, SQLite, {os.cpu_count()} CPUs"
        )
        header = f"{'route':<18} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'req/s':>7}"
        print(f"{header}   same-process query p50 / p95 ms")
        for name, (paths, calls) in plan.items():
            samples, rate = load(base, paths, args.concurrency)
            p50, p95, worst = percentiles(samples)
            line = f"{name:<18} {p50:8.1f} {p95:8.1f} {worst:8.1f} {rate:7.1f}"
            if calls:
                b50, b95, _ = percentiles(baseline(url, calls))
                line += f"   {b50:.1f} / {b95:.1f}"
            print(line)
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
