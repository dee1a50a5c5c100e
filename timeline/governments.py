"""Which government was in office on a date.

A change of government is context, not a contradiction or a reversal: the
positions of two governments never stood at the same time, and a new
government reversing its predecessor is the point of an election. Periods are
data (``timeline/data/governments.toml``), so another country is a new file.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

DATA_PATH = Path(__file__).with_name("data") / "governments.toml"


@dataclass(frozen=True)
class Government:
    key: str
    name: str
    start: datetime


@lru_cache(maxsize=1)
def governments() -> tuple[Government, ...]:
    with DATA_PATH.open("rb") as handle:
        raw = tomllib.load(handle)
    periods = []
    for entry in raw["government"]:
        start = entry["start"]
        if isinstance(start, date) and not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day, tzinfo=UTC)
        periods.append(Government(key=entry["key"], name=entry["name"], start=start))
    return tuple(sorted(periods, key=lambda g: g.start))


@lru_cache(maxsize=1)
def _starts() -> list[datetime]:
    return [g.start for g in governments()]


@lru_cache(maxsize=100000)
def government_on(when: datetime) -> Government | None:
    """The government in office at ``when`` (None before the first known period)."""
    index = bisect_right(_starts(), when) - 1
    return governments()[index] if index >= 0 else None


def same_government(a: datetime, b: datetime) -> bool:
    return government_on(a) == government_on(b)
