"""A test-only hook that parks a run at a named point, so a test can SIGKILL it exactly there.

Set ``POLICYWATCH_FLOW_TEST_PAUSE_AT`` to a point name. When a run reaches that
point it writes ``<data_dir>/paused-at-<point>`` (holding its process id) and
sleeps until it is killed. The crash test waits for that file, sends SIGKILL
from outside, and runs the pipeline again. Points:

- ``after-<stage>``: between steps, once ``<stage>`` is recorded
  (``after-crawl``, ``after-annotate``, ...);
- ``annotate-batch-<i>``: inside annotation batch ``i`` (1-based), after its
  rows are written but before they are committed.

Unset (always, outside tests) the hook costs one settings read.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from policywatch.config import get_settings


def marker_path(data_dir: Path, point: str) -> Path:
    return data_dir / f"paused-at-{point}"


def pause_point(point: str) -> None:
    """Park here for good when the test hook names this point; otherwise return at once."""
    settings = get_settings()
    if settings.flow_test_pause_at != point:
        return
    marker = marker_path(settings.data_dir, point)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(os.getpid()), encoding="utf-8")
    while True:  # the test kills us here
        time.sleep(0.1)
