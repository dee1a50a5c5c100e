"""Timeline speed on a synthetic store: full and incremental recompute, filtered queries.

Run: ``.venv/bin/python -m benchmarks.timeline [--documents 100000] [--postgres URL|auto|off]``

The store is made from the demo corpus, annotated once by the real language
layer, then copied row by row (documents, versions, annotations, statements,
theme tags) until it holds ``--documents`` documents. Each copy is varied:
its dates move 14 days later than the previous copy's (with a per-document
jitter of up to a week), about one statement in ten flips to another
direction, and every sterling amount is scaled by a per-copy factor, so
signals neither all coincide nor all vanish. Copies go in with bulk inserts:
annotating 100,000 documents with spaCy would measure the language layer,
not the timeline.

Figures, each beside a same-process baseline:

- **full recompute** of every signal, beside the time to read the facts the
  detectors need (``load_facts``: the floor any recompute pays);
- **incremental recompute** after 100 new documents (one slice of the corpus,
  touching nearly every theme and target), beside the full one, and after 100
  copies of one document (touching two themes and a few targets);
- **p50/p95 of a filtered timeline query** (theme + kinds + date range +
  minimum score, 50 per page, varied filters), beside an unfiltered
  ``SELECT ... ORDER BY last_date LIMIT 50`` over the same table.

On SQLite always; on PostgreSQL when it is reachable (``--postgres auto``
tries the local server on 127.0.0.1:5432 and makes a throwaway database).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine, make_url

from policywatch.fixture_site.corpus import load_corpus
from policywatch.store import migrate, session_scope
from policywatch.store.db import make_engine
from policywatch.store.tables import (
    Annotation,
    Document,
    DocumentPublisher,
    DocumentTheme,
    DocumentVersion,
    Event,
    Publisher,
    Signal,
    Statement,
)
from timeline.corpus_store import build_corpus_store
from timeline.facts import load_facts
from timeline.queries import timeline_signals
from timeline.recompute import recompute_signals

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SHIFT_DAYS = 14
#: the document copied for the narrow incremental case (two themes, one target)
NARROW = "dfe-2023-06-mental-health-assessments-entering-care"
CHUNK = 2000
DIRECTIONS = ["increase", "decrease", "maintain", "create", "abolish", "review"]
THEMES = ["residential_care", "workforce", "family_help", "kinship_care", "child_protection"]
KINDS = [["contradiction", "reversal"], ["reannouncement"], ["burst", "reactive"], None]


@dataclass
class Base:
    """The annotated demo corpus, read once, as rows to copy."""

    publishers: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    themes: list[dict[str, Any]]
    doc_publishers: list[dict[str, Any]]
    events: list[dict[str, Any]]


def rows(engine: Engine, table: type) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        result = connection.execute(select(table.__table__))  # type: ignore[attr-defined]
        return [dict(row._mapping) for row in result]


def annotated_base(folder: Path) -> Base:
    engine = make_engine(f"sqlite:///{folder / 'base.db'}")
    migrate.upgrade(engine)
    build_corpus_store(engine, [load_corpus()])
    base = Base(
        publishers=rows(engine, Publisher),
        documents=rows(engine, Document),
        versions=[v for v in rows(engine, DocumentVersion) if v["body_known"]],
        annotations=rows(engine, Annotation),
        statements=rows(engine, Statement),
        themes=[t for t in rows(engine, DocumentTheme) if t["method"] == "rule"],
        doc_publishers=rows(engine, DocumentPublisher),
        events=rows(engine, Event),
    )
    engine.dispose()
    return base


class Copier:
    """Writes varied copies of the base corpus into a store, with explicit ids."""

    def __init__(self, engine: Engine, base: Base, seed: int = 7) -> None:
        self.engine = engine
        self.base = base
        self.random = random.Random(seed)
        self.per_copy = len(base.documents)
        self.latest = {v["document_id"]: v for v in base.versions}
        self.annotation = {a["version_id"]: a for a in base.annotations}
        self.statements: dict[int, list[dict[str, Any]]] = {}
        for statement in base.statements:
            self.statements.setdefault(statement["version_id"], []).append(statement)
        self.themes: dict[int, list[dict[str, Any]]] = {}
        for theme in base.themes:
            self.themes.setdefault(theme["version_id"], []).append(theme)
        self.publishers: dict[int, list[dict[str, Any]]] = {}
        for link in base.doc_publishers:
            self.publishers.setdefault(link["document_id"], []).append(link)
        self.next_statement = 1
        self.next_theme = 1

    def prepare(self) -> None:
        migrate.upgrade(self.engine)
        with self.engine.begin() as connection:
            connection.execute(insert(Publisher.__table__), self.base.publishers)  # type: ignore[attr-defined]
            if self.base.events:
                connection.execute(insert(Event.__table__), self.base.events)  # type: ignore[attr-defined]

    def add(self, first: int, count: int) -> None:
        """Documents number ``first`` .. ``first + count - 1`` of the synthetic sequence."""
        batch: dict[str, list[dict[str, Any]]] = {
            name: [] for name in ("doc", "ver", "ann", "stm", "thm", "pub")
        }
        for n in range(first, first + count):
            self._copy(n, batch)
            if len(batch["doc"]) >= CHUNK:
                self._flush(batch)
        self._flush(batch)

    def add_one_kind(self, after: int, count: int, slug: str) -> None:
        """``count`` more copies of one corpus document (so few themes and targets are
        touched), numbered after document ``after``."""
        index = next(
            (i for i, d in enumerate(self.base.documents) if d["canonical_url"].endswith(slug)), 0
        )
        first_copy = after // self.per_copy + 1
        batch: dict[str, list[dict[str, Any]]] = {
            name: [] for name in ("doc", "ver", "ann", "stm", "thm", "pub")
        }
        for j in range(count):
            self._copy((first_copy + j) * self.per_copy + index, batch)
        self._flush(batch)

    def _copy(self, n: int, batch: dict[str, list[dict[str, Any]]]) -> None:
        copy, index = divmod(n, self.per_copy)
        source = self.base.documents[index]
        version = self.latest.get(source["id"])
        if version is None:
            return
        shift = timedelta(days=copy * SHIFT_DAYS + self.random.randint(0, 7))
        when = source["first_published_at"] + shift
        document_id = version_id = n + 1
        batch["doc"].append(
            {
                **source,
                "id": document_id,
                "canonical_url": f"{source['canonical_url']}/copy-{copy}",
                "first_published_at": when,
                "public_updated_at": when,
                "latest_version": 1,
            }
        )
        batch["ver"].append(
            {**version, "id": version_id, "document_id": document_id, "version_no": 1}
        )
        annotation = self.annotation.get(version["id"])
        if annotation is not None:
            data = dict(annotation["data"])
            factor = 1 + copy % 11
            data["money"] = [
                {**m, "gbp": (m.get("gbp") or 0) * factor or None} for m in data.get("money", [])
            ]
            batch["ann"].append(
                {**annotation, "id": version_id, "version_id": version_id, "data": data}
            )
        for statement in self.statements.get(version["id"], []):
            direction = statement["direction"]
            if self.random.random() < 0.1:
                direction = self.random.choice(DIRECTIONS)
            batch["stm"].append(
                {
                    **statement,
                    "id": self.next_statement,
                    "version_id": version_id,
                    "direction": direction,
                    "money_gbp": statement["money_gbp"] and statement["money_gbp"] * factor,
                }
            )
            self.next_statement += 1
        for theme in self.themes.get(version["id"], []):
            batch["thm"].append({**theme, "id": self.next_theme, "version_id": version_id})
            self.next_theme += 1
        for link in self.publishers.get(source["id"], []):
            batch["pub"].append({**link, "document_id": document_id})

    def _flush(self, batch: dict[str, list[dict[str, Any]]]) -> None:
        tables = {
            "doc": Document,
            "ver": DocumentVersion,
            "ann": Annotation,
            "stm": Statement,
            "thm": DocumentTheme,
            "pub": DocumentPublisher,
        }
        with self.engine.begin() as connection:
            for name, table in tables.items():
                if batch[name]:
                    connection.execute(insert(table.__table__), batch[name])  # type: ignore[attr-defined]
                    batch[name].clear()

    def fix_sequences(self) -> None:
        """PostgreSQL: move id sequences past the explicit ids."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as connection:
            for table in (
                "document",
                "documentversion",
                "annotation",
                "statement",
                "documenttheme",
            ):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def query_times(engine: Engine, repeats: int) -> tuple[list[float], list[float]]:
    """Filtered timeline queries and the unfiltered baseline, seconds each."""
    filtered, baseline = [], []
    picker = random.Random(3)
    with session_scope(engine) as session:
        for i in range(repeats):
            year = picker.randint(2016, 2035)
            filters = {
                "themes": [THEMES[i % len(THEMES)]],
                "kinds": KINDS[i % len(KINDS)],
                "since": datetime(year, 1, 1, tzinfo=UTC),
                "until": datetime(year + 3, 1, 1, tzinfo=UTC),
                "min_score": 0.5,
            }
            seconds, _ = timed(lambda f=filters: timeline_signals(session, limit=50, **f))  # type: ignore[misc]
            filtered.append(seconds)
            seconds, _ = timed(
                lambda: session.execute(
                    select(Signal.__table__).order_by(Signal.last_date).limit(50)  # type: ignore[attr-defined]
                ).all()
            )
            baseline.append(seconds)
    return filtered, baseline


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_backend(name: str, engine: Engine, base: Base, documents: int, repeats: int) -> None:
    copier = Copier(engine, base)
    copier.prepare()
    seconds, _ = timed(lambda: copier.add(0, documents - 100))
    copier.fix_sequences()
    print(f"\n[{name}] built {documents - 100:,} documents in {seconds:.1f} s")

    def read_facts() -> int:
        with session_scope(engine) as session:
            return len(load_facts(session).statements)

    load_s, positions = timed(read_facts)
    full_s, full = timed(lambda: recompute_signals(engine, full=True))
    print(
        f"[{name}] full recompute: {full_s:8.2f} s   ({full.created:,} signals; baseline: "
        f"reading the facts, {positions:,} positions, {load_s:.2f} s = "
        f"{full_s / load_s:.1f}x baseline)"
    )
    copier.add(documents - 100, 100)
    copier.fix_sequences()
    inc_s, inc = timed(lambda: recompute_signals(engine))
    print(
        f"[{name}] incremental after 100 new documents: {inc_s:8.2f} s   "
        f"({inc.themes_recomputed} themes, {inc.targets_recomputed} targets; {inc.created} "
        f"created, {inc.updated} updated, {inc.withdrawn} withdrawn; "
        f"{inc_s / full_s:.0%} of the full recompute)"
    )
    copier.add_one_kind(documents + copier.per_copy, 100, NARROW)
    copier.fix_sequences()
    one_s, one = timed(lambda: recompute_signals(engine))
    print(
        f"[{name}] incremental after 100 new copies of one document: {one_s:8.2f} s   "
        f"({one.themes_recomputed} themes, {one.targets_recomputed} targets; {one.created} "
        f"created, {one.updated} updated; {one_s / full_s:.0%} of the full recompute)"
    )
    filtered, baseline = query_times(engine, repeats)
    p50, p95 = percentile(filtered, 50) * 1000, percentile(filtered, 95) * 1000
    print(
        f"[{name}] filtered timeline query ({repeats} runs, 50 per page): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
        f"   (baseline unfiltered page: p50 {percentile(baseline, 50) * 1000:.1f} ms, "
        f"p95 {percentile(baseline, 95) * 1000:.1f} ms)"
    )


def postgres_engine(option: str) -> tuple[Engine | None, Callable[[], None]]:
    if option == "off":
        return None, lambda: None
    admin_url = PG_ADMIN if option == "auto" else option
    name = f"policywatch_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL not reachable at {admin_url} ({type(exc).__name__}): skipped")
        return None, lambda: None
    engine = make_engine(make_url(admin_url).set(database=name).render_as_string(False))

    def drop() -> None:
        engine.dispose()
        with suppress(Exception), admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return engine, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--postgres", default="auto", help="a URL, 'auto' or 'off'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seconds, base = timed(lambda: annotated_base(folder))
        print(
            f"base: {len(base.documents)} demo documents annotated in {seconds:.1f} s; "
            f"synthetic store: {args.documents:,} documents"
        )
        sqlite = make_engine(f"sqlite:///{folder / 'bench.db'}")
        run_backend("sqlite", sqlite, base, args.documents, args.queries)
        sqlite.dispose()
        engine, drop = postgres_engine(args.postgres)
        if engine is not None:
            try:
                run_backend("postgresql", engine, base, args.documents, args.queries)
            finally:
                drop()


if __name__ == "__main__":
    main()
