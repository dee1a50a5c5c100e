"""An inverted index over subscriptions, so an item is checked only against those that could match.

Each subscription is filed under one facet it constrains, the most selective
one it has (keyword anchors, then targets, actors, document types, publishers,
signal kinds, themes), under each value that facet allows. An item then
collects candidates by looking up its own values in each facet, plus the few
subscriptions that constrain nothing indexable, and only those candidates are
evaluated in full. Since a matching item must carry one of the allowed values
of every facet a subscription constrains, no match is lost: the benchmark
checks the result equals the naive loop's.

There is one index per item kind because facets apply differently to
documents and signals (a document-type filter says nothing about a signal).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from alerts.filters import CompiledFilter, MatchItem

#: (facet, how a filter's allowed values are keyed, how an item's values are keyed)
Keys = Callable[[CompiledFilter], Iterable[str] | None]
ItemKeys = Callable[[MatchItem], Iterable[str]]


def _keyword_keys(f: CompiledFilter) -> Iterable[str] | None:
    return f.keywords.anchors() if f.keywords is not None else None


def _phrase_keys(phrases: tuple[tuple[str, ...], ...]) -> Iterable[str] | None:
    return {max(p, key=len) for p in phrases} if phrases else None


def _item_vocabulary(item: MatchItem) -> Iterable[str]:
    return item.text.vocabulary


FACETS: dict[str, list[tuple[str, Keys, ItemKeys]]] = {
    "document": [
        ("keywords", _keyword_keys, _item_vocabulary),
        ("targets", lambda f: _phrase_keys(f.targets), lambda i: i.target_words),
        ("actors", lambda f: _phrase_keys(f.actors), lambda i: i.actor_words),
        (
            "document_types",
            lambda f: f.document_types or None,
            lambda i: [(i.document_type or "").lower()],
        ),
        ("publishers", lambda f: f.publishers or None, lambda i: i.publishers),
        ("themes", lambda f: f.themes or None, lambda i: i.themes),
    ],
    "signal": [
        ("keywords", _keyword_keys, _item_vocabulary),
        ("targets", lambda f: _phrase_keys(f.targets), lambda i: i.target_words),
        ("actors", lambda f: _phrase_keys(f.actors), lambda i: i.actor_words),
        ("publishers", lambda f: f.publishers or None, lambda i: i.publishers),
        ("signal_kinds", lambda f: f.signal_kinds or None, lambda i: [i.signal_kind or ""]),
        ("themes", lambda f: f.themes or None, lambda i: i.themes),
    ],
}


class SubscriptionIndex:
    """Candidate lookup for one set of compiled filters."""

    def __init__(self, filters: Iterable[CompiledFilter]) -> None:
        self.filters = {f.subscription_id: f for f in filters}
        self._postings: dict[str, dict[str, dict[str, list[int]]]] = {}
        self._unindexed: dict[str, list[int]] = {}
        for kind, facets in FACETS.items():
            postings: dict[str, dict[str, list[int]]] = {
                name: defaultdict(list) for name, *_ in facets
            }
            unindexed: list[int] = []
            for f in self.filters.values():
                if not f.applies_to(kind):
                    continue
                for name, keys, _ in facets:
                    values = keys(f)
                    if values:
                        for value in values:
                            postings[name][value].append(f.subscription_id)
                        break
                else:
                    unindexed.append(f.subscription_id)
            self._postings[kind] = {name: dict(p) for name, p in postings.items()}
            self._unindexed[kind] = unindexed

    def candidates(self, item: MatchItem) -> set[int]:
        """Subscriptions that may match ``item`` (a superset of those that do)."""
        found = set(self._unindexed[item.kind])
        for name, _, item_keys in FACETS[item.kind]:
            postings = self._postings[item.kind][name]
            if not postings:
                continue
            values = item_keys(item)
            if len(postings) < 64 and name == "keywords":
                values = [v for v in postings if v in item.text.vocabulary]
            for value in values:
                hit = postings.get(value)
                if hit:
                    found.update(hit)
        return found

    def match(self, item: MatchItem) -> list[tuple[CompiledFilter, list[str]]]:
        """The subscriptions ``item`` matches, each with its reasons, by subscription id."""
        matched = []
        for subscription_id in sorted(self.candidates(item)):
            f = self.filters[subscription_id]
            reasons = f.reasons(item)
            if reasons is not None:
                matched.append((f, reasons))
        return matched


def match_naively(
    filters: Iterable[CompiledFilter], item: MatchItem
) -> list[tuple[CompiledFilter, list[str]]]:
    """Every subscription checked against ``item``: the baseline the benchmark measures.

    ``filters`` should be in subscription-id order, as :meth:`SubscriptionIndex.match` returns.
    """
    matched = []
    for f in filters:
        reasons = f.reasons(item)
        if reasons is not None:
            matched.append((f, reasons))
    return matched
