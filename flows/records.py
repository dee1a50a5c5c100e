"""Run summaries in the store: one ``StageRun`` row per stage of each orchestrated run.

Prefect keeps its own history, but an unattended install may run without a
Prefect server, and ``policywatch status`` reads only the store. Each stage is
recorded the moment it ends, so a run killed half way still shows the stages
it finished.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from policywatch.store import session_scope
from policywatch.store.tables import StageRun
from policywatch.store.types import utcnow

#: at most this much of an error message is kept per stage
ERROR_LIMIT = 2000


@dataclass
class StageResult:
    """What one stage did: counted items, seconds, and why anything failed."""

    stage: str
    items_in: int = 0
    items_out: int = 0
    items_failed: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``failed``: errors, nothing done; ``partial``: errors or failed items beside work."""
        if self.errors and not self.items_out:
            return "failed"
        return "partial" if self.errors or self.items_failed else "succeeded"

    @property
    def error(self) -> str | None:
        return "; ".join(self.errors)[:ERROR_LIMIT] or None


@dataclass
class RunSummary:
    """Every stage of one run, in order."""

    run_key: str
    stages: list[StageResult] = field(default_factory=list)

    @property
    def failed(self) -> list[StageResult]:
        """Stages with an error (a failed source, a broken step): ``policywatch run`` exits 1.

        Items rejected at ingest (kept as ``ingesterror`` rows) are counted, not errors.
        """
        return [s for s in self.stages if s.errors]


@contextmanager
def timed(result: StageResult) -> Iterator[StageResult]:
    """Time a stage and turn an exception into the stage's error instead of ending the run."""
    started = time.perf_counter()
    try:
        yield result
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        result.seconds = time.perf_counter() - started


def record_stage(engine: Engine, *, run_key: str, flow_name: str, result: StageResult) -> None:
    """Write (or rewrite) one stage's row; the unique (run, stage) key keeps it single."""
    with session_scope(engine) as session:
        row = session.exec(
            select(StageRun).where(StageRun.run_key == run_key, StageRun.stage == result.stage)
        ).first() or StageRun(
            run_key=run_key,
            stage=result.stage,
            started_at=utcnow() - timedelta(seconds=result.seconds),
        )
        row.flow_name = flow_name
        row.items_in = result.items_in
        row.items_out = result.items_out
        row.items_failed = result.items_failed
        row.seconds = round(result.seconds, 3)
        row.status = result.status
        row.error = result.error
        session.add(row)


def recent_runs(session: Session, *, limit: int = 5) -> list[list[StageRun]]:
    """The stage rows of the ``limit`` most recent runs, newest run first, stages in order."""
    keys: list[str] = []
    rows = session.exec(select(StageRun).order_by(col(StageRun.id).desc())).all()
    by_key: dict[str, list[StageRun]] = {}
    for row in rows:
        if row.run_key not in by_key:
            if len(keys) == limit:
                continue
            keys.append(row.run_key)
            by_key[row.run_key] = []
        by_key[row.run_key].append(row)
    return [sorted(by_key[k], key=lambda r: r.id or 0) for k in keys]
