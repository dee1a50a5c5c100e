"""The pipeline flow: every stage in order, for the new work only.

Crawl (and ingest) -> annotate -> the later stages, each a plain stage function
over the library code, recorded as a ``StageRun`` row as soon as it ends.
Every stage finds its own new work in the store (versions not annotated,
documents not tagged, items not matched), so a run killed anywhere is
finished by the next one without duplicates.

One flow run, stages as tasks inside it: a Prefect flow run costs about a
second of bookkeeping here, so stages are not separate subflows, except the
annotate flow when it runs on a Dask cluster (a flow has one task runner).
A stage that fails is recorded and the later stages still run on what the
store holds; the flow run then ends Failed with the summary attached.
"""

from __future__ import annotations

from collections.abc import Callable

from prefect import flow
from sqlalchemy.engine import Engine

from flows.annotate import annotate_flow_for, annotate_stage
from flows.crawl import CrawlOptions, crawl_stage
from flows.hooks import pause_point
from flows.progress import reporter
from flows.records import RunSummary, StageResult, record_stage
from flows.runners import sources_run_name, thread_runner
from flows.stages import available, later_stages
from policywatch.config import Settings, get_settings
from policywatch.store import connect


class PipelineFailed(Exception):
    """At least one stage failed; the summary says which and why."""

    def __init__(self, summary: RunSummary) -> None:
        failed = ", ".join(f"{s.stage} ({s.error})" for s in summary.failed)
        super().__init__(f"stages failed: {failed}")
        self.summary = summary


def run_stages(
    settings: Settings,
    engine: Engine,
    summary: RunSummary,
    *,
    crawl: CrawlOptions | None,
    train_missing: bool = False,
    flow_name: str = "pipeline",
) -> RunSummary:
    """Run each stage in order, recording each as it ends (the body of the pipeline flow)."""

    def done(result: StageResult, *, record: bool = True) -> None:
        if record:
            record_stage(engine, run_key=summary.run_key, flow_name=flow_name, result=result)
        summary.stages.append(result)
        reporter().finish(result.stage, result.status)
        pause_point(f"after-{result.stage}")  # test hook: between steps

    if crawl is not None:
        for result in crawl_stage(settings, engine, crawl):
            done(result)
    if settings.dask_address:
        try:
            sub = annotate_flow_for(settings)(run_key=summary.run_key)
            done(sub.stages[0], record=False)  # the subflow recorded it under this run
        except Exception as exc:  # the cluster is unreachable, say
            done(StageResult("annotate", errors=[f"{type(exc).__name__}: {exc}"]))
    else:
        done(annotate_stage(settings, engine))
    if train_missing and available("models.tagging", "ensure_default_models"):
        from flows.train import train_stage

        done(train_stage(settings, engine, names=None, missing_only=True))
    stage: Callable[[Settings, Engine], StageResult]
    for stage in later_stages():
        done(stage(settings, engine))
    return summary


@flow(name="pipeline", flow_run_name=sources_run_name("pipeline"), task_runner=thread_runner())
def pipeline_flow(
    sources: list[str] | None = None,
    sources_file: str | None = None,
    site_url: str | None = None,
    full: bool = False,
    requests_per_second: float | None = None,
    crawl: bool = True,
    train_missing: bool = False,
) -> RunSummary:
    """Crawl the sources (all, or those named), then run every later stage on the new work.

    ``crawl=False`` skips crawling and processes what the store already holds;
    ``train_missing`` first trains the default classifiers where none is active.
    """
    from prefect.runtime import flow_run

    settings = get_settings()
    engine = connect(settings, upgrade=True)
    options = (
        CrawlOptions(tuple(sources or ()), sources_file, site_url, full, requests_per_second)
        if crawl
        else None
    )
    summary = run_stages(
        settings,
        engine,
        RunSummary(run_key=str(flow_run.id)),
        crawl=options,
        train_missing=train_missing,
    )
    if summary.failed:
        raise PipelineFailed(summary)
    return summary


def run_pipeline(**parameters: object) -> RunSummary:
    """Run the pipeline flow once in this process and return its summary, failed or not."""
    state = pipeline_flow(**parameters, return_state=True)  # type: ignore[call-overload]
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, PipelineFailed):
        return outcome.summary
    if isinstance(outcome, RunSummary):
        return outcome
    raise outcome if isinstance(outcome, BaseException) else RuntimeError(str(outcome))
