"""All five detectors over one set of facts, optionally limited to some scopes.

A scope is ``target:<canonical target>`` (contradiction, reversal,
reannouncement) or ``theme:<theme>`` (reactive, burst). Limiting to scopes is
what makes a recompute incremental: only the groups a new document touches
are recomputed, and since every group depends only on the statements or
documents in it, the result equals a full recompute for those scopes.
"""

from __future__ import annotations

from collections.abc import Collection

from timeline.bursts import bursts
from timeline.config import DEFAULT, DetectorConfig
from timeline.drafts import SignalDraft
from timeline.facts import Facts
from timeline.positions import by_key, contradictions, reversals
from timeline.reactive import Trigger, coverage_spikes, reactive
from timeline.reannouncements import reannouncements

KINDS = ("contradiction", "reversal", "reannouncement", "reactive", "burst")


def detect(
    facts: Facts,
    events: list[Trigger],
    *,
    config: DetectorConfig = DEFAULT,
    scopes: Collection[str] | None = None,
) -> list[SignalDraft]:
    """Every signal the facts support, in the given scopes (all when None)."""
    targets = None if scopes is None else {s[7:] for s in scopes if s.startswith("target:")}
    themes = None if scopes is None else {s[6:] for s in scopes if s.startswith("theme:")}
    statements = facts.statements
    if targets is not None:
        statements = [s for s in statements if targets.intersection(s.keys)]
    groups = by_key(statements)
    if targets is not None:
        groups = {k: v for k, v in groups.items() if k in targets}
    drafts = contradictions(groups, config) + reversals(groups, config)
    drafts += reannouncements(facts.money, config)
    documents = list(facts.documents.values())
    if themes is None or themes:
        triggers = events + coverage_spikes(documents, config)
        reacting = documents if themes is None else [d for d in documents if d.themes & themes]
        drafts += reactive(reacting, triggers, config)
        drafts += bursts(documents, config, themes=themes)
    if scopes is not None:
        wanted = set(scopes)
        drafts = [d for d in drafts if d.scope in wanted]
    return sorted(drafts, key=lambda d: (d.first_date, d.key))
