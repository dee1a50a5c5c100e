"""The pipeline flow end to end on the fixture site, on SQLite and PostgreSQL.

Real crawls (Scrapy subprocesses against the local fixture site), the real
spaCy pipeline and the stages that are installed, under the session's one
Prefect test harness.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from flows.annotate import annotate_flow_for
from flows.crawl import crawl_flow
from flows.export import export_flow
from flows.pipeline import run_pipeline
from flows.stages import (
    alerts_flow,
    available,
    digests_flow,
    digests_flow_or_none,
    later_stages,
    signals_flow,
)
from policywatch.cli import DEMO_SOURCES, app, main
from policywatch.config import get_settings
from policywatch.store import connect
from policywatch.store.tables import (
    Annotation,
    CrawlRun,
    Document,
    DocumentVersion,
    Signal,
    StageMark,
    StageRun,
    Statement,
)

pytestmark = pytest.mark.slow


def counts() -> dict[str, int]:
    engine = connect(get_settings())
    with Session(engine) as session:
        found = {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (Document, DocumentVersion, Annotation, Statement, StageMark, Signal)
        }
    engine.dispose()
    return found


def task_run_names(run_key: str) -> list[str]:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_key]))
        )
    return sorted(run.name for run in runs)


def test_the_pipeline_runs_every_stage_and_a_second_run_adds_nothing(
    prefect_api: str,
    demo_crawl: dict[str, object],
    backend: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("POLICYWATCH_FLOW_ANNOTATE_BATCH_SIZE", "8")

    first = run_pipeline(**demo_crawl)

    later = [stage.__name__.removesuffix("_stage") for stage in later_stages()]
    assert [s.stage for s in first.stages] == ["crawl", "ingest", "annotate", *later]
    assert not first.failed, first.stages
    stored = counts()
    assert stored["Document"] > 10
    assert first.stages[2].items_out == stored["Annotation"] == stored["DocumentVersion"]
    batches = -(-stored["Annotation"] // 8)
    names = task_run_names(first.run_key)
    assert {"crawl-adcs-demo", "crawl-kinship-demo"} <= set(names)
    assert f"annotate-batch-{batches}-of-{batches}" in names
    assert sum(name.startswith("annotate-batch-") for name in names) == batches
    engine = connect(get_settings())
    with Session(engine) as session:
        recorded = session.exec(
            select(StageRun).where(StageRun.run_key == first.run_key).order_by(col(StageRun.id))
        ).all()
        crawls = session.exec(select(CrawlRun)).all()
    engine.dispose()
    a, b = crawls
    overlapped = a.started_at < b.finished_at and b.started_at < a.finished_at  # type: ignore[operator]
    # PostgreSQL takes concurrent writers: both sources crawl at once; SQLite takes turns
    assert overlapped == (backend == "postgresql")
    assert [r.stage for r in recorded] == [s.stage for s in first.stages]
    assert all(r.status == "succeeded" and r.seconds >= 0 for r in recorded)

    second = run_pipeline(**demo_crawl)

    assert not second.failed
    assert counts() == stored  # nothing new: no duplicate documents, annotations, signals
    annotate = next(s for s in second.stages if s.stage == "annotate")
    assert (annotate.items_in, annotate.items_out) == (0, 0)


def test_the_single_stage_flows_run_on_their_own(
    prefect_api: str, demo_crawl: dict[str, object], tmp_path: Path
) -> None:
    crawled = crawl_flow(**demo_crawl)
    assert [s.stage for s in crawled.stages] == ["crawl", "ingest"] and not crawled.failed
    annotated = annotate_flow_for(get_settings())()
    stored = counts()
    assert annotated.stages[0].items_out == stored["Annotation"] == stored["DocumentVersion"]
    if available("timeline.recompute", "recompute_signals"):
        signals = signals_flow()
        assert [s.stage for s in signals.stages] == ["signals"] and not signals.failed
    if available("alerts.matching", "match_new"):
        assert [s.stage for s in alerts_flow().stages] == ["match", "send"]
    if digests_flow_or_none() is not None:
        assert not digests_flow().failed  # no subscription is due: nothing to send

    manifest = export_flow(out_dir=str(tmp_path / "export"), fmt="jsonl")

    assert manifest.row_counts["documents"] == stored["Document"]
    assert (tmp_path / "export" / "manifest.json").exists()
    engine = connect(get_settings())
    with Session(engine) as session:
        flows = set(session.exec(select(StageRun.flow_name)).all())
    engine.dispose()
    assert {"crawl", "annotate", "export"} <= flows


def test_a_failed_source_is_retried_reported_and_does_not_stop_the_others(
    prefect_api: str,
    fixture_site: str,
    isolated_settings: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("POLICYWATCH_FLOW_RETRIES", "1")
    monkeypatch.setenv("POLICYWATCH_FLOW_RETRY_DELAY_SECONDS", "0")
    # a real failure: the raw-file folder for one source cannot be created
    (isolated_settings / "raw").mkdir(parents=True)
    (isolated_settings / "raw" / "kinship-demo").write_text("not a folder", encoding="utf-8")
    args = ["run", "--no-train-missing", "-s", "adcs-demo", "-s", "kinship-demo"]
    args += ["--sources-file", str(DEMO_SOURCES)]

    code = main([*args, "--site-url", fixture_site])

    err = capsys.readouterr().err
    assert code == 1
    assert "failed: crawl: kinship-demo" in err and "NotADirectoryError" in err
    engine = connect(get_settings())
    with Session(engine) as session:
        runs = session.exec(select(CrawlRun.source_key)).all()
        crawl = session.exec(select(StageRun).where(StageRun.stage == "crawl")).one()
        adcs = session.exec(
            select(func.count()).select_from(Document).where(Document.source_key == "adcs-demo")
        ).one()
    assert runs.count("kinship-demo") == 2  # the first attempt and one retry
    assert adcs > 0  # the other source went on
    assert (crawl.items_in, crawl.items_out, crawl.items_failed) == (2, 1, 1)
    assert crawl.status == "partial" and "kinship-demo" in (crawl.error or "")
    assert counts()["Annotation"] == counts()["DocumentVersion"]  # later stages still ran

    status = CliRunner().invoke(app, ["status"], env={"COLUMNS": "200"})
    assert status.exit_code == 0
    assert "Latest pipeline run" in status.output
    row = next(line for line in status.output.splitlines() if line.startswith(" crawl"))
    assert row.split()[:5] == ["crawl", "partial", "2", "1", "1"]
