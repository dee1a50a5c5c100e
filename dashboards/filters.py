"""The filters every list shares, parsed once from the query string.

Pages and API routes take the same :class:`Filters` through the same FastAPI
dependency, so a page's URL and the matching ``/api/`` URL accept exactly the
same parameters and a journalist can swap one for the other. Every state of a
page lives in these parameters, which is what makes a pasted link reproduce
the view.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Query
from pydantic import BaseModel, Field


class SignalKind(StrEnum):
    contradiction = "contradiction"
    reversal = "reversal"
    reannouncement = "reannouncement"
    reactive = "reactive"
    burst = "burst"


class SignalStatus(StrEnum):
    """A signal's lifecycle (set by the timeline's recompute and by reviewers)."""

    open = "open"
    changed = "changed"
    confirmed = "confirmed"
    dismissed = "dismissed"
    withdrawn = "withdrawn"


#: shown when no status is picked, as the timeline's CLI does: withdrawn and
#: dismissed signals are kept in the store but not listed
SHOWN_STATUSES = ("open", "changed", "confirmed")


class GroupBy(StrEnum):
    theme = "theme"
    publisher = "publisher"
    actor = "actor"


#: the longest page any list returns, so one request cannot ask for the whole store
MAX_LIMIT = 500


class Filters(BaseModel):
    """What a journalist picked: themes, targets, actors, publishers, dates, kinds, score, text."""

    themes: list[str] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=list)
    actors: list[str] = Field(default_factory=list)
    publishers: list[str] = Field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    kinds: list[SignalKind] = Field(default_factory=list)
    min_score: float | None = None
    status: SignalStatus | None = None
    q: str | None = None
    group: GroupBy = GroupBy.theme
    limit: int = 100
    offset: int = 0

    @property
    def start(self) -> datetime | None:
        """``date_from`` as the first instant of that day (UTC)."""
        return datetime.combine(self.date_from, time.min, UTC) if self.date_from else None

    @property
    def end(self) -> datetime | None:
        """The instant after ``date_to`` (the range includes the whole last day)."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time.min, UTC)

    @property
    def restricts_to_signals(self) -> bool:
        """Picking signal kinds or a minimum score narrows documents to those in such signals."""
        return bool(self.kinds) or self.min_score is not None

    def query_items(self, **changes: object) -> list[tuple[str, str]]:
        """The filters as query-string pairs (with ``changes``), for links and downloads."""
        values = self.model_dump() | changes
        pairs: list[tuple[str, str]] = []
        names = {
            "themes": "theme",
            "targets": "target",
            "actors": "actor",
            "publishers": "publisher",
            "kinds": "kind",
            "date_from": "from",
            "date_to": "to",
        }
        defaults = Filters().model_dump()
        for field, value in values.items():
            if field not in defaults and field not in changes:
                continue
            if field in defaults and value == defaults[field] and field not in changes:
                continue
            if value is None or value == []:
                continue
            name = names.get(field, field)
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, str(getattr(item, "value", item))))
        return pairs

    def url(self, path: str, **changes: object) -> str:
        """``path`` with these filters (and ``changes``) as its query string."""
        query = urlencode(self.query_items(**changes))
        return f"{path}?{query}" if query else path


def _clean(values: list[str] | None) -> list[str]:
    return [v.strip() for v in values or [] if v and v.strip()]


def filters_from_query(
    theme: Annotated[list[str] | None, Query(description="Theme slug; repeat for several.")] = None,
    target: Annotated[list[str] | None, Query(description="Statement or signal target.")] = None,
    actor: Annotated[list[str] | None, Query(description="Actor id (e.g. a department).")] = None,
    publisher: Annotated[list[str] | None, Query(description="Publisher slug.")] = None,
    # an HTML form sends empty fields ("from=") that mean "no filter": "" is allowed
    date_from: Annotated[
        date | Literal[""] | None, Query(alias="from", description="First day (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[
        date | Literal[""] | None, Query(alias="to", description="Last day, included.")
    ] = None,
    kind: Annotated[list[SignalKind] | None, Query(description="Signal kind.")] = None,
    min_score: Annotated[
        Annotated[float, Field(ge=0, le=1000)] | Literal[""] | None,
        Query(description="Minimum signal score."),
    ] = None,
    status: Annotated[
        SignalStatus | Literal[""] | None, Query(description="Signal review status.")
    ] = None,
    q: Annotated[str | None, Query(max_length=500, description="Full-text query.")] = None,
    group: Annotated[GroupBy, Query(description="Chart rows: theme, publisher or actor.")] = (
        GroupBy.theme
    ),
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip.")] = 0,
) -> Filters:
    """The FastAPI dependency both the pages and the API use to read filters."""
    return Filters(
        themes=_clean(theme),
        targets=_clean(target),
        actors=_clean(actor),
        publishers=_clean(publisher),
        date_from=date_from or None,
        date_to=date_to or None,
        kinds=list(kind or []),
        min_score=None if min_score in (None, "") else float(min_score),
        status=status or None,
        q=(q or "").strip() or None,
        group=group,
        limit=limit,
        offset=offset,
    )
