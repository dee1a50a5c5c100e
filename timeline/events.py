"""Registered trigger events (inquiries, deaths, serious case reviews, critical reports).

Reactive signals follow a trigger; coverage spikes are found in the store, but
an event such as a published inquiry may have no document of its own, so a
user registers it (``policywatch events add``). Registering is idempotent on
the event's key: the same key again updates the event instead of adding one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from sqlmodel import Session, col, select

from policywatch.errors import PolicyWatchError
from policywatch.store.tables import Event
from policywatch.store.types import utcnow

KINDS = ("inquiry", "death", "serious_case_review", "critical_report", "court_ruling", "other")
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")


def _as_datetime(value: date | datetime | str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise PolicyWatchError(f"not a date: {value!r} (use YYYY-MM-DD)") from exc
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def add_event(
    session: Session,
    *,
    key: str,
    date: date | datetime | str,
    kind: str,
    theme: str | None,
    title: str,
    url: str | None = None,
) -> Event:
    """Register (or update) the event with this key; returns the stored row."""
    if not _KEY.match(key or ""):
        raise PolicyWatchError(f"event key {key!r}: use lower-case letters, digits, '-', '_', '.'")
    if kind not in KINDS:
        raise PolicyWatchError(f"event kind {kind!r}: use one of {', '.join(KINDS)}")
    if not title.strip():
        raise PolicyWatchError(f"event {key!r} needs a title")
    when = _as_datetime(date)
    event = session.exec(select(Event).where(Event.key == key)).first()
    if event is None:
        event = Event(key=key, date=when, kind=kind, theme=theme, title=title, url=url)
    else:
        changed = (event.date, event.kind, event.theme, event.title, event.url) != (
            when,
            kind,
            theme,
            title,
            url,
        )
        event.date, event.kind, event.theme, event.title, event.url = when, kind, theme, title, url
        if changed:  # an edited event affects its theme again at the next recompute
            event.created_at = utcnow()
    session.add(event)
    session.flush()
    return event


def list_events(session: Session, *, theme: str | None = None) -> list[Event]:
    """Registered events, oldest first."""
    query = select(Event).order_by(col(Event.date), col(Event.key))
    if theme:
        query = query.where(Event.theme == theme)
    return list(session.exec(query).all())


def add_events_file(session: Session, *, path: Path) -> list[Event]:
    """Register every event of a YAML list (the corpus's ``events.yaml`` format)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyWatchError(f"cannot read events file {path}: {exc}") from exc
    if not isinstance(raw, list):
        raise PolicyWatchError(f"{path}: expected a list of events")
    events = []
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or not {"id", "date", "kind", "title"} <= set(entry):
            raise PolicyWatchError(f"{path}: event {number} needs id, date, kind and title")
        events.append(
            add_event(
                session,
                key=str(entry["id"]),
                date=entry["date"],
                kind=str(entry["kind"]),
                theme=entry.get("theme"),
                title=str(entry["title"]),
                url=entry.get("url"),
            )
        )
    return events
