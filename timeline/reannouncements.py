"""Re-announcements: the same money for the same thing presented again as new.

Every sterling amount in a government document (the language layer's money
spans) is grouped by amount (within a tolerance: "£300 million" and "£302
million" are the same pot), and announcements of one amount are linked when
they are about the same programme: a shared canonical target near the money,
or a shared specific theme. The first
announcement and every later one that presents the money as new are linked in
one signal, and the money total counts the pot once. A mention that says the
money is not new ("no new money", "previously announced", "announced at the
Spending Review") is an honest reference, not a re-announcement; the same
money told to Parliament and GOV.UK on the same day is one announcement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from timeline.config import DetectorConfig
from timeline.drafts import EvidenceDraft, SignalDraft, day, pounds
from timeline.facts import DocFact, MoneyFact

_HONEST = re.compile(
    r"no new money|not new money|no additional funding|not additional|previously announced|"
    r"already announced|first announced|"
    r"(?:announced|confirmed|agreed|committed|set) (?:at|in) the (?:\d{4} )?"
    r"(?:spending review|budget)|\bthe original\b|"
    r"from the (?:\d{4} )?spending review|set out in the (?:\d{4} )?(?:spending review|budget)",
    re.IGNORECASE,
)
_NEW = re.compile(
    r"\bnew\b|launch|today|announce|unveil|invest|boost|will (?:put|provide|give)", re.I
)


#: themes nearly every money announcement carries: sharing one links nothing
GENERIC_THEMES = frozenset({"funding", "local_government"})


def honest_reference(mention: MoneyFact) -> bool:
    """Whether a repeat says the money is not new (in its sentence or its document)."""
    return bool(_HONEST.search(mention.sentence)) or mention.doc.no_new_money


@dataclass
class _Announcement:
    """One document's mentions of one amount: its keys and the mention to quote."""

    doc: DocFact
    gbp: int
    keys: set[str]
    quote: MoneyFact
    honest: bool


def reannouncements(money: list[MoneyFact], config: DetectorConfig) -> list[SignalDraft]:
    """Same amount (within tolerance), same programme, announced again as new."""
    drafts: dict[str, SignalDraft] = {}
    for pot in _pots(money, config.money_tolerance):
        for group in _linked(pot):
            draft = _draft(group, config)
            if draft is not None:
                drafts[draft.key] = draft
    return sorted(drafts.values(), key=lambda d: d.key)


def _pots(money: list[MoneyFact], tolerance: float) -> list[list[_Announcement]]:
    """Government money mentions split into pots of the same amount, one entry per document."""
    ordered = sorted((m for m in money if m.doc.is_government), key=lambda m: m.gbp)
    pots: list[list[MoneyFact]] = []
    for mention in ordered:
        if pots and mention.gbp - pots[-1][0].gbp <= tolerance * pots[-1][0].gbp:
            pots[-1].append(mention)
        else:
            pots.append([mention])
    result = []
    for pot in pots:
        per_doc: dict[int, _Announcement] = {}
        for mention in sorted(pot, key=lambda m: (m.doc.date, m.start_char)):
            entry = per_doc.get(mention.doc.document_id)
            if entry is None:
                per_doc[mention.doc.document_id] = _Announcement(
                    mention.doc, mention.gbp, set(mention.keys), mention, honest_reference(mention)
                )
            else:
                entry.keys |= set(mention.keys)
                entry.honest = entry.honest or honest_reference(mention)
                if mention.keys and not entry.quote.keys:
                    entry.quote = mention
        if len(per_doc) > 1:
            result.append(sorted(per_doc.values(), key=lambda a: (a.doc.date, a.doc.document_id)))
    return result


def _same_programme(a: _Announcement, b: _Announcement) -> bool:
    """A shared target; or, when one of them names no target near the money, a shared
    specific theme (two different named targets are two programmes)."""
    if a.keys & b.keys:
        return True
    if a.keys and b.keys:
        return False
    return bool((a.doc.themes & b.doc.themes) - GENERIC_THEMES)


def _linked(pot: list[_Announcement]) -> list[list[_Announcement]]:
    """Announcements of one amount joined when they are about the same programme
    (a shared target, or a shared specific theme), transitively, in date order."""
    groups: list[list[_Announcement]] = []
    for announcement in pot:
        joined = [g for g in groups if any(_same_programme(announcement, a) for a in g)]
        merged = [announcement]
        for group in joined:
            merged.extend(group)
            groups.remove(group)
        groups.append(sorted(merged, key=lambda a: (a.doc.date, a.doc.document_id)))
    return groups


def _draft(group: list[_Announcement], config: DetectorConfig) -> SignalDraft | None:
    first = group[0]
    linked = [first]
    scores = []
    for announcement in group[1:]:
        days = (announcement.doc.date - first.doc.date).days
        if announcement.honest or days > config.reannouncement_window_days:
            continue
        if any(
            abs((announcement.doc.date - a.doc.date).total_seconds())
            < 86400 * config.reannouncement_min_days
            for a in linked
        ):
            continue  # one announcement made in two places on the same day
        by_key = 1.0 if announcement.keys & first.keys else 0.8
        novelty = 1.0 if _NEW.search(announcement.quote.sentence) else 0.85
        scores.append(by_key * novelty)
        linked.append(announcement)
    if len(linked) < 2:
        return None
    score = round(sum(scores) / len(scores), 3)
    if score < config.min_score:
        return None
    shared = set.intersection(*(a.keys for a in linked)) or first.keys
    target = sorted(shared)[0] if shared else None
    theme = None if target else sorted((first.doc.themes - GENERIC_THEMES) or first.doc.themes)[0]
    amount = first.gbp
    repeats = ", ".join(f"{a.doc.publisher} on {day(a.doc.date)}" for a in linked[1:])
    return SignalDraft(
        key=f"reannouncement:{round(amount / 1_000_000)}m:{first.doc.document_id}",
        kind="reannouncement",
        scope=f"target:{target}" if target else f"theme:{theme}",
        score=score,
        target=target,
        theme=theme,
        explanation=(
            f"{pounds(amount)}{' for ' + target if target else ''}, first announced by "
            f"{first.doc.publisher} on {day(first.doc.date)}, was announced again as new by "
            f"{repeats}; the money counts once."
        ),
        evidence=[
            _evidence(a, "first announcement" if i == 0 else "repeat") for i, a in enumerate(linked)
        ],
        data={"money_gbp": amount, "money_total_gbp": amount, "repeats": len(linked) - 1},
    )


def _evidence(announcement: _Announcement, role: str) -> EvidenceDraft:
    quote = announcement.quote
    return EvidenceDraft(
        document_id=quote.doc.document_id,
        version_id=quote.doc.version_id,
        role=role,
        start_char=quote.start_char,
        end_char=quote.end_char,
        text=quote.sentence.strip(),
        actor=quote.doc.publisher,
        direction="",
        money_gbp=quote.gbp,
        published_at=quote.doc.date,
    )
