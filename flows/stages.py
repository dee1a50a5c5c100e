"""The stages after annotation, each a thin wrapper over its library function.

Each wrapper returns a ``StageResult`` with what its library report counted.
Stages whose library code is not installed are simply absent from
``later_stages``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from flows.records import StageResult
from policywatch.config import Settings

Stage = Callable[[Settings, Engine], StageResult]


def later_stages() -> list[Stage]:
    """The stages that run after annotation, in order."""
    return []


def digests_flow_or_none() -> Any:
    """The digests flow, when the alerts stage is installed."""
    return None
