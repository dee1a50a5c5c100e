"""The train flow: fit the classifiers and make them the active models.

Training is a pure computation over the repository's labelled data (and,
when asked, the store), so its tasks get no retries. ``missing_only`` trains
only the tasks with no active model, which is what a first run or the demo
needs; a repeat then does nothing.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from flows.records import RunSummary, StageResult, record_stage, timed
from policywatch.config import Settings, get_settings
from policywatch.store import connect


@task(name="train-model", task_run_name="train-{name}", cache_policy=NO_CACHE)
def train_one(name: str, settings: Settings, engine: Engine) -> str:
    """Train one model with the fixed seed, register it and make it active; its version."""
    from models.training import train_and_register

    result = train_and_register(
        name, engine=engine, out_dir=settings.data_dir / "models", spacy_model=settings.spacy_model
    )
    return str(result.card["version"])


@task(name="train-missing", task_run_name="train-missing-models", cache_policy=NO_CACHE)
def train_missing(settings: Settings, engine: Engine) -> list[str]:
    from models.tagging import ensure_default_models

    return ensure_default_models(
        engine, out_dir=settings.data_dir / "models", spacy_model=settings.spacy_model
    )


def train_stage(
    settings: Settings, engine: Engine, *, names: list[str] | None, missing_only: bool
) -> StageResult:
    """Train the named models (default: every task), or only those with no active model."""
    from models.training import TASKS

    result = StageResult("train")
    with timed(result):
        if missing_only:
            trained: list[Any] = train_missing(settings, engine)
            result.items_in = len(TASKS)
        else:
            wanted = list(names or TASKS)
            result.items_in = len(wanted)
            trained = [train_one(name, settings, engine) for name in wanted]
        result.items_out = len(trained)
    return result


@flow(name="train", flow_run_name="train-models")
def train_flow(names: list[str] | None = None, missing_only: bool = False) -> RunSummary:
    """Train and activate the classifiers (``missing_only``: only where none is active)."""
    from prefect.runtime import flow_run

    settings = get_settings()
    engine = connect(settings, upgrade=True)
    result = train_stage(settings, engine, names=names, missing_only=missing_only)
    summary = RunSummary(run_key=str(flow_run.id), stages=[result])
    record_stage(engine, run_key=summary.run_key, flow_name="train", result=result)
    return summary
