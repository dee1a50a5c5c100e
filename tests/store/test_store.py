"""The store on both backends: migrations, idempotent upserts, versions, search."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from policywatch.store import migrate, queries, session_scope, writes
from policywatch.store.db import make_engine
from policywatch.store.migrate import include_object
from policywatch.store.tables import Document, DocumentPublisher, DocumentSource, DocumentVersion
from tests.store.helpers import add_document

HOMES_BODY = (
    "The Department for Education will fund 200 more places in open children's homes. "
    "Councils will bid for capital funding from April."
)


def test_migrations_from_empty_match_the_models(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert "document" not in inspect(engine).get_table_names()

    migrate.upgrade(engine)

    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    tables = set(inspect(engine).get_table_names())
    assert {"document", "documentversion", "crawlrun", "signal", "delivery"} <= tables


def test_every_revision_downgrades_and_upgrades_keeping_search(engine: Engine) -> None:
    for _ in range(2):
        migrate.downgrade(engine, "0001")
        migrate.upgrade(engine)
    with session_scope(engine) as session:
        add_document(session, url="https://www.gov.uk/a", title="Kinship care", body="Kinship.")
        hits = queries.search_documents(session, query="kinship")
    assert [h.title for h in hits] == ["Kinship care"]


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.is_up_to_date(engine)


def test_upserting_the_same_item_twice_changes_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = add_document(session, url="https://www.gov.uk/a", body=HOMES_BODY)
    with session_scope(engine) as session:
        second = add_document(session, url="https://www.gov.uk/a", body=HOMES_BODY)
        documents = session.exec(select(Document)).all()
        versions = session.exec(select(DocumentVersion)).all()
        links = session.exec(select(DocumentPublisher)).all()

    assert first.outcome is writes.Outcome.NEW
    assert second.outcome is writes.Outcome.UNCHANGED
    assert (second.document_id, second.version_id) == (first.document_id, first.version_id)
    assert len(documents) == 1 and len(versions) == 1 and len(links) == 1


def test_whitespace_only_changes_are_not_a_new_version(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_document(session, url="https://www.gov.uk/a", body="Some  words here.")
        again = add_document(session, url="https://www.gov.uk/a", body="Some words\nhere. ")
    assert again.outcome is writes.Outcome.UNCHANGED


def test_a_changed_body_makes_a_new_version_and_keeps_the_old(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_document(session, url="https://www.gov.uk/a", body="We will fund £200m.")
    with session_scope(engine) as session:
        result = add_document(
            session,
            url="https://www.gov.uk/a",
            body="We will fund £259m.",
            change_note="Corrected the funding figure.",
            public_updated_at=datetime(2023, 3, 1, tzinfo=UTC),
        )
    with session_scope(engine) as session:
        document = session.get(Document, result.document_id)
        versions = queries.document_versions(session, document_id=result.document_id)

    assert result.outcome is writes.Outcome.NEW_VERSION
    assert document is not None and document.latest_version == 2
    assert [v.version_no for v in versions] == [1, 2]
    assert versions[0].body_text == "We will fund £200m."
    assert versions[1].body_text == "We will fund £259m."
    assert versions[1].change_note == "Corrected the funding figure."
    assert document.public_updated_at == datetime(2023, 3, 1, tzinfo=UTC)
    assert document.first_published_at == datetime(2023, 2, 2, 9, 30, tzinfo=UTC)


def test_a_change_note_alone_makes_a_new_version(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_document(session, url="https://www.gov.uk/a", body="Same body.")
        result = add_document(
            session, url="https://www.gov.uk/a", body="Same body.", change_note="Added a link."
        )
    assert result.outcome is writes.Outcome.NEW_VERSION


def test_replaying_an_old_version_adds_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_document(session, url="https://www.gov.uk/a", body="Version one.")
        add_document(session, url="https://www.gov.uk/a", body="Version two.")
        replay = add_document(session, url="https://www.gov.uk/a", body="Version one.")
        count = len(session.exec(select(DocumentVersion)).all())
    assert replay.outcome is writes.Outcome.UNCHANGED
    assert replay.version_no == 1
    assert count == 2


def test_external_id_follows_a_document_that_moved(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = add_document(session, url="http://127.0.0.1:1/government/news/a", external_id="c1")
        moved = add_document(
            session, url="http://127.0.0.1:2/government/news/a", external_id="c1", body="New."
        )
        documents = session.exec(select(Document)).all()
    assert moved.document_id == first.document_id
    assert len(documents) == 1
    assert documents[0].canonical_url == "http://127.0.0.1:2/government/news/a"


def test_co_publishers_are_linked_and_listed(engine: Engine) -> None:
    with session_scope(engine) as session:
        dfe = writes.upsert_publisher(session, slug="department-for-education", kind="government")
        hmt = writes.upsert_publisher(session, slug="hm-treasury", kind="government")
        writes.upsert_document(
            session,
            source_key="test",
            canonical_url="https://www.gov.uk/joint",
            title="Joint announcement",
            body_html="",
            body_text="Joint.",
            first_published_at=datetime(2024, 1, 1, tzinfo=UTC),
            publisher_ids=[dfe.id, hmt.id],
        )
        add_document(session, url="https://www.gov.uk/solo", title="Solo")
        by_treasury = queries.list_documents(session, publisher="hm-treasury")
        by_dfe = queries.list_documents(session, publisher="department-for-education")
    assert [row.title for row in by_treasury] == ["Joint announcement"]
    assert by_treasury[0].publisher == "department-for-education"
    assert {row.title for row in by_dfe} == {"Joint announcement", "Solo"}


def test_list_is_newest_first_and_filters_by_date(engine: Engine) -> None:
    with session_scope(engine) as session:
        for year in (2016, 2021, 2019):
            add_document(
                session,
                url=f"https://www.gov.uk/{year}",
                title=str(year),
                published=datetime(year, 5, 1, tzinfo=UTC),
            )
        rows = queries.list_documents(session)
        recent = queries.list_documents(session, since=datetime(2018, 1, 1, tzinfo=UTC))
    assert [r.title for r in rows] == ["2021", "2019", "2016"]
    assert [r.title for r in recent] == ["2021", "2019"]


def _seed_search(session: Session) -> None:
    add_document(
        session,
        url="https://www.gov.uk/title-hit",
        title="Kinship care strategy published",
        body="A strategy for families raising relatives' children.",
    )
    add_document(
        session,
        url="https://www.gov.uk/body-hit",
        title="Family help reforms",
        body="Local areas will test family help. Kinship carers are mentioned once.",
    )
    add_document(
        session,
        url="https://www.gov.uk/miss",
        title="Ofsted inspection framework",
        body="Inspections of children's homes will change.",
    )


def test_search_ranks_title_matches_first(engine: Engine) -> None:
    with session_scope(engine) as session:
        _seed_search(session)
        hits = queries.search_documents(session, query="kinship")
    assert [h.title for h in hits] == ["Kinship care strategy published", "Family help reforms"]
    assert hits[0].score > hits[1].score
    assert "[" in hits[1].snippet and "]" in hits[1].snippet


def test_search_stems_phrases_and_exclusions(engine: Engine) -> None:
    with session_scope(engine) as session:
        _seed_search(session)
        stemmed = queries.search_documents(session, query="inspecting")
        phrase = queries.search_documents(session, query='"family help"')
        excluded = queries.search_documents(session, query="kinship -strategy")
        nothing = queries.search_documents(session, query="   ")
    assert [h.title for h in stemmed] == ["Ofsted inspection framework"]
    assert [h.title for h in phrase] == ["Family help reforms"]
    assert [h.title for h in excluded] == ["Family help reforms"]
    assert nothing == []


def test_search_uses_the_latest_version_only(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_document(session, url="https://www.gov.uk/a", title="Update", body="Adoption reform.")
        add_document(session, url="https://www.gov.uk/a", title="Update", body="Fostering reform.")
        old_words = queries.search_documents(session, query="adoption")
        new_words = queries.search_documents(session, query="fostering")
    assert old_words == []
    assert [h.title for h in new_words] == ["Update"]


def test_search_treats_operators_as_plain_words(engine: Engine) -> None:
    with session_scope(engine) as session:
        _seed_search(session)
        hits = queries.search_documents(session, query="kinship OR NEAR( *")
        hits_quoted = queries.search_documents(session, query='kinship "care strategy')
    # "near" is a required word, not an operator, so nothing matches; no syntax error
    assert hits == []
    assert [h.title for h in hits_quoted] == ["Kinship care strategy published"]
    assert hits_quoted[0].first_published_at == datetime(2023, 2, 2, 9, 30, tzinfo=UTC)


def test_crawl_runs_record_counts_and_feed_incremental_crawls(engine: Engine) -> None:
    with session_scope(engine) as session:
        run = writes.start_crawl_run(session, source_key="govuk")
        assert queries.last_finished_run(session, source_key="govuk") is None
        writes.finish_crawl_run(
            session,
            run_id=run.id,
            status="partial",
            counts={"items_seen": 3, "items_new": 2, "items_rejected": 1},
            error_summary={"no_publication_date": 1},
        )
        last = queries.last_finished_run(session, source_key="govuk")
    assert last is not None and last.id == run.id
    assert (last.items_seen, last.items_new, last.items_rejected) == (3, 2, 1)
    assert last.error_summary == {"no_publication_date": 1}
    assert last.finished_at is not None and last.finished_at.tzinfo is not None


def test_ingest_errors_keep_the_whole_payload(engine: Engine) -> None:
    with session_scope(engine) as session:
        writes.record_ingest_error(session, reason="corrupt_json_line", payload='{"title": "Ha')
        errors = queries.ingest_errors(session)
        counts = queries.store_counts(session)
    assert errors[0].payload == '{"title": "Ha'
    assert counts.ingest_errors == 1


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "nested").is_dir()


def _history(*entries: tuple[str, str]) -> list[writes.HistoryEntry]:
    return [writes.HistoryEntry(at=datetime.fromisoformat(at), note=note) for at, note in entries]


def test_every_major_change_in_the_history_is_a_version(engine: Engine) -> None:
    history = _history(
        ("2023-02-02T09:30:00+00:00", "First published."),
        ("2023-03-01T10:00:00+00:00", "Added the list of pathfinder areas."),
    )
    with session_scope(engine) as session:
        first = add_document(
            session,
            url="https://www.gov.uk/a",
            body="Current body.",
            change_note="Corrected the funding figure.",
            public_updated_at=datetime(2023, 4, 5, tzinfo=UTC),
            history=history,
        )
        again = add_document(
            session,
            url="https://www.gov.uk/a",
            body="Current body.",
            change_note="Corrected the funding figure.",
            public_updated_at=datetime(2023, 4, 5, tzinfo=UTC),
            history=history,
        )
        versions = queries.document_versions(session, document_id=first.document_id)

    assert again.outcome is writes.Outcome.UNCHANGED
    assert [(v.version_no, v.body_known, v.change_note) for v in versions] == [
        (1, False, "First published."),
        (2, False, "Added the list of pathfinder areas."),
        (3, True, "Corrected the funding figure."),
    ]
    assert versions[0].published_at == datetime(2023, 2, 2, 9, 30, tzinfo=UTC)
    assert versions[2].body_text == "Current body."


def test_history_already_held_is_not_added_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_document(
            session,
            url="https://www.gov.uk/a",
            body="Version one.",
            change_note="First published.",
            public_updated_at=datetime(2023, 2, 2, tzinfo=UTC),
        )
        later = add_document(
            session,
            url="https://www.gov.uk/a",
            body="Version three.",
            change_note="Third.",
            public_updated_at=datetime(2023, 6, 1, tzinfo=UTC),
            history=_history(
                ("2023-02-02T00:00:00+00:00", "First published."),
                ("2023-04-01T00:00:00+00:00", "Second."),
            ),
        )
        versions = queries.document_versions(session, document_id=later.document_id)
    assert [(v.change_note, v.body_known) for v in versions] == [
        ("First published.", True),
        ("Second.", False),
        ("Third.", True),
    ]


def test_the_same_url_from_two_sources_is_one_document(engine: Engine) -> None:
    with session_scope(engine) as session:
        publisher = writes.upsert_publisher(session, slug="adcs", kind="sector")
        for source_key in ("adcs-feed", "adcs-sitemap", "adcs-feed"):
            writes.upsert_document(
                session,
                source_key=source_key,
                canonical_url="https://adcs.org.uk/news/a",
                title="Safeguarding pressures",
                body_html="",
                body_text="Body.",
                first_published_at=datetime(2024, 1, 1, tzinfo=UTC),
                publisher_ids=[publisher.id],
            )
        documents = session.exec(select(Document)).all()
        sources = session.exec(select(DocumentSource)).all()
    assert len(documents) == 1
    assert documents[0].source_key == "adcs-feed"  # the source that found it first
    assert sorted(s.source_key for s in sources) == ["adcs-feed", "adcs-sitemap"]
