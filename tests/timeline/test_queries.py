"""The query API the CLI, dashboard and exports share: filters, order, paging, one signal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from policywatch.errors import PolicyWatchError
from policywatch.store import session_scope
from timeline.queries import count_signals, get_signal, timeline_documents, timeline_signals


def test_signals_come_in_date_order_and_page_without_gaps(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        total = count_signals(session)
        every = timeline_signals(session, limit=1000)
        paged = timeline_signals(session, limit=7) + timeline_signals(session, limit=1000, offset=7)
    assert total == len(every) > 20
    assert [s.key for s in paged] == [s.key for s in every]
    dates = [s.last_date for s in every]
    assert dates == sorted(dates)


def test_each_filter_narrows_to_matching_signals(demo_engine: Engine) -> None:
    since = datetime(2021, 1, 1, tzinfo=UTC)
    with session_scope(demo_engine) as session:
        by_theme = timeline_signals(session, themes=["residential_care"], since=since)
        assert by_theme and all(
            "residential_care" in s.themes or s.theme == "residential_care" for s in by_theme
        )
        assert all(s.last_date >= since for s in by_theme)
        kinds = timeline_signals(session, kinds=["reannouncement"], min_score=0.6)
        assert kinds and all(s.kind == "reannouncement" and s.score >= 0.6 for s in kinds)
        home_office = timeline_signals(session, publishers=["home-office"])
        assert home_office and all(
            any(e.publisher == "home-office" for e in s.evidence) for s in home_office
        )
        actors = timeline_signals(session, actors=["ministry-of-justice"])
        assert actors and all(
            any(e.actor == "ministry-of-justice" for e in s.evidence) for s in actors
        )
        # a target as a user types it folds onto the canonical one
        secure = timeline_signals(session, targets=["secure childrens home places"])
        assert [s.target for s in secure] == ["secure children's homes places"] * len(secure) != []
        text = timeline_signals(session, text="HOTEL")
        assert text
        for signal in text:
            words = [signal.explanation, signal.target or "", *(e.quote for e in signal.evidence)]
            assert "hotel" in " ".join(words).lower()
        until = datetime(2016, 12, 31, tzinfo=UTC)
        early = timeline_signals(session, until=until)
        assert early and all(s.first_date <= until for s in early)
        assert timeline_signals(session, kinds=["burst"], themes=["no_such_theme"]) == []


def test_a_bad_theme_name_is_a_clear_error(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session, pytest.raises(PolicyWatchError, match="theme"):
        timeline_signals(session, themes=["'; drop table signal; --"])


def test_one_signal_by_key_or_id_with_its_chain(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        (reversal, *_) = timeline_signals(session, kinds=["reversal"], limit=1)
        by_key = get_signal(session, key_or_id=reversal.key)
        by_id = get_signal(session, key_or_id=str(reversal.id))
        assert get_signal(session, key_or_id="no-such-signal") is None
    assert by_key is not None and by_id is not None
    assert by_key.signal.key == by_id.signal.key == reversal.key
    chain_dates = [e.date for e in by_key.chain]
    assert chain_dates == sorted(chain_dates) and len(chain_dates) >= 2
    assert {"earlier", "reversal"} <= {e.role for e in by_key.chain}


def test_documents_as_points_over_time_per_theme_and_publisher(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        kinship = timeline_documents(session, themes=["kinship_care"])
        dfe = timeline_documents(session, publishers=["department-for-education"], limit=5)
        later = timeline_documents(
            session, publishers=["department-for-education"], limit=5, offset=5
        )
    assert kinship and all("kinship_care" in p.themes for p in kinship)
    assert [p.date for p in kinship] == sorted(p.date for p in kinship)
    assert any(p.signals > 0 for p in kinship)
    assert len(dfe) == 5 and all(p.publisher == "department-for-education" for p in dfe)
    assert not {p.document_id for p in dfe} & {p.document_id for p in later}
