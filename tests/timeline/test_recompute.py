"""Recomputing on both backends: incremental, idempotent, stable keys, nothing deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from policywatch.store import session_scope
from policywatch.store.tables import Signal, SignalEvidence, TimelineRun
from tests.timeline.seed import add_document
from timeline.recompute import recompute_signals

INCREASE = "The department will fund more places in children's homes."
CUT = "The Youth Custody Service will buy fewer beds in secure children's homes."
SECURE_UP = "We will expand secure children's homes places across England."


def signals(engine: Engine) -> dict[str, Signal]:
    with session_scope(engine) as session:
        return {s.key: s for s in session.exec(select(Signal)).all()}


def seed_conflict(engine: Engine) -> None:
    add_document(
        engine,
        slug="dfe-secure",
        publisher="department-for-education",
        when=datetime(2022, 3, 21),
        sentences=[(SECURE_UP, "increase", "secure children's homes places")],
    )
    add_document(
        engine,
        slug="moj-beds",
        publisher="ministry-of-justice",
        when=datetime(2022, 9, 14),
        sentences=[(CUT, "decrease", "bed")],
    )


def test_a_contradiction_is_found_once_and_a_rerun_changes_nothing(engine: Engine) -> None:
    seed_conflict(engine)
    first = recompute_signals(engine)
    assert first.full and first.created == 1
    (signal,) = signals(engine).values()
    assert signal.kind == "contradiction" and signal.target == "secure children's homes places"
    with session_scope(engine) as session:
        quotes = session.exec(
            select(SignalEvidence.text).where(SignalEvidence.signal_id == signal.id)
        ).all()
    assert set(quotes) == {SECURE_UP, CUT}

    again = recompute_signals(engine)
    assert (again.created, again.updated, again.withdrawn) == (0, 0, 0)
    full = recompute_signals(engine, full=True)
    assert (full.created, full.updated, full.withdrawn, full.unchanged) == (0, 0, 0, 1)
    assert list(signals(engine)) == [signal.key]
    with session_scope(engine) as session:
        assert len(session.exec(select(TimelineRun)).all()) == 2  # the no-op run records nothing


def test_one_new_contradicting_document_adds_exactly_its_signal(engine: Engine) -> None:
    seed_conflict(engine)
    recompute_signals(engine)
    before = signals(engine)
    add_document(
        engine,
        slug="home-office-homes",
        publisher="home-office",
        when=datetime(2022, 11, 1),
        sentences=[
            (
                "Councils will close children's homes places for this group.",
                "decrease",
                "children's homes places",
            )
        ],
    )
    add_document(
        engine,
        slug="dfe-homes",
        publisher="department-for-education",
        when=datetime(2022, 6, 1),
        sentences=[(INCREASE, "increase", "children's homes places")],
    )
    report = recompute_signals(engine)
    after = signals(engine)
    assert not report.full and report.new_versions == 2
    assert report.created == 1 and report.withdrawn == 0
    (new_key,) = set(after) - set(before)
    assert (
        after[new_key].kind == "contradiction"
        and after[new_key].target == "children's homes places"
    )
    assert all(after[k].id == s.id and after[k].status == "open" for k, s in before.items())
    again = recompute_signals(engine)
    assert (again.created, again.updated, again.withdrawn) == (0, 0, 0)


def test_changed_and_withdrawn_evidence_is_marked_not_deleted(engine: Engine) -> None:
    seed_conflict(engine)
    recompute_signals(engine)
    (key,) = signals(engine)
    # a new version of the MoJ document says something else: the signal loses its support
    add_document(
        engine,
        slug="moj-beds",
        publisher="ministry-of-justice",
        when=datetime(2022, 9, 14),
        sentences=[("The Youth Custody Service will keep its contracts.", None, None)],
    )
    report = recompute_signals(engine)
    assert report.withdrawn == 1
    assert signals(engine)[key].status == "withdrawn"
    # the sentence comes back, reworded: same key, marked changed
    add_document(
        engine,
        slug="moj-beds",
        publisher="ministry-of-justice",
        when=datetime(2022, 9, 14),
        sentences=[(CUT + " From April.", "decrease", "bed")],
    )
    report = recompute_signals(engine)
    assert report.updated == 1 and report.created == 0
    assert signals(engine)[key].status == "changed"


def test_a_dismissed_signal_stays_dismissed(engine: Engine) -> None:
    seed_conflict(engine)
    recompute_signals(engine)
    (key,) = signals(engine)
    with session_scope(engine) as session:
        signal = session.exec(select(Signal).where(Signal.key == key)).one()
        signal.status = "dismissed"
        session.add(signal)
    add_document(
        engine,
        slug="moj-beds",
        publisher="ministry-of-justice",
        when=datetime(2022, 9, 14),
        sentences=[(CUT + " Reworded.", "decrease", "bed")],
    )
    recompute_signals(engine)
    recompute_signals(engine, full=True)
    assert signals(engine)[key].status == "dismissed"
