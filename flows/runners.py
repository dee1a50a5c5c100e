"""Task runners and retry policy, chosen from the settings at run time.

Threads are the default: crawls are subprocesses and the store is local, so a
thread pool is all the parallelism one machine needs. With
``POLICYWATCH_DASK_ADDRESS`` set, the annotation flow runs its batches on
that Dask cluster through prefect-dask, which is where the CPU goes.

IO tasks (crawls, sends, exports) retry with exponential backoff and jitter,
so a flaky site or mail server gets several spaced-out chances and many
retries never hit it in lockstep; they also get a time-out. Pure steps
(annotation, classification, signals) get neither: retrying a deterministic
computation only repeats the same failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from policywatch.config import Settings

#: retry delays vary by up to this fraction either way, so retries do not synchronise
RETRY_JITTER = 0.5


def io_task_options(settings: Settings, *, timeout: bool = True) -> dict[str, Any]:
    """``Task.with_options`` arguments for an IO task: retries, backoff, jitter, time-out.

    ``timeout=False`` for tasks submitted to threads, where Prefect cannot
    interrupt blocking calls: those enforce the time-out themselves (a crawl
    passes it to Scrapy as ``CLOSESPIDER_TIMEOUT``).
    """
    delays = exponential_backoff(backoff_factor=settings.flow_retry_delay_seconds)
    options: dict[str, Any] = {
        "retries": settings.flow_retries,
        "retry_delay_seconds": delays(settings.flow_retries) if settings.flow_retries else 0,
        "retry_jitter_factor": RETRY_JITTER,
        "cache_policy": NO_CACHE,
    }
    if timeout:
        options["timeout_seconds"] = settings.flow_io_timeout_seconds
    return options


#: threads for IO tasks; crawls are further limited by ``flow_crawl_concurrency``
THREADS = 16


def thread_runner() -> ThreadPoolTaskRunner:
    """The default runner: a thread pool (crawl tasks wait for a free crawl slot)."""
    return ThreadPoolTaskRunner(max_workers=THREADS)


def sources_run_name(prefix: str) -> Callable[[], str]:
    """A flow-run namer: ``crawl-govuk-dfe`` for one source, ``crawl-all`` for every source."""

    def name() -> str:
        from prefect.runtime import flow_run

        sources = flow_run.parameters.get("sources") or []
        return f"{prefix}-{'-'.join(sources) if sources else 'all'}"

    return name


def annotate_runner(dask_address: str | None) -> Any:
    """Dask when an address is configured, else threads (batches then run one at a time)."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    return ThreadPoolTaskRunner(max_workers=1)
