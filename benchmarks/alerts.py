"""Alert matching speed: the subscription index beside a naive loop over all pairs.

Run: ``.venv/bin/python -m benchmarks.alerts [--documents 1000] [--signals 100]
[--subscriptions 10000] [--store]``

Both sides take the same items and the same compiled subscriptions and make
the same decision per pair (``CompiledFilter.accepts``); the naive side calls
it for every (item, subscription) pair, the indexed side once per candidate
group of identical filters that :class:`alerts.index.SubscriptionIndex`
returns. (The "why" phrases are built afterwards, per delivery, the same way
for both, so they are not part of the comparison.) Times are CPU seconds of
this process (``time.process_time``, garbage collector paused as ``timeit``
does), so other work on a shared machine does not distort the ratio. The run checks that
both find exactly the same matches, then prints both times and their ratio
(target: indexed at least 10x faster).

Items are built from the demo corpus (its real titles, bodies, labelled themes,
publishers and statement targets), copied until there are enough;
subscriptions are a seeded mix of what sector bodies ask for: themes,
keywords with phrases, exclusions and OR, publishers, targets, document types,
signal kinds with a minimum score. ``--store`` also times ``match_new`` end to
end on a fresh SQLite store holding the same documents and signals.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections import Counter
from datetime import UTC, datetime

from alerts.filters import SIGNAL_KINDS, CompiledFilter, Filters, MatchItem, normalise
from alerts.index import SubscriptionIndex, match_naively
from alerts.keywords import Text, words
from policywatch.fixture_site.corpus import load_corpus

SEED = 20261123
NOW = datetime(2026, 3, 10, tzinfo=UTC)


def corpus_items(documents: int, signals: int, rng: random.Random) -> list[MatchItem]:
    """``documents`` document items and ``signals`` signal items drawn from the demo corpus."""
    corpus = [d for d in load_corpus().documents if d.body]
    items: list[MatchItem] = []
    for n in range(documents):
        doc = corpus[n % len(corpus)]
        text = f"{doc.title}\n\n{doc.body}"
        items.append(
            MatchItem(
                kind="document",
                id=n + 1,
                version_id=n + 1,
                themes=frozenset(doc.labels.themes),
                targets=frozenset(normalise(s.target) for s in doc.labels.statements),
                actors=frozenset(normalise(s.actor) for s in doc.labels.statements),
                publishers=frozenset({doc.publisher, *(doc.other_publishers or ())}),
                document_type=doc.document_type,
                signal_kind=None,
                score=None,
                text=Text(text),
                published_at=NOW,
            )
        )
    statements = [(d, s) for d in corpus for s in d.labels.statements]
    for n in range(signals):
        (first, a), (second, b) = rng.sample(statements, 2)
        theme = rng.choice(first.labels.themes or ("funding",))
        items.append(
            MatchItem(
                kind="signal",
                id=n + 1,
                version_id=None,
                themes=frozenset({theme}),
                targets=frozenset({normalise(a.target)}),
                actors=frozenset({normalise(a.actor), normalise(b.actor)}),
                publishers=frozenset({first.publisher, second.publisher}),
                document_type=None,
                signal_kind=rng.choice(SIGNAL_KINDS),
                score=round(rng.random(), 2),
                text=Text(f"{a.target} stated both ways.\n{a.sentence}\n{b.sentence}"),
                published_at=NOW,
            )
        )
    return items


def synthetic_filters(count: int, rng: random.Random) -> list[CompiledFilter]:
    """A seeded mix of subscriptions like the ones sector bodies write."""
    corpus = [d for d in load_corpus().documents if d.body]
    themes = sorted({t for d in corpus for t in d.labels.themes})
    publishers = sorted({d.publisher for d in corpus})
    types = sorted({d.document_type for d in corpus})
    targets = sorted({s.target for d in corpus for s in d.labels.statements})
    frequency = Counter(w for d in corpus for w in set(words(f"{d.title} {d.body}")))
    vocabulary = sorted(w for w, n in frequency.items() if 2 <= n <= 12 and len(w) > 4)
    phrases = [t for t in targets if len(t.split()) > 1]
    filters = []
    for n in range(count):
        profile = rng.random()
        data: dict[str, object] = {}
        if profile < 0.10:  # a broad theme follower
            data["themes"] = [rng.choice(themes)]
        elif profile < 0.35:  # a theme narrowed by words
            data["themes"] = rng.sample(themes, rng.choice((1, 1, 2)))
            data["keywords"] = f"{rng.choice(vocabulary)} -{rng.choice(vocabulary)}"
        elif profile < 0.60:  # keywords alone
            kind = rng.random()
            if kind < 0.4:
                data["keywords"] = rng.choice(vocabulary)
            elif kind < 0.7:
                data["keywords"] = f"{rng.choice(vocabulary)} OR {rng.choice(vocabulary)}"
            else:
                data["keywords"] = f'"{rng.choice(phrases)}" AND NOT {rng.choice(vocabulary)}'
        elif profile < 0.70:  # one publisher on one theme
            data["publishers"] = [rng.choice(publishers)]
            data["themes"] = [rng.choice(themes)]
        elif profile < 0.80:  # signals only
            data["signal_kinds"] = rng.sample(SIGNAL_KINDS, rng.choice((1, 2)))
            data["min_score"] = rng.choice((0.5, 0.7, 0.9))
            data["items"] = "signals"
            if rng.random() < 0.5:
                data["themes"] = [rng.choice(themes)]
        elif profile < 0.90:  # a policy target
            data["targets"] = [rng.choice(targets)]
        elif profile < 0.97:  # a kind of document on a theme
            data["document_types"] = [rng.choice(types)]
            data["themes"] = [rng.choice(themes)]
        else:  # an exclusion only: nothing to anchor on, always a candidate
            data["themes"] = [rng.choice(themes)]
            data["keywords"] = f"NOT {rng.choice(vocabulary)}"
        filters.append(CompiledFilter(n + 1, f"subscription {n + 1}", Filters.model_validate(data)))
    return filters


Matches = list[list[tuple[CompiledFilter, list[int]]]]


def run_naive(filters: list[CompiledFilter], items: list[MatchItem]) -> Matches:
    return [match_naively(filters, item) for item in items]


def run_indexed(index: SubscriptionIndex, items: list[MatchItem]) -> Matches:
    return [index.match(item) for item in items]


def as_pairs(items: list[MatchItem], matches: Matches) -> set[tuple[str, int, int]]:
    """Every matched (item kind, item id, subscription id), to compare the two sides."""
    return {
        (item.kind, item.id, sid)
        for item, found in zip(items, matches, strict=True)
        for _, sids in found
        for sid in sids
    }


def store_run(items: list[MatchItem], filters: list[CompiledFilter]) -> tuple[float, int]:
    """Time match_new end to end on SQLite with these items and subscriptions stored."""
    import tempfile
    from pathlib import Path

    from alerts.matching import match_new
    from policywatch.config import Settings
    from policywatch.store import migrate, session_scope
    from policywatch.store.db import make_engine
    from policywatch.store.tables import (
        Annotation,
        DocumentTheme,
        Signal,
        Subscription,
    )
    from tests.store.helpers import add_document

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate.upgrade(engine)
        with session_scope(engine) as session:
            for item in items:
                if item.kind == "document":
                    title, _, body = item.text.joined.strip().partition(" ")
                    result = add_document(
                        session,
                        url=f"https://example.org/{item.id}",
                        title=title,
                        body=body,
                        publisher=sorted(item.publishers)[0],
                        published=NOW,
                        document_type=item.document_type or "",
                    )
                    session.add(
                        Annotation(
                            version_id=result.version_id,
                            pipeline_name="b",
                            pipeline_version="1",
                            data={},
                        )
                    )
                    for theme in item.themes:
                        session.add(
                            DocumentTheme(
                                version_id=result.version_id, theme=theme, score=0.9, method="rule"
                            )
                        )
                else:
                    session.add(
                        Signal(
                            key=f"s{item.id}",
                            kind=item.signal_kind or "burst",
                            theme=next(iter(item.themes), None),
                            score=item.score or 0,
                            explanation=item.text.joined,
                            first_seen_at=NOW,
                        )
                    )
            for f in filters:
                session.add(
                    Subscription(
                        name=f.name,
                        channel="atom",
                        token=f"t{f.subscription_id}",
                        filters=f.filters.model_dump(),
                        confirmed_at=NOW,
                    )
                )
        settings = Settings(database_url=str(engine.url), alerts_max_age_days=30)
        start = time.perf_counter()
        report = match_new(engine, settings, now=NOW)
        elapsed = time.perf_counter() - start
        engine.dispose()
    return elapsed, report.deliveries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--signals", type=int, default=100)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--store", action="store_true", help="also time match_new on SQLite")
    args = parser.parse_args()

    rng = random.Random(SEED)
    items = corpus_items(args.documents, args.signals, rng)
    filters = synthetic_filters(args.subscriptions, rng)

    gc.collect()
    gc.disable()  # as timeit does: a collection landing in one side's run is noise
    try:
        start = time.process_time()
        index = SubscriptionIndex(filters)
        built = time.process_time() - start
        start = time.process_time()
        indexed_matches = run_indexed(index, items)
        indexed_time = time.process_time() - start
        start = time.process_time()
        naive_matches = run_naive(filters, items)
        naive_time = time.process_time() - start
    finally:
        gc.enable()
    indexed, naive = as_pairs(items, indexed_matches), as_pairs(items, naive_matches)

    if indexed != naive:
        raise SystemExit(f"MISMATCH: indexed {len(indexed)} matches, naive {len(naive)}")
    pairs = len(items) * len(filters)
    groups = sum(len(index.candidates(item)) for item in items)
    candidates = sum(index.candidate_pairs(item) for item in items)
    lines = [
        f"items: {args.documents} documents + {args.signals} signals; "
        f"subscriptions: {args.subscriptions}; pairs: {pairs:,}",
        f"matches (identical on both sides): {len(indexed):,}",
        f"naive loop over all pairs : {naive_time:8.3f} s CPU",
        f"indexed (incl. build {built:.3f} s): {indexed_time + built:8.3f} s CPU "
        f"({len(index.groups):,} distinct filters; {groups:,} filter evaluations for "
        f"{candidates:,} candidate pairs, {candidates / pairs:.1%} of all pairs)",
        f"speed-up: {naive_time / (indexed_time + built):.1f}x (target >= 10x)",
    ]
    if args.store:
        elapsed, deliveries = store_run(items, filters)
        lines.append(
            f"match_new end to end on SQLite (wall clock): {elapsed:.3f} s, {deliveries:,} "
            "deliveries written (statement targets and actors are not stored in this run, "
            "so fewer than above)"
        )
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
