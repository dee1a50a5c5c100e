"""The annotate flow on a real (local) Dask cluster gives the same annotations as threads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from flows.annotate import annotate_flow_for, chunks
from flows.pipeline import run_pipeline
from nlp.annotate import PendingVersion
from policywatch.config import get_settings
from policywatch.fixture_site.corpus import load_corpus
from policywatch.store import make_engine, migrate, session_scope, writes
from policywatch.store.tables import Annotation, DocumentTheme, StageMark, StageRun, Statement

DOCUMENTS = 12
BATCH = 5


def seeded_store(path: Path) -> str:
    """A store holding the first corpus documents as versions waiting for annotation."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        publisher = writes.upsert_publisher(session, slug="department-for-education")
        for document in load_corpus().documents[:DOCUMENTS]:
            writes.upsert_document(
                session,
                source_key="seed",
                canonical_url=f"https://example.org/{document.id}",
                title=document.title,
                body_html="",
                body_text=" ".join(document.body.split()),
                first_published_at=datetime(2024, 1, 1, tzinfo=UTC),
                publisher_ids=[publisher.id],  # type: ignore[list-item]
            )
    engine.dispose()
    return url


def annotations(url: str) -> dict[str, Any]:
    """Everything annotation wrote, keyed by version, without timestamps."""
    engine = make_engine(url)
    with Session(engine) as session:
        found = {
            "annotations": {
                a.version_id: (a.pipeline_version, a.data)
                for a in session.exec(select(Annotation)).all()
            },
            "statements": sorted(
                (s.version_id, s.start_char, s.direction, s.target, s.actor)
                for s in session.exec(select(Statement)).all()
            ),
            "themes": sorted(
                (t.version_id, t.theme, round(t.score, 6))
                for t in session.exec(select(DocumentTheme).where(DocumentTheme.method == "rule"))
            ),
            "marks": sorted(
                session.exec(select(StageMark.version_id).where(StageMark.stage == "annotate"))
            ),
        }
    engine.dispose()
    return found


def test_batches_are_consecutive_slices() -> None:
    items = [PendingVersion(i, "", "", None) for i in range(12)]
    assert [[p.version_id for p in c] for c in chunks(items, 5)] == [
        [0, 1, 2, 3, 4],
        [5, 6, 7, 8, 9],
        [10, 11],
    ]


@pytest.mark.slow
def test_annotating_on_a_local_dask_cluster_matches_the_thread_runner(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    monkeypatch.setenv("POLICYWATCH_FLOW_ANNOTATE_BATCH_SIZE", str(BATCH))
    on_threads, on_dask = seeded_store(tmp_path / "a.db"), seeded_store(tmp_path / "b.db")

    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", on_threads)
    threads = annotate_flow_for(get_settings())()

    # one in-process worker with one thread: a worker uses its pipeline one batch at a time
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        monkeypatch.setenv("POLICYWATCH_DATABASE_URL", on_dask)
        monkeypatch.setenv("POLICYWATCH_DASK_ADDRESS", cluster.scheduler_address)
        settings = get_settings()
        assert type(annotate_flow_for(settings).task_runner).__name__ == "DaskTaskRunner"
        # the pipeline sends its annotate stage to the cluster as a subflow
        pipeline = run_pipeline(crawl=False)

    dask = next(s for s in pipeline.stages if s.stage == "annotate")
    assert threads.stages[0].items_out == dask.items_out == DOCUMENTS
    assert not dask.errors
    engine = make_engine(on_dask)
    with Session(engine) as session:
        recorded = session.exec(
            select(StageRun.stage).where(StageRun.run_key == pipeline.run_key)
        ).all()
    engine.dispose()
    assert "annotate" in recorded  # recorded under the pipeline's run by the subflow
    expected = annotations(on_threads)
    assert len(expected["annotations"]) == DOCUMENTS and expected["statements"]
    assert annotations(on_dask) == expected
