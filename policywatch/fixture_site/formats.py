"""Timestamps and ids in the shapes GOV.UK and WordPress publish them.

GOV.UK writes UTC with a ``Z``; WordPress writes offset-free local and UTC
times side by side. Ids derived from hashes stay put as the corpus grows, so
URLs seen by an earlier crawl keep working in a later one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policywatch.fixture_site.corpus import CorpusDocument

try:  # WordPress shows local time in `date`; fall back to UTC without tzdata.
    SITE_TZ: tzinfo = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover - depends on the OS
    SITE_TZ = UTC


def iso(dt: datetime) -> str:
    """GOV.UK style UTC timestamps: 2023-02-02T09:30:00Z."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wp_time(dt: datetime, tz: tzinfo) -> str:
    """WordPress timestamps carry no offset: local in `date`, UTC in `date_gmt`."""
    return dt.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S")


def stable_ids(keys: Iterable[str], low: int, span: int) -> dict[str, int]:
    """Hash-derived integers that stay put when other documents are added."""
    ids: dict[str, int] = {}
    used: set[int] = set()
    for key in sorted(keys):
        n = low + int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % span
        while n in used:
            n += 1
        used.add(n)
        ids[key] = n
    return ids


def updated_at(doc: CorpusDocument, as_of: datetime | None) -> datetime:
    """Timestamp of the latest version visible at ``as_of`` (the doc must be visible)."""
    version = doc.version_at(as_of)
    return version.public_timestamp if version else doc.first_published_at
