"""The annotate flow: pending versions in batches, one Prefect task per batch.

A task run costs Prefect bookkeeping, so the unit of work is a batch of
``POLICYWATCH_FLOW_ANNOTATE_BATCH_SIZE`` versions (``annotate-batch-3-of-12``),
never a document. Each batch runs ``nlp.pipe`` and stores its rows with
``nlp.annotate.store_batch`` in one transaction, so a crash loses at most the
batch in flight and the next run annotates exactly what is missing.

The spaCy pipeline is loaded once per process and kept (``worker_pipeline``):
on the default thread runner that is this process; on a Dask cluster
(``POLICYWATCH_DASK_ADDRESS``) each worker loads it with its first batch and
reuses it for every later one. Batches run one at a time on threads, since a
spaCy ``Language`` is not meant to be shared between threads and ``nlp.pipe``
already uses the CPU; on Dask they run in parallel across workers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from spacy.language import Language
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from flows.hooks import pause_point
from flows.progress import reporter
from flows.records import RunSummary, StageResult, record_stage, timed
from flows.runners import annotate_runner
from nlp.annotate import PendingVersion, make_docs, pending_versions, store_batch
from nlp.pipeline import PipelineInfo, load_pipeline
from policywatch.config import Settings, get_settings
from policywatch.errors import PolicyWatchError
from policywatch.store import connect, make_engine, session_scope
from policywatch.store.tables import Annotation

_PIPELINES: dict[str, tuple[Language, PipelineInfo]] = {}
_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def worker_pipeline(model: str | None) -> tuple[Language, PipelineInfo]:
    """The spaCy pipeline for ``model``, loaded once per process (per Dask worker)."""
    with _LOCK:
        key = model or ""
        if key not in _PIPELINES:
            _PIPELINES[key] = load_pipeline(model)
        return _PIPELINES[key]


def worker_engine(database_url: str) -> Engine:
    """One engine per database per process, so a worker's batches share its pool."""
    with _LOCK:
        if database_url not in _ENGINES:
            _ENGINES[database_url] = make_engine(database_url)
        return _ENGINES[database_url]


def share_engine(engine: Engine) -> str:
    """Let tasks in this process use ``engine`` itself; returns the URL they are given."""
    url = engine.url.render_as_string(hide_password=False)
    with _LOCK:
        _ENGINES.setdefault(url, engine)
    return url


@dataclass(frozen=True)
class BatchOutcome:
    versions: int
    statements: int
    words: int
    #: versions another run annotated meanwhile (left alone)
    skipped: int = 0


def annotate_versions(
    database_url: str,
    model: str | None,
    expected_key: str,
    pending: list[PendingVersion],
    *,
    point: str,
    nlp_batch_size: int = 64,
) -> BatchOutcome:
    """Annotate and store one batch in one transaction (the plain function the task wraps).

    Versions another run annotated since the batch was planned are skipped,
    so two overlapping runs never store one version twice.
    """
    pipeline, info = worker_pipeline(model)
    if info.version_key != expected_key:
        raise PolicyWatchError(
            f"this worker's pipeline is {info.version_key}, the run expects {expected_key}: "
            "install the same model and PolicyWatch version on every Dask worker"
        )
    docs = list(pipeline.pipe(make_docs(pipeline, pending), batch_size=nlp_batch_size))
    with session_scope(worker_engine(database_url)) as session:
        ids = [p.version_id for p in pending]
        done = set(
            session.exec(
                select(Annotation.version_id).where(
                    col(Annotation.version_id).in_(ids),
                    Annotation.pipeline_version == info.version_key,
                )
            ).all()
        )
        annotated = [(d.user_data["version_id"], d) for d in docs]
        records = store_batch(session, [a for a in annotated if a[0] not in done], info)
        pause_point(point)  # test hook: rows written, not yet committed
    return BatchOutcome(
        versions=len(records),
        statements=sum(len(r["statements"]) for r in records),
        words=sum(r["words"] for r in records),
        skipped=len(done),
    )


@task(
    name="annotate-batch",
    task_run_name="annotate-batch-{number}-of-{total}",
    cache_policy=NO_CACHE,
)
def annotate_batch(
    number: int,
    total: int,
    database_url: str,
    model: str | None,
    expected_key: str,
    pending: list[PendingVersion],
    nlp_batch_size: int = 64,
) -> BatchOutcome:
    """One batch of versions: a pure step, so no retries (the next run picks it up)."""
    return annotate_versions(
        database_url,
        model,
        expected_key,
        pending,
        point=f"annotate-batch-{number}",
        nlp_batch_size=nlp_batch_size,
    )


def chunks(items: list[PendingVersion], size: int) -> Iterator[list[PendingVersion]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def annotate_stage(
    settings: Settings, engine: Engine, *, model: str | None = None, parallel: bool = False
) -> StageResult:
    """Annotate everything pending, a batch per task; ``parallel`` submits all batches at once.

    A failed batch is counted and named, and the others go on.
    """
    result = StageResult("annotate")
    progress = reporter()
    with timed(result):
        model = model or settings.spacy_model
        _, info = worker_pipeline(model)
        with session_scope(engine) as session:
            pending = pending_versions(session, pipeline_version=info.version_key)
        batches = list(chunks(pending, settings.flow_annotate_batch_size))
        result.items_in = len(pending)
        progress.start("annotate", len(pending))
        url = share_engine(engine)
        args = [
            (n, len(batches), url, model, info.version_key, batch, settings.nlp_batch_size)
            for n, batch in enumerate(batches, start=1)
        ]
        if parallel:  # all batches at once; results read in order as they finish
            futures = [(a, annotate_batch.submit(*a)) for a in args]
            outcomes = ((a, f.result(raise_on_failure=False)) for a, f in futures)
        else:
            outcomes = (
                (a, annotate_batch(*a, return_state=True).result(raise_on_failure=False))
                for a in args
            )
        for (number, total, *_, batch, _size), outcome in outcomes:
            if isinstance(outcome, BatchOutcome):
                result.items_out += outcome.versions
            else:
                result.items_failed += len(batch)
                result.errors.append(f"annotate-batch-{number}-of-{total}: {outcome}")
            progress.advance("annotate", len(batch))
    return result


@flow(name="annotate", flow_run_name="annotate-pending", task_runner=annotate_runner(None))
def annotate_flow(model: str | None = None, run_key: str | None = None) -> RunSummary:
    """Annotate every pending version; batches go to Dask when an address is configured.

    ``run_key`` records the stage under a parent run (the pipeline) instead of this one.
    """
    from prefect.runtime import flow_run

    settings = get_settings()
    engine = connect(settings, upgrade=True)
    summary = RunSummary(run_key=run_key or str(flow_run.id))
    result = annotate_stage(settings, engine, model=model, parallel=bool(settings.dask_address))
    record_stage(engine, run_key=summary.run_key, flow_name="annotate", result=result)
    summary.stages.append(result)
    return summary


def annotate_flow_for(settings: Settings):  # type: ignore[no-untyped-def]
    """The annotate flow with the task runner the settings ask for (threads or Dask)."""
    return annotate_flow.with_options(task_runner=annotate_runner(settings.dask_address))
