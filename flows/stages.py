"""The stages after annotation, each a thin task over its library function.

Every wrapper runs the library function as one Prefect task (a stage is one
batch of work, never one task per item) and turns its report into a
``StageResult``. Idempotency is each library's own: the tagger and the
timeline mark what they processed, alert matching marks each item and the
delivery table's unique key makes a second delivery of one item impossible.

Signals and classification are pure computations over the store: no
retries. Sending alerts is IO: retries with exponential backoff and jitter,
and a time-out.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from flows.progress import reporter
from flows.records import RunSummary, StageResult, record_stage, timed
from flows.runners import io_task_options
from policywatch.config import Settings, get_settings
from policywatch.store import connect

Stage = Callable[[Settings, Engine], StageResult]


def available(module: str, name: str) -> bool:
    """Whether ``module.name`` exists in this installation (stages built in parallel)."""
    try:
        if importlib.util.find_spec(module) is None:
            return False
    except ModuleNotFoundError:
        return False
    return hasattr(importlib.import_module(module), name)


# -- signals -------------------------------------------------------------------


@task(name="recompute-signals", task_run_name="recompute-signals", cache_policy=NO_CACHE)
def recompute_task(engine: Engine) -> Any:
    from timeline.recompute import recompute_signals

    progress = reporter()
    progress.start("signals", 3)
    return recompute_signals(
        engine, on_progress=lambda done, _total: progress.advance("signals", 1 if done else 0)
    )


def signals_stage(settings: Settings, engine: Engine) -> StageResult:
    """Recompute the signals touched by new versions and events (the timeline marks them)."""
    result = StageResult("signals")
    with timed(result):
        report = recompute_task(engine)
        result.items_in = report.new_versions
        result.items_out = report.created + report.updated + report.withdrawn
    return result


# -- alerts --------------------------------------------------------------------


@task(name="match-alerts", task_run_name="match-alerts", cache_policy=NO_CACHE)
def match_task(engine: Engine, settings: Settings) -> Any:
    from alerts.matching import match_new

    return match_new(engine, settings)


@task(name="send-alerts", task_run_name="send-alerts", cache_policy=NO_CACHE)
def send_task(engine: Engine, settings: Settings) -> Any:
    from alerts.sender import drain_outbox

    return drain_outbox(engine, settings)


def match_stage(settings: Settings, engine: Engine) -> StageResult:
    """Match new documents and signals to subscriptions, queueing deliveries."""
    result = StageResult("match")
    with timed(result):
        report = match_task(engine, settings)
        result.items_in = report.versions + report.signals
        result.items_out = report.deliveries
        reporter().start("match", result.items_in)
        reporter().advance("match", result.items_in)
    return result


def send_stage(settings: Settings, engine: Engine) -> StageResult:
    """Send what the outbox holds; failed sends stay queued for the outbox's own retries."""
    result = StageResult("send")
    with timed(result):
        report = send_task.with_options(**io_task_options(settings))(engine, settings)
        result.items_out = report.messages_sent
        result.items_failed = len(report.errors) + report.dead
        result.items_in = result.items_out + result.items_failed
        result.errors.extend(report.errors[:10])
        reporter().start("send", result.items_in)
        reporter().advance("send", result.items_in)
    return result


# -- classify ------------------------------------------------------------------


@task(name="classify", task_run_name="classify-pending", cache_policy=NO_CACHE)
def classify_task(engine: Engine) -> Any:
    from models.tagging import classify_pending

    progress = reporter()
    seen = [0]

    def on_progress(done: int, total: int) -> None:  # a running total after each batch
        progress.start("classify", total)
        progress.advance("classify", done - seen[0])
        seen[0] = done

    return classify_pending(engine, on_progress=on_progress)


def classify_stage(settings: Settings, engine: Engine) -> StageResult:
    """Tag annotated versions with the active theme and planned/reactive models.

    With no active model this tags nothing (``policywatch train``, or the
    ``train`` flow, makes the default ones).
    """
    result = StageResult("classify")
    with timed(result):
        report = classify_task(engine)
        result.items_in = result.items_out = report.versions
    return result


def later_stages() -> list[Stage]:
    """The stages that run after annotation, in order, as far as they are installed."""
    stages: list[Stage] = []
    if available("models.tagging", "classify_pending"):
        stages.append(classify_stage)
    if available("timeline.recompute", "recompute_signals"):
        stages.append(signals_stage)
    if available("alerts.matching", "match_new") and available("alerts.sender", "drain_outbox"):
        stages += [match_stage, send_stage]
    return stages


# -- flows of their own ----------------------------------------------------------


def _run_alone(flow_name: str, stages: list[Stage]) -> RunSummary:
    from prefect.runtime import flow_run

    settings = get_settings()
    engine = connect(settings, upgrade=True)
    summary = RunSummary(run_key=str(flow_run.id))
    for stage in stages:
        result = stage(settings, engine)
        record_stage(engine, run_key=summary.run_key, flow_name=flow_name, result=result)
        summary.stages.append(result)
    return summary


@flow(name="signals", flow_run_name="signals-recompute")
def signals_flow() -> RunSummary:
    """Recompute the timeline's signals for what changed."""
    return _run_alone("signals", [signals_stage])


@flow(name="alerts", flow_run_name="alerts-match-and-send")
def alerts_flow() -> RunSummary:
    """Match new items to subscriptions and send what is due."""
    return _run_alone("alerts", [match_stage, send_stage])


@task(name="send-digests", task_run_name="send-digests", cache_policy=NO_CACHE)
def digests_task(engine: Engine, settings: Settings) -> Any:
    from alerts.digests import send_due_digests

    return send_due_digests(engine, settings)


def digests_stage(settings: Settings, engine: Engine) -> StageResult:
    result = StageResult("digests")
    with timed(result):
        report = digests_task.with_options(**io_task_options(settings))(engine, settings)
        result.items_out = report.messages_sent
        result.items_failed = len(report.errors) + report.dead
        result.items_in = result.items_out + result.items_failed
        result.errors.extend(report.errors[:10])
    return result


@flow(name="digests", flow_run_name="digests-due")
def digests_flow() -> RunSummary:
    """Send the daily and weekly digests that are due."""
    return _run_alone("digests", [digests_stage])


def digests_flow_or_none() -> Any:
    """The digests flow, when the alerts stage is installed."""
    return digests_flow if available("alerts.digests", "send_due_digests") else None
