"""Bursts: announcements on one theme far above the theme's own baseline.

For each theme, government documents are counted in a sliding window
(``burst_window_days``) starting at each document. The baseline is the theme's
rate over the ``burst_baseline_days`` before the window (with a floor, so a
theme seen for the first time is not a burst by default). A window is a burst
when the Poisson upper tail P(X >= k | expected) is below ``burst_alpha``
(scipy's ``poisson.sf``) and it holds at least ``burst_min_documents``;
overlapping burst windows merge into one salvo, explained with its window and
baseline.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import timedelta
from functools import lru_cache

from scipy.stats import poisson

from timeline.config import DetectorConfig
from timeline.drafts import EvidenceDraft, SignalDraft, day
from timeline.facts import DocFact

#: cross-cutting tags: most announcements carry them beside their real subject, so
#: a run of them is the calendar (settlements, budgets), not a salvo on one policy
CROSS_CUTTING = frozenset({"funding", "local_government"})

#: the baseline never assumes fewer than this many documents a year on a theme
MIN_YEARLY_RATE = 2.0


def bursts(
    documents: list[DocFact], config: DetectorConfig, *, themes: set[str] | None = None
) -> list[SignalDraft]:
    """Bursts on every theme (or only on ``themes``)."""
    by_theme: dict[str, list[DocFact]] = {}
    for doc in documents:
        if doc.is_government:
            for theme in doc.themes - CROSS_CUTTING:
                if themes is not None and theme not in themes:
                    continue
                by_theme.setdefault(theme, []).append(doc)
    drafts = []
    for theme, docs in sorted(by_theme.items()):
        docs.sort(key=lambda d: (d.date, d.document_id))
        drafts.extend(theme_bursts(theme, docs, config))
    return drafts


def theme_bursts(theme: str, docs: list[DocFact], config: DetectorConfig) -> list[SignalDraft]:
    """Significant windows of one theme, merged into salvos."""
    dates = [d.date for d in docs]
    window = timedelta(days=config.burst_window_days)
    found: list[tuple[int, int, float, float]] = []  # first index, last index, p, expected
    for i, start in enumerate(dates):
        j = bisect_right(dates, start + window) - 1
        k = j - i + 1
        days = {d.date() for d in dates[i : j + 1]}
        # documents out on one day are one package (release, statement, speech), not a salvo
        if k < config.burst_min_documents or len(days) < config.burst_min_days:
            continue
        before = bisect_left(dates, start - timedelta(days=config.burst_baseline_days))
        yearly = max((i - before) * 365 / config.burst_baseline_days, MIN_YEARLY_RATE)
        expected = yearly * config.burst_window_days / 365
        p_value = _tail(k, round(expected, 6))
        if p_value < config.burst_alpha:
            found.append((i, j, p_value, expected))
    salvos: list[tuple[int, int, float, float]] = []
    for i, j, p_value, expected in found:
        if salvos and i <= salvos[-1][1]:
            first, last, best_p, best_expected = salvos[-1]
            if p_value < best_p:
                best_p, best_expected = p_value, expected
            salvos[-1] = (first, max(last, j), best_p, best_expected)
        else:
            salvos.append((i, j, p_value, expected))
    return [_draft(theme, docs[i : j + 1], p, expected, config) for i, j, p, expected in salvos]


def _draft(
    theme: str, salvo: list[DocFact], p_value: float, expected: float, config: DetectorConfig
) -> SignalDraft:
    first, last = salvo[0], salvo[-1]
    span_days = (last.date.date() - first.date.date()).days + 1
    publishers = sorted({d.publisher for d in salvo})
    score = round(min(1.0, 0.5 + 0.1 * -_log10(p_value) / 2), 3)
    return SignalDraft(
        key=f"burst:{theme}:{first.document_id}",
        kind="burst",
        scope=f"theme:{theme}",
        score=score,
        theme=theme,
        explanation=(
            f"{len(salvo)} announcements on {theme} from {', '.join(publishers)} in "
            f"{span_days} days ({day(first.date)} to {day(last.date)}), against a baseline of "
            f"{expected:.2f} expected in a {config.burst_window_days}-day window over the "
            f"previous {config.burst_baseline_days} days (Poisson tail p = {p_value:.1e})."
        ),
        evidence=[EvidenceDraft.of_document(d, "announcement", None, d.title) for d in salvo],
        data={
            "window_days": config.burst_window_days,
            "baseline_days": config.burst_baseline_days,
            "expected": round(expected, 4),
            "count": len(salvo),
            "p_value": p_value,
        },
    )


@lru_cache(maxsize=100000)
def _tail(k: int, expected: float) -> float:
    """P(X >= k) for X ~ Poisson(expected)."""
    return float(poisson.sf(k - 1, expected))


def _log10(value: float) -> float:
    from math import log10

    return log10(max(value, 1e-300))
