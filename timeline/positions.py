"""Contradictions and reversals: opposite directions on the same target.

Both detectors group statements by target key (see ``targets``) and look for
opposite directions: one actor against another while both positions stand
(contradiction), or one actor against its own earlier position (reversal).
Only government positions count; positions of different governments are
context, never a signal, and a scheduled end ("as planned", "expired as set
out") is not a reversal.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from timeline.config import DetectorConfig
from timeline.drafts import EvidenceDraft, SignalDraft, day
from timeline.facts import StatementFact
from timeline.governments import government_on, same_government
from timeline.targets import key_strength

#: (earlier, later) direction pairs that point opposite ways, with how clearly
OPPOSITE: dict[frozenset[str], float] = {
    frozenset({"increase", "decrease"}): 1.0,
    frozenset({"create", "abolish"}): 1.0,
    frozenset({"increase", "abolish"}): 0.9,
    frozenset({"create", "decrease"}): 0.85,
    frozenset({"maintain", "abolish"}): 0.85,
    # a refusal ("has decided not to set a cap") undoes a proposal or a promise
    frozenset({"create", "refuse"}): 0.9,
    frozenset({"increase", "refuse"}): 0.8,
}

_SCHEDULED = re.compile(
    r"as planned|as scheduled|as set out|as intended|as originally|as announced|"
    r"expir|lapse|time-limited|temporary|due to end|planned end|came to an end as|"
    r"always intended|fixed-term|was designed to end|sunset",
    re.IGNORECASE,
)


def opposition(a: str, b: str) -> float:
    return OPPOSITE.get(frozenset({a, b}), 0.0) if a != b else 0.0


def by_key(statements: Iterable[StatementFact]) -> dict[str, list[StatementFact]]:
    """Government statements grouped by every key they carry, oldest first."""
    groups: dict[str, list[StatementFact]] = defaultdict(list)
    for statement in statements:
        if (
            statement.doc.is_government
            and statement.official
            and statement.direction
            in {"increase", "decrease", "create", "abolish", "maintain", "refuse", "mention"}
        ):
            for key in statement.keys:
                groups[key].append(statement)
    for group in groups.values():
        group.sort(key=lambda s: (s.doc.date, s.id))
    return groups


def _strength(a: StatementFact, b: StatementFact, key: str) -> float:
    own = key_strength(a.own_key == key, b.own_key == key)
    return own * a.weight * b.weight * opposition(a.direction, b.direction)


class _Turns:
    """When each actor next turned against a direction, per group: answers "does this
    position still stand at that date?" by binary search instead of a scan."""

    def __init__(self, group: list[StatementFact]) -> None:
        self.dates: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        for statement in group:  # the group is in date order
            if statement.direction != "mention":
                self.dates[(statement.actor, statement.direction)].append(statement.doc.date)

    def stands(self, position: StatementFact, until: StatementFact) -> bool:
        """Whether the actor left ``position`` in place up to ``until`` (no opposite turn)."""
        for (actor, direction), dates in self.dates.items():
            if actor != position.actor or opposition(position.direction, direction) == 0.0:
                continue
            after = bisect_right(dates, position.doc.date)
            if after < len(dates) and dates[after] <= until.doc.date:
                return False
        return True


@lru_cache(maxsize=200000)
def scheduled(sentence: str) -> bool:
    """Whether a sentence says an end was planned ("as planned", "expired", "temporary")."""
    return bool(_SCHEDULED.search(sentence))


def contradictions(
    groups: dict[str, list[StatementFact]], config: DetectorConfig
) -> list[SignalDraft]:
    """Different actors, same target, opposite directions, both positions standing.

    One signal per conflict: two actors on one target under one government.
    Its first evidence pair is the strongest opposing pair; the other
    documents where either side restated its position follow as ``restated``.
    """
    conflicts: dict[tuple[str, str, str, str], list[tuple[float, StatementFact, StatementFact]]]
    conflicts = defaultdict(list)
    window = config.contradiction_window_days
    span = timedelta(days=window)
    for key, group in groups.items():
        turns = _Turns(group)
        # earlier positions by class (actor, direction, own key, weight), each in date order:
        # a later position asks each opposing class for its closest standing position
        classes: dict[tuple[str, str, bool, float], tuple[list[datetime], list[StatementFact]]]
        classes = {}
        for later in group:
            if later.direction == "mention":
                continue
            for (actor, direction, _own, _weight), (dates, found) in classes.items():
                if actor == later.actor or opposition(direction, later.direction) == 0.0:
                    continue
                low = bisect_left(dates, later.doc.date - span)
                high = bisect_right(dates, later.doc.date)
                for earlier in reversed(found[low:high]):
                    if earlier.doc.document_id == later.doc.document_id:
                        continue
                    # older positions are of the same or an older government, and an
                    # actor's turn that unseats this one unseats the older ones too
                    if not same_government(earlier.doc.date, later.doc.date):
                        break
                    if not turns.stands(earlier, later):
                        break
                    days = (later.doc.date - earlier.doc.date).days
                    score = round(_strength(earlier, later, key) * (1.0 - 0.3 * days / window), 3)
                    if score >= config.min_score:
                        government = government_on(later.doc.date)
                        first, second = sorted((earlier.actor, later.actor))
                        ident = (key, first, second, government.key if government else "")
                        conflicts[ident].append((score, earlier, later))
                    break
            cls = (later.actor, later.direction, later.own_key == key, later.weight)
            dates, found = classes.setdefault(cls, ([], []))
            dates.append(later.doc.date)
            found.append(later)
    drafts: dict[frozenset[int], SignalDraft] = {}
    for (key, first, second, government), pairs in sorted(conflicts.items()):
        pairs.sort(key=lambda item: (-item[0], item[1].doc.date, item[1].id, item[2].id))
        score, earlier, later = pairs[0]
        evidence = [
            EvidenceDraft.of_statement(earlier, "position"),
            EvidenceDraft.of_statement(later, "opposing position"),
        ]
        seen = {earlier.doc.document_id, later.doc.document_id}
        for _, a, b in sorted(pairs[1:], key=lambda item: (item[1].doc.date, item[2].doc.date)):
            for statement in (a, b):
                if statement.doc.document_id not in seen:
                    seen.add(statement.doc.document_id)
                    evidence.append(EvidenceDraft.of_statement(statement, "restated"))
        draft = SignalDraft(
            key=f"contradiction:{key}:{first}:{second}:{government}",
            kind="contradiction",
            scope=f"target:{key}",
            score=score,
            target=key,
            explanation=(
                f"{earlier.actor} said on {day(earlier.doc.date)} it would {earlier.direction} "
                f"{key}, while {later.actor} said on {day(later.doc.date)} it would "
                f"{later.direction} it; both positions stood under the "
                f"{_government_name(later)}."
            ),
            evidence=evidence,
            data={"window_days": window, "pairs": len(pairs), "government": government},
        )
        main = frozenset(seen)
        if main not in drafts or score > drafts[main].score:
            drafts[main] = draft
    return sorted(drafts.values(), key=lambda d: d.key)


def _government_name(statement: StatementFact) -> str:
    government = government_on(statement.doc.date)
    return government.name if government else "same government"


def reversals(groups: dict[str, list[StatementFact]], config: DetectorConfig) -> list[SignalDraft]:
    """The same actor later states the opposite direction on the same target."""
    drafts: dict[tuple[str, str], SignalDraft] = {}
    for key, group in groups.items():
        per_actor: dict[str, list[StatementFact]] = defaultdict(list)
        for statement in group:
            per_actor[statement.actor].append(statement)
        for actor, positions in per_actor.items():
            turn = _first_turn(key, positions, config)
            if turn is None:
                continue
            score, earlier, later = turn
            chain = _chain(positions, earlier, later)
            existing = drafts.get((actor, key))
            if existing is not None and existing.score >= score:
                continue
            drafts[(actor, key)] = SignalDraft(
                key=f"reversal:{actor}:{key}",
                kind="reversal",
                scope=f"target:{key}",
                score=score,
                target=key,
                explanation=(
                    f"{actor} said on {day(earlier.doc.date)} it would {earlier.direction} "
                    f"{key}, then on {day(later.doc.date)} that it would {later.direction} it."
                ),
                evidence=[EvidenceDraft.of_statement(s, role) for s, role in chain],
                data={"positions": len(chain)},
            )
    # one actor reversing on one pair of documents is one signal, whatever the key
    unique: dict[tuple[str, int, int], SignalDraft] = {}
    for draft in sorted(drafts.values(), key=lambda d: (-d.score, d.key)):
        turning = [e.document_id for e in draft.evidence if e.role in {"earlier", "reversal"}]
        ident = (draft.evidence[0].actor, turning[0], turning[-1])
        unique.setdefault(ident, draft)
    return sorted(unique.values(), key=lambda d: d.key)


def _first_turn(
    key: str, positions: list[StatementFact], config: DetectorConfig
) -> tuple[float, StatementFact, StatementFact] | None:
    """The strongest (earlier, later) opposing pair of one actor's positions on a key.

    Earlier positions are indexed by their class (direction, own key or not,
    weight), so each later position asks each class once, by date, for a
    candidate in the window: linear in the positions, not quadratic.
    """
    classes: dict[tuple[str, bool, float], tuple[list[datetime], list[StatementFact]]] = {}
    best: tuple[float, StatementFact, StatementFact] | None = None
    window = timedelta(days=config.reversal_window_days)
    for later in positions:
        if later.direction == "mention":
            continue
        if not scheduled(later.sentence):
            for (direction, _own, _weight), (dates, found) in classes.items():
                if opposition(direction, later.direction) == 0.0:
                    continue
                low = bisect_left(dates, later.doc.date - window)
                high = bisect_left(dates, later.doc.date - timedelta(days=1))
                candidates = [
                    e
                    for e in found[low : high + 1][:50]
                    if e.doc.document_id != later.doc.document_id
                    and (later.doc.date - e.doc.date).days >= 1
                    and same_government(e.doc.date, later.doc.date)
                ]
                if not candidates:
                    continue
                earlier = candidates[0]
                score = round(_strength(earlier, later, key), 3)
                if score >= config.min_score and (best is None or score > best[0]):
                    best = (score, earlier, later)
        if not scheduled(later.sentence):
            cls = (later.direction, later.own_key == key, later.weight)
            dates, found = classes.setdefault(cls, ([], []))
            dates.append(later.doc.date)
            found.append(later)
    return best


def _chain(
    positions: list[StatementFact], earlier: StatementFact, later: StatementFact
) -> list[tuple[StatementFact, str]]:
    """Every document's position in date order, one statement per document (a statement
    with a direction before a bare mention of the target)."""
    chain: list[tuple[StatementFact, str]] = []
    seen: set[int] = set()
    for statement in sorted(positions, key=lambda s: (s.doc.date, s.direction == "mention")):
        if statement.doc.document_id in seen:
            continue
        if statement.doc.document_id == earlier.doc.document_id:
            statement, role = earlier, "earlier"
        elif statement.doc.document_id == later.doc.document_id:
            statement, role = later, "reversal"
        else:
            role = "position"
        seen.add(statement.doc.document_id)
        chain.append((statement, role))
    return chain
