"""The custom attributes PolicyWatch's components write on Docs and Spans.

Registered in one place, once, so every component and every consumer agrees
on their names and defaults. Call :func:`register` before using them (the
components do it on import).

Doc.spans groups (labels are the canonical values):

- ``doc.spans["money"]``: label ``GBP``; ``span._.money`` is a :class:`dict`
  ``{"gbp": int, "low": int | None, "high": int | None, "per": "year" |
  "month" | "week" | "child" | "place" | None, "years": float | None,
  "approximate": bool}``
  (``gbp`` is the amount in whole pounds; for a range it is the upper end).
- ``doc.spans["actors"]``: label = canonical actor id (e.g.
  ``department-for-education``, ``la:E09000001``); ``span._.actor`` is
  ``{"id", "name", "kind", "ons_code"}``.
- ``doc.spans["themes"]``: label = theme; ``doc._.themes`` maps theme to
  ``{"count": int, "phrases": {phrase: count}, "sentences": [sentence index]}``.
- ``doc.spans["coherence"]``: label = a theory-of-change part (problem,
  intervention, outcome, resources, timeline, owner, evaluation,
  strategy_link) or ``reactive_cue``; ``doc._.coherence`` maps each part to
  the list of ``[start_char, end_char]`` of the sentences that show it.
- ``doc._.statements``: list of dicts ``{"actor", "direction", "target",
  "money_gbp", "timeframe", "sentence", "start_char", "end_char", "negated",
  "hedged"}``; direction is one of increase, decrease, maintain, create,
  abolish, review.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

DIRECTIONS = ("increase", "decrease", "maintain", "create", "abolish", "review")
COHERENCE_PARTS = (
    "problem",
    "intervention",
    "outcome",
    "resources",
    "timeline",
    "owner",
    "evaluation",
    "strategy_link",
)
REACTIVE_CUE = "reactive_cue"


def register() -> None:
    """Register every extension attribute (idempotent)."""
    for name in ("money", "actor"):
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    for name in ("themes", "coherence"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
    if not Doc.has_extension("statements"):
        Doc.set_extension("statements", default=None)


register()
