"""What a subscription asks for, checked, and compiled for fast repeated matching.

:class:`Filters` is the stored form (the ``filters`` JSON of a subscription,
and the body of the JSON API). :class:`CompiledFilter` is built once per
subscription for a matching run: values normalised, keywords parsed. Its
:meth:`~CompiledFilter.reasons` is the whole decision for one item, used both by
the indexed matcher and by the naive loop the benchmark compares it with, so
the two cannot disagree.

Facets combine with AND, values within a facet with OR; an empty facet allows
anything. Facets that do not apply to an item kind are ignored for it:
document types for signals, signal kinds and the minimum score for documents.
A subscription that names signal kinds or a minimum score is about signals
only, unless its ``items`` says "all".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alerts.keywords import Expr, Text, parse_keywords, words
from policywatch.errors import PolicyWatchError

SIGNAL_KINDS = ("contradiction", "reversal", "reannouncement", "reactive", "burst")
THEMES_FILE = Path(__file__).resolve().parents[1] / "nlp" / "data" / "themes.toml"


@cache
def known_themes() -> frozenset[str]:
    """The taxonomy's theme ids (configuration, so another policy area brings its own)."""
    with THEMES_FILE.open("rb") as handle:
        return frozenset(tomllib.load(handle).get("themes", {}))


def _clean(values: list[str]) -> list[str]:
    return sorted({v.strip() for v in values if v and v.strip()})


class Filters(BaseModel):
    """A subscription's filters, as stored and as the API takes them."""

    model_config = ConfigDict(extra="forbid")

    themes: list[str] = Field(default_factory=list, description="Theme ids, e.g. kinship_care.")
    targets: list[str] = Field(
        default_factory=list, description='Statement targets, e.g. "kinship allowance".'
    )
    actors: list[str] = Field(default_factory=list, description="Actor ids, e.g. dfe, ofsted.")
    publishers: list[str] = Field(default_factory=list, description="Publisher slugs.")
    document_types: list[str] = Field(default_factory=list, description="e.g. press_release.")
    keywords: str = Field(
        default="", description='e.g. kinship AND ("special guardianship" OR SGO)'
    )
    signal_kinds: list[str] = Field(default_factory=list, description="contradiction, reversal...")
    min_score: float | None = Field(default=None, ge=0, description="Minimum signal score.")
    #: which kinds of item the subscription wants; "auto" means signals only when a signal
    #: kind or a minimum score is given (that is what such a subscriber asks for), else all
    items: Literal["auto", "all", "documents", "signals"] = "auto"

    @field_validator("themes")
    @classmethod
    def _themes_exist(cls, values: list[str]) -> list[str]:
        values = _clean(values)
        unknown = [v for v in values if v not in known_themes()]
        if unknown:
            raise ValueError(
                f"unknown theme {unknown[0]!r}; known: {', '.join(sorted(known_themes()))}"
            )
        return values

    @field_validator("signal_kinds")
    @classmethod
    def _kinds_exist(cls, values: list[str]) -> list[str]:
        values = _clean(values)
        unknown = [v for v in values if v not in SIGNAL_KINDS]
        if unknown:
            raise ValueError(
                f"unknown signal kind {unknown[0]!r}; known: {', '.join(SIGNAL_KINDS)}"
            )
        return values

    @field_validator("targets", "actors", "publishers", "document_types")
    @classmethod
    def _tidy(cls, values: list[str]) -> list[str]:
        return _clean(values)

    @field_validator("keywords")
    @classmethod
    def _keywords_parse(cls, value: str) -> str:
        try:
            parse_keywords(value)
        except PolicyWatchError as exc:
            raise ValueError(str(exc)) from exc
        return value.strip()


def parse_filters(data: dict[str, object]) -> Filters:
    """Filters from user data, with a one-line error naming the bad field."""
    from pydantic import ValidationError

    try:
        return Filters.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "filters"
        raise PolicyWatchError(f"filter {where}: {first['msg']}") from exc


@dataclass
class MatchItem:
    """A document version or a signal, reduced to what filters look at."""

    kind: Literal["document", "signal"]
    #: document id or signal id: deliveries are per document, not per version
    id: int
    version_id: int | None
    themes: frozenset[str]
    #: normalised (see :func:`normalise`)
    targets: frozenset[str]
    actors: frozenset[str]
    #: lower-case slugs
    publishers: frozenset[str]
    document_type: str | None
    signal_kind: str | None
    score: float | None
    text: Text
    published_at: datetime | None
    #: what the alert shows about the item (title, links, sentences...), not used to match
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def target_words(self) -> set[str]:
        return {w for t in self.targets for w in t.split()}

    @property
    def actor_words(self) -> set[str]:
        return {w for a in self.actors for w in a.split()}


def normalise(value: str) -> str:
    """A target or actor as lower-cased words joined by single spaces."""
    return " ".join(words(value))


def _phrase_in(phrase: tuple[str, ...], candidates: frozenset[str]) -> bool:
    """Whether the words of ``phrase`` appear together in one of the (normalised) candidates."""
    needle = f" {' '.join(phrase)} "
    return any(needle in f" {c} " for c in candidates)


class CompiledFilter:
    """A subscription's filters, normalised and parsed once for many items."""

    def __init__(self, subscription_id: int, name: str, filters: Filters) -> None:
        self.subscription_id = subscription_id
        self.name = name
        self.filters = filters
        self.themes = frozenset(filters.themes)
        self.targets = tuple(tuple(words(t)) for t in filters.targets if words(t))
        self.actors = tuple(tuple(words(a)) for a in filters.actors if words(a))
        #: normalised phrase -> as the subscriber wrote it, for the "why" line
        self.labels = {tuple(words(v)): v for v in (*filters.targets, *filters.actors)}
        self.publishers = frozenset(p.lower() for p in filters.publishers)
        self.document_types = frozenset(t.lower() for t in filters.document_types)
        self.signal_kinds = frozenset(filters.signal_kinds)
        self.min_score = filters.min_score
        self.keywords: Expr | None = parse_keywords(filters.keywords)
        self.keywords_described = self.keywords.describe() if self.keywords else ""
        self.items = filters.items
        if self.items == "auto":
            signal_only = filters.signal_kinds or filters.min_score is not None
            self.items = "signals" if signal_only else "all"
        self.kinds = {"document", "signal"} if self.items == "all" else {self.items[:-1]}
        #: equal for filters that decide alike (the index evaluates such a group once)
        self.identity = (
            tuple(sorted(self.themes)),
            self.targets,
            self.actors,
            tuple(sorted(self.publishers)),
            tuple(sorted(self.document_types)),
            tuple(sorted(self.signal_kinds)),
            self.min_score,
            self.keywords_described,
            self.items,
        )

    def applies_to(self, kind: str) -> bool:
        return self.items == "all" or self.items == f"{kind}s"

    def accepts(self, item: MatchItem) -> bool:
        """The whole decision, cheapest checks first and no strings built.

        Matching calls this for every candidate; :meth:`reasons` is only
        worked out for the items it accepts.
        """
        if item.kind not in self.kinds:
            return False
        if item.kind == "signal":
            if self.signal_kinds and item.signal_kind not in self.signal_kinds:
                return False
            if self.min_score is not None and (item.score is None or item.score < self.min_score):
                return False
        elif self.document_types and (item.document_type or "").lower() not in self.document_types:
            return False
        if self.themes and self.themes.isdisjoint(item.themes):
            return False
        if self.publishers and self.publishers.isdisjoint(item.publishers):
            return False
        if self.targets and not any(_phrase_in(p, item.targets) for p in self.targets):
            return False
        if self.actors and not any(_phrase_in(p, item.actors) for p in self.actors):
            return False
        return self.keywords is None or self.keywords.matches(item.text)

    def reasons(self, item: MatchItem) -> list[str] | None:
        """Why ``item`` matches, one phrase per facet that was asked for; None if it does not."""
        if not self.accepts(item):
            return None
        reasons: list[str] = []
        if item.kind == "signal":
            if self.signal_kinds:
                reasons.append(f"signal kind {item.signal_kind}")
            if self.min_score is not None:
                reasons.append(f"score {item.score:.2f} ≥ {self.min_score:g}")
        elif self.document_types:
            reasons.append(f"type {item.document_type}")
        if self.themes:
            hit = sorted(self.themes & item.themes)
            reasons.append(("theme " if len(hit) == 1 else "themes ") + ", ".join(hit))
        if self.publishers:
            reasons.append("publisher " + ", ".join(sorted(self.publishers & item.publishers)))
        for label, wanted, have in (
            ("target", self.targets, item.targets),
            ("actor", self.actors, item.actors),
        ):
            if wanted:
                hit = [self.labels.get(p, " ".join(p)) for p in wanted if _phrase_in(p, have)]
                reasons.append(f"{label} " + ", ".join(f"“{h}”" for h in hit))
        if self.keywords is not None:
            found = list(dict.fromkeys(self.keywords.hits(item.text)))
            shown = f" (found “{'”, “'.join(found[:3])}”)" if found else ""
            reasons.append(f"keywords {self.keywords_described}{shown}")
        if not reasons:
            reasons.append("everything" if self.items == "all" else f"all {self.items}")
        return reasons

    def keyword_hits(self, item: MatchItem) -> list[str]:
        return self.keywords.hits(item.text) if self.keywords is not None else []


def why_line(name: str, reasons: list[str]) -> str:
    """The short "why you got this" line that every alert carries."""
    return f"You got this because your subscription “{name}” asks for {'; '.join(reasons)}."
