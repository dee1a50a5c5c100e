"""An inverted index over subscriptions, so an item is checked only against those that could match.

Identical filters are grouped and evaluated once. Each group is filed under
the two facets it constrains that are likely to be most selective (see
``FACETS``), keyed by every pair of allowed values (a theme and a keyword
anchor, a theme and a publisher), or under its one facet if it has only one.
An item collects candidates by looking up the pairs of its own values, plus
the few groups that constrain nothing indexable, and only those candidates
are evaluated in full. A matching item carries one allowed value of every
facet a filter constrains, so no match is lost: the benchmark checks the
result equals the naive loop's, pair for pair.

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
    return item.text.index_keys


#: facet -> (filter keys, item keys, rough share of items one allowed value lets through).
#: The shares only rank facets, so each group is filed under the facets likely to let
#: the fewest items reach it: a rare word beats a theme, a theme beats a department that
#: publishes half of everything. Facets with many values per item come last, so they
#: are the inner level of a pair and are probed by set membership.
Facet = tuple[str, Keys, ItemKeys, float]

_KEYWORDS: Facet = ("keywords", _keyword_keys, _item_vocabulary, 0.03)
_TARGETS: Facet = ("targets", lambda f: _phrase_keys(f.targets), lambda i: i.target_words, 0.02)
_ACTORS: Facet = ("actors", lambda f: _phrase_keys(f.actors), lambda i: i.actor_words, 0.1)
_PUBLISHERS: Facet = ("publishers", lambda f: f.publishers or None, lambda i: i.publishers, 0.3)
_THEMES: Facet = ("themes", lambda f: f.themes or None, lambda i: i.themes, 0.12)

FACETS: dict[str, list[Facet]] = {
    "document": [
        _PUBLISHERS,
        _THEMES,
        (
            "document_types",
            lambda f: f.document_types or None,
            lambda i: [(i.document_type or "").lower()],
            0.25,
        ),
        _ACTORS,
        _TARGETS,
        _KEYWORDS,
    ],
    "signal": [
        _PUBLISHERS,
        _THEMES,
        ("signal_kinds", lambda f: f.signal_kinds or None, lambda i: [i.signal_kind or ""], 0.2),
        _ACTORS,
        _TARGETS,
        _KEYWORDS,
    ],
}


class SubscriptionIndex:
    """Candidate lookup over groups of subscriptions with identical filters.

    Many subscribers ask for the same thing ("kinship care", "contradictions
    above 0.7"), so identical filters are evaluated once per item and the
    result is shared by the whole group (GOV.UK's email-alert-api matches
    subscriber lists the same way). Groups, not subscriptions, are indexed.
    """

    def __init__(self, filters: Iterable[CompiledFilter]) -> None:
        grouped: dict[tuple[object, ...], list[CompiledFilter]] = defaultdict(list)
        for f in filters:
            grouped[f.identity].append(f)
        #: group id -> (the group's filter, its subscription ids)
        self.groups: list[tuple[CompiledFilter, list[int]]] = [
            (members[0], [m.subscription_id for m in members]) for members in grouped.values()
        ]
        #: kind -> (facet a, facet b or "") -> value a -> value b or "" -> group ids
        self._postings: dict[str, dict[tuple[str, str], dict[str, dict[str, list[int]]]]] = {}
        self._unindexed: dict[str, list[int]] = {}
        for kind, facets in FACETS.items():
            postings: dict[tuple[str, str], dict[str, dict[str, list[int]]]] = defaultdict(
                lambda: defaultdict(lambda: defaultdict(list))
            )
            unindexed: list[int] = []
            for group_id, (f, _) in enumerate(self.groups):
                if not f.applies_to(kind):
                    continue
                ranked = sorted(
                    (share * len(set(values)), position, name, set(values))
                    for position, (name, keys, _, share) in enumerate(facets)
                    if (values := keys(f))
                )
                if not ranked:
                    unindexed.append(group_id)
                    continue
                # the second facet goes in the inner level; the facet order in FACETS puts
                # item-side-large facets (keyword vocabulary) last so they are probed by set
                chosen = sorted(ranked[:2], key=lambda r: r[1])
                first = chosen[0]
                second = chosen[1] if len(chosen) > 1 else (0.0, 0, "", {""})
                for a in first[3]:
                    for b in second[3]:
                        postings[(first[2], second[2])][a][b].append(group_id)
            self._postings[kind] = {
                names: {a: dict(inner) for a, inner in outer.items()}
                for names, outer in postings.items()
            }
            self._unindexed[kind] = unindexed
        self._item_keys = {
            kind: {name: item_keys for name, _, item_keys, _ in facets}
            for kind, facets in FACETS.items()
        }

    def candidates(self, item: MatchItem) -> set[int]:
        """Groups that may match ``item`` (a superset of those that do)."""
        found = set(self._unindexed[item.kind])
        item_keys = self._item_keys[item.kind]
        values: dict[str, set[str] | frozenset[str]] = {}
        for (name_a, name_b), outer in self._postings[item.kind].items():
            for facet in (name_a, name_b):
                if facet and facet not in values:
                    keys = item_keys[facet](item)
                    values[facet] = keys if isinstance(keys, set | frozenset) else set(keys)
            have_a = values[name_a]
            firsts = outer.keys() & have_a  # set intersection in C, whichever side is smaller
            if not name_b:
                for a in firsts:
                    found.update(outer[a][""])
                continue
            have_b = values[name_b]
            for a in firsts:
                inner = outer[a]
                for b in inner.keys() & have_b:
                    found.update(inner[b])
        return found

    def candidate_pairs(self, item: MatchItem) -> int:
        """How many subscriptions the candidate groups hold (for the benchmark's report)."""
        return sum(len(self.groups[g][1]) for g in self.candidates(item))

    def match(self, item: MatchItem) -> list[tuple[CompiledFilter, list[int]]]:
        """The groups ``item`` matches: (the group's filter, its subscription ids).

        Only the decision is made here; the "why" phrases are worked out by the
        caller, once per matched group (``filter.reasons(item)``).
        """
        matched = []
        for group_id in self.candidates(item):
            f, subscription_ids = self.groups[group_id]
            if f.accepts(item):
                matched.append((f, subscription_ids))
        return matched


def match_naively(
    filters: Iterable[CompiledFilter], item: MatchItem
) -> list[tuple[CompiledFilter, list[int]]]:
    """Every subscription checked against ``item``: the baseline the benchmark measures."""
    return [(f, [f.subscription_id]) for f in filters if f.accepts(item)]
