"""Run summaries as plain functions: stage status rules and the StageRun rows (both backends)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from flows.records import RunSummary, StageResult, recent_runs, record_stage, timed
from policywatch.store.tables import StageRun


def test_a_stage_is_failed_partial_or_succeeded_by_what_it_did() -> None:
    assert StageResult("crawl", items_in=2, items_out=2).status == "succeeded"
    assert StageResult("ingest", items_in=5, items_out=4, items_failed=1).status == "partial"
    broke = StageResult("annotate", items_in=3, errors=["OperationalError: gone"])
    assert broke.status == "failed"
    one_of_two = StageResult("crawl", items_in=2, items_out=1, items_failed=1, errors=["x: boom"])
    assert one_of_two.status == "partial"
    summary = RunSummary("r", [StageResult("crawl", 1, 1), one_of_two, broke])
    # rejected items alone are counted, not a failure; errors are
    assert [s.stage for s in summary.failed] == ["crawl", "annotate"]


def test_timed_turns_an_exception_into_the_stages_error() -> None:
    result = StageResult("signals")
    with timed(result):
        raise ValueError("no facts")
    assert result.errors == ["ValueError: no facts"]
    assert result.seconds >= 0
    assert result.status == "failed"


def test_stage_rows_are_written_once_per_run_and_stage(engine: Engine) -> None:
    first = StageResult("crawl", items_in=2, items_out=1, items_failed=1, errors=["a: boom"])
    record_stage(engine, run_key="run-1", flow_name="pipeline", result=first)
    first.items_out = 2  # a stage recorded again (a retried flow) rewrites its row
    record_stage(engine, run_key="run-1", flow_name="pipeline", result=first)
    record_stage(engine, run_key="run-1", flow_name="pipeline", result=StageResult("annotate"))
    record_stage(engine, run_key="run-2", flow_name="crawl", result=StageResult("crawl", 1, 1))
    with Session(engine) as session:
        rows = session.exec(select(StageRun).order_by(StageRun.id)).all()
        assert [(r.run_key, r.stage) for r in rows] == [
            ("run-1", "crawl"),
            ("run-1", "annotate"),
            ("run-2", "crawl"),
        ]
        assert (rows[0].items_out, rows[0].status, rows[0].error) == (2, "partial", "a: boom")
        newest_first = [[r.stage for r in run] for run in recent_runs(session, limit=5)]
        assert newest_first == [["crawl"], ["crawl", "annotate"]]
        assert len(recent_runs(session, limit=1)) == 1
