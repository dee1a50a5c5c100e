"""Progress reporting from inside flows to whoever started them (the CLI's bars).

Flow parameters go to Prefect's API as JSON, so callbacks cannot travel as
parameters. The CLI installs a reporter here before calling a flow; tasks in
this process (threads) report through it, and remote Dask work is reported by
the flow as each batch comes back. The default reporter does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Reporter(Protocol):
    def start(self, stage: str, total: int | None) -> None: ...
    def advance(self, stage: str, n: int = 1) -> None: ...
    def finish(self, stage: str, status: str) -> None: ...


class SilentReporter:
    """Reports nowhere: flows run from a schedule or a test."""

    def start(self, stage: str, total: int | None) -> None:
        return None

    def advance(self, stage: str, n: int = 1) -> None:
        return None

    def finish(self, stage: str, status: str) -> None:
        return None


_current: Reporter = SilentReporter()


def reporter() -> Reporter:
    return _current


@contextmanager
def reporting_to(target: Reporter) -> Iterator[Reporter]:
    """Send progress to ``target`` while the block runs."""
    global _current
    previous, _current = _current, target
    try:
        yield target
    finally:
        _current = previous
