"""Reactive announcements: a government document that follows a trigger on its theme.

A trigger is a registered event (an inquiry, a death, a serious case review,
a critical report, a court ruling; ``policywatch events add``) on one of the
document's themes, or a spike of sector or parliamentary coverage on one of
its themes, within ``reactive_days`` before it. The document must also look
reactive: the reactive classifier's probability, or when no classifier has
scored it, reactive cues and few planning markers from the coherence profile.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from timeline.config import DetectorConfig
from timeline.drafts import EvidenceDraft, SignalDraft, day
from timeline.facts import DocFact


@dataclass(frozen=True)
class Trigger:
    key: str
    date: datetime
    theme: str | None
    title: str
    document: DocFact | None = None  # a coverage spike is shown by its first document
    url: str | None = None


def coverage_spikes(documents: list[DocFact], config: DetectorConfig) -> list[Trigger]:
    """Sector or parliamentary documents bunched on one theme: each spike once, by theme.

    A spike is at least ``coverage_spike_min`` such documents within
    ``coverage_days``; it is dated by its last document (coverage has built up).
    One pass per theme with two pointers, so it stays linear in the documents.
    """
    outside = sorted((d for d in documents if not d.is_government), key=lambda d: d.date)
    by_theme: dict[str, list[DocFact]] = {}
    for doc in outside:
        for theme in doc.themes:
            by_theme.setdefault(theme, []).append(doc)
    spikes = []
    span = timedelta(days=config.coverage_days)
    for theme, docs in by_theme.items():
        end = 0
        for i, first in enumerate(docs):
            end = max(end, i)
            while end + 1 < len(docs) and docs[end + 1].date - first.date <= span:
                end += 1
            if end - i + 1 >= config.coverage_spike_min:
                spikes.append(
                    Trigger(
                        key=f"coverage:{theme}:{first.document_id}",
                        date=docs[end].date,
                        theme=theme,
                        title=f"{end - i + 1} sector documents on {theme} from {day(first.date)}",
                        document=first,
                    )
                )
    return spikes


def reactive(
    documents: list[DocFact], triggers: list[Trigger], config: DetectorConfig
) -> list[SignalDraft]:
    """Reactive documents and the trigger each most likely follows."""
    by_theme: dict[str | None, tuple[list[datetime], list[Trigger]]] = {}
    for trigger in sorted(triggers, key=lambda t: (t.date, t.key)):
        dates, found = by_theme.setdefault(trigger.theme, ([], []))
        dates.append(trigger.date)
        found.append(trigger)
    drafts = []
    for doc in documents:
        if not doc.is_government or doc.reactive < config.reactive_threshold:
            continue
        best: tuple[float, Trigger] | None = None
        for theme in [*sorted(doc.themes), None]:
            if theme not in by_theme:
                continue
            dates, found = by_theme[theme]
            low = bisect_left(dates, doc.date - timedelta(days=config.reactive_days))
            high = bisect_right(dates, doc.date + timedelta(days=1))
            for trigger in found[low:high]:
                days = (doc.date - trigger.date).total_seconds() / 86400
                if not -1 <= days <= config.reactive_days:  # same day counts, even a little before
                    continue
                closeness = 1.0 - 0.4 * max(days, 0) / config.reactive_days
                registered = 1.0 if trigger.document is None else 0.9
                score = round(doc.reactive * closeness * registered, 3)
                if best is None or score > best[0]:
                    best = (score, trigger)
        if best is None or best[0] < config.min_score:
            continue
        score, trigger = best
        drafts.append(_draft(doc, trigger, score))
    return drafts


def _draft(doc: DocFact, trigger: Trigger, score: float) -> SignalDraft:
    theme = trigger.theme or (sorted(doc.themes)[0] if doc.themes else None)
    evidence = [EvidenceDraft.of_document(doc, "reaction", doc.cue_span, doc.cue_text or doc.title)]
    if trigger.document is not None:
        evidence.insert(
            0,
            EvidenceDraft.of_document(trigger.document, "trigger", None, trigger.document.title),
        )
    days = max(0, (doc.date.date() - trigger.date.date()).days)
    when = "the same day" if days == 0 else f"{days} day{'s' if days != 1 else ''} later"
    return SignalDraft(
        key=f"reactive:{doc.document_id}",
        kind="reactive",
        scope=f"theme:{theme}",
        score=score,
        theme=theme,
        explanation=(
            f"{doc.publisher} published this {when} than the trigger "
            f'"{trigger.title}" ({day(trigger.date)}), with reactive cues and '
            f"{'few' if doc.planning < 0.5 else 'some'} planning markers "
            f"(reactive score {doc.reactive:.2f})."
        )
        .replace("the same day than", "on the same day as")
        .replace("later than", "after"),
        evidence=evidence,
        data={
            "trigger": {
                "key": trigger.key,
                "date": trigger.date.isoformat(),
                "title": trigger.title,
                "url": trigger.url,
            },
            "reactive_probability": doc.reactive,
            "planning_score": doc.planning,
        },
    )
