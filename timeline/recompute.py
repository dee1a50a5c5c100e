"""Recompute the timeline's signals: incremental by default, idempotent, never deleting.

Called by the Prefect flow after each classify stage and by ``policywatch
timeline recompute``. A version the timeline has not seen yet (no
``timeline`` stage mark) makes its document's themes and target keys
"affected", as does an event registered since the last run; only signals in
those scopes are recomputed, plus every signal that cites one of the new
documents (so a changed or withdrawn document updates the signals it backed).

Each signal keeps its key (kind + scope + document ids), so a re-run finds the
same row: unchanged evidence leaves it alone, changed evidence updates it and
marks it ``changed``, and a signal no longer supported is marked
``withdrawn`` rather than deleted. A dismissed signal stays dismissed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from policywatch.store import session_scope
from policywatch.store.tables import (
    Annotation,
    DocumentVersion,
    Event,
    Signal,
    SignalEvidence,
    StageMark,
    TimelineRun,
)
from policywatch.store.types import utcnow
from timeline.config import DEFAULT, DetectorConfig
from timeline.detect import detect
from timeline.drafts import SignalDraft
from timeline.facts import Facts, aware, load_facts
from timeline.reactive import Trigger

STAGE = "timeline"
#: statuses a recompute never overrides (a reviewer's decision to dismiss)
STICKY = frozenset({"dismissed"})
CHUNK = 500


@dataclass
class RecomputeReport:
    themes_recomputed: int = 0
    targets_recomputed: int = 0
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    unchanged: int = 0
    full: bool = False
    new_versions: int = 0
    seconds: float = 0.0


def recompute_signals(
    engine: Engine,
    *,
    full: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    config: DetectorConfig = DEFAULT,
) -> RecomputeReport:
    """Bring signals up to date with the store; see the module docstring for the rules.

    ``on_progress(done, total)`` is called after each step (load, detect, store).
    """
    started = time.perf_counter()
    report = RecomputeReport(full=full)
    progress = on_progress or (lambda _done, _total: None)
    with session_scope(engine) as session:
        last_run = session.exec(select(TimelineRun).order_by(col(TimelineRun.id).desc())).first()
        if last_run is None:
            full = report.full = True
        new_versions = _unmarked_versions(session)
        new_events = _events_since(
            session, None if full or last_run is None else last_run.started_at
        )
        report.new_versions = len(new_versions)
        if not full and not new_versions and not new_events:
            progress(3, 3)
            report.seconds = time.perf_counter() - started
            return report
        run = TimelineRun(full=full)
        facts = load_facts(session)
        progress(1, 3)
        scopes = None if full else _affected_scopes(session, facts, new_versions, new_events)
        drafts = detect(facts, _triggers(session), config=config, scopes=scopes)
        progress(2, 3)
        _with_themes(drafts, facts)
        _store(session, drafts, scopes, report)
        _mark(session, new_versions)
        if scopes is None:
            report.themes_recomputed = len({t for d in facts.documents.values() for t in d.themes})
            report.targets_recomputed = len({k for s in facts.statements for k in s.keys})
        else:
            report.themes_recomputed = sum(s.startswith("theme:") for s in scopes)
            report.targets_recomputed = sum(s.startswith("target:") for s in scopes)
        run.scopes = ["*"] if scopes is None else sorted(scopes)[:1000]
        run.created, run.updated = report.created, report.updated
        run.withdrawn, run.unchanged = report.withdrawn, report.unchanged
        run.finished_at = utcnow()
        session.add(run)
        progress(3, 3)
    report.seconds = time.perf_counter() - started
    return report


def _with_themes(drafts: list[SignalDraft], facts: Facts) -> None:
    """Record the themes of every document a signal cites, so queries filter by theme
    without re-reading tags (the signal's ``data["themes"]``)."""
    for draft in drafts:
        themes: set[str] = set()
        for evidence in draft.evidence:
            doc = facts.documents.get(evidence.document_id)
            if doc is not None:
                themes |= doc.themes
        draft.data["themes"] = sorted(themes)


def _unmarked_versions(session: Session) -> list[int]:
    """Annotated versions the timeline has not taken into account yet."""
    marked = select(StageMark.version_id).where(StageMark.stage == STAGE)
    return list(
        session.exec(
            select(DocumentVersion.id)
            .join(Annotation, col(Annotation.version_id) == col(DocumentVersion.id))
            .where(col(DocumentVersion.id).not_in(marked))
            .distinct()
        ).all()
    )


def _events_since(session: Session, since: datetime | None) -> list[Event]:
    query = select(Event)
    if since is not None:
        query = query.where(col(Event.created_at) >= since)
    return list(session.exec(query).all())


def _triggers(session: Session) -> list[Trigger]:
    return [
        Trigger(
            key=f"event:{event.key}",
            date=aware(event.date),
            theme=event.theme,
            title=event.title,
            url=event.url,
        )
        for event in session.exec(select(Event)).all()
    ]


def _affected_scopes(
    session: Session, facts: Facts, new_versions: list[int], new_events: list[Event]
) -> set[str]:
    document_ids = (
        set(
            session.exec(
                select(DocumentVersion.document_id).where(col(DocumentVersion.id).in_(new_versions))
            ).all()
        )
        if new_versions
        else set()
    )
    scopes: set[str] = set()
    for document_id in document_ids:
        doc = facts.documents.get(document_id)
        if doc is not None:
            scopes |= {f"theme:{theme}" for theme in doc.themes}
    for statement in facts.statements:
        if statement.doc.document_id in document_ids:
            scopes |= {f"target:{key}" for key in statement.keys}
    scopes |= {f"theme:{event.theme}" for event in new_events if event.theme}
    if any(event.theme is None for event in new_events):
        scopes |= {f"theme:{t}" for d in facts.documents.values() for t in d.themes}
    if document_ids:  # signals that cite a new (changed, withdrawn) document
        cited = select(SignalEvidence.signal_id).where(
            col(SignalEvidence.document_id).in_(document_ids)
        )
        scopes |= set(session.exec(select(Signal.scope).where(col(Signal.id).in_(cited))).all())
    return scopes


def _store(
    session: Session, drafts: list[SignalDraft], scopes: set[str] | None, report: RecomputeReport
) -> None:
    now = utcnow()
    by_key = {d.key: d for d in drafts}
    existing: dict[str, tuple[int, str, str]] = {}
    query = select(Signal.id, Signal.key, Signal.status, Signal.digest)
    rows = list(session.exec(query).all()) if scopes is None else _existing(session, scopes, by_key)
    for signal_id, key, status, digest in rows:
        existing[key] = (signal_id, status, digest)
    new = [d for key, d in by_key.items() if key not in existing]
    _insert(session, new, now)
    report.created = len(new)
    changed: list[tuple[int, SignalDraft, str]] = []
    for key, draft in by_key.items():
        if key not in existing:
            continue
        signal_id, status, digest = existing[key]
        if digest == draft.digest() and status != "withdrawn":
            report.unchanged += 1
            continue
        if status in STICKY:
            new_status = status
        elif status == "withdrawn" and digest == draft.digest():
            new_status = "open"  # its evidence came back as it was
        else:
            new_status = "changed"
        changed.append((signal_id, draft, new_status))
    _update(session, changed, now)
    report.updated = len(changed)
    gone = [
        (signal_id, status)
        for key, (signal_id, status, _) in existing.items()
        if key not in by_key and status not in STICKY and status != "withdrawn"
    ]
    for start in range(0, len(gone), CHUNK):
        ids = [signal_id for signal_id, _ in gone[start : start + CHUNK]]
        session.execute(
            update(Signal).where(col(Signal.id).in_(ids)).values(status="withdrawn", updated_at=now)
        )
    report.withdrawn = len(gone)
    report.unchanged += sum(
        1
        for key, (_, status, _) in existing.items()
        if key not in by_key and (status in STICKY or status == "withdrawn")
    )


def _existing(
    session: Session, scopes: set[str], drafts: dict[str, SignalDraft]
) -> list[tuple[int, str, str, str]]:
    rows: dict[int, tuple[int, str, str, str]] = {}
    scope_list, keys = sorted(scopes), sorted(drafts)
    for values, column in ((scope_list, Signal.scope), (keys, Signal.key)):
        for start in range(0, len(values), CHUNK):
            for row in session.exec(
                select(Signal.id, Signal.key, Signal.status, Signal.digest).where(
                    col(column).in_(values[start : start + CHUNK])
                )
            ).all():
                rows[row[0]] = row
    return list(rows.values())


def _signal_values(draft: SignalDraft, now: datetime) -> dict[str, object]:
    return {
        "kind": draft.kind,
        "theme": draft.theme,
        "target": draft.target,
        "score": draft.score,
        "explanation": draft.explanation,
        "scope": draft.scope,
        "digest": draft.digest(),
        "first_date": draft.first_date,
        "last_date": draft.last_date,
        "data": draft.data,
        "updated_at": now,
    }


def _evidence_rows(signal_id: int, draft: SignalDraft) -> list[dict[str, object]]:
    return [
        {
            "signal_id": signal_id,
            "version_id": e.version_id,
            "document_id": e.document_id,
            "role": e.role,
            "position": position,
            "start_char": e.start_char,
            "end_char": e.end_char,
            "text": e.text,
            "actor": e.actor,
            "direction": e.direction,
            "money_gbp": e.money_gbp,
            "published_at": e.published_at,
        }
        for position, e in enumerate(draft.evidence)
    ]


def _insert(session: Session, drafts: list[SignalDraft], now: datetime) -> None:
    for start in range(0, len(drafts), CHUNK):
        chunk = drafts[start : start + CHUNK]
        session.execute(
            insert(Signal.__table__),  # type: ignore[attr-defined]
            [
                {"key": d.key, "status": "open", "first_seen_at": now, **_signal_values(d, now)}
                for d in chunk
            ],
        )
        ids = dict(
            session.exec(
                select(Signal.key, Signal.id).where(col(Signal.key).in_([d.key for d in chunk]))
            ).all()
        )
        evidence = [row for d in chunk for row in _evidence_rows(ids[d.key], d)]
        if evidence:
            session.execute(insert(SignalEvidence.__table__), evidence)  # type: ignore[attr-defined]


def _update(session: Session, changed: list[tuple[int, SignalDraft, str]], now: datetime) -> None:
    for signal_id, draft, status in changed:
        values = _signal_values(draft, now)
        values["status"] = status
        session.execute(update(Signal).where(col(Signal.id) == signal_id).values(**values))
    ids = [signal_id for signal_id, _, _ in changed]
    for start in range(0, len(ids), CHUNK):
        session.execute(
            delete(SignalEvidence).where(
                col(SignalEvidence.signal_id).in_(ids[start : start + CHUNK])
            )
        )
    evidence = [row for signal_id, draft, _ in changed for row in _evidence_rows(signal_id, draft)]
    for start in range(0, len(evidence), CHUNK * 4):
        session.execute(insert(SignalEvidence.__table__), evidence[start : start + CHUNK * 4])  # type: ignore[attr-defined]


def _mark(session: Session, version_ids: list[int]) -> None:
    now = utcnow()
    rows = [{"stage": STAGE, "version_id": v, "completed_at": now} for v in version_ids]
    for start in range(0, len(rows), CHUNK * 4):
        session.execute(insert(StageMark.__table__), rows[start : start + CHUNK * 4])  # type: ignore[attr-defined]
