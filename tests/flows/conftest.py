"""Flow tests share ONE Prefect test harness (a temporary API server) for the session.

Starting the harness costs about 11 s here, so only tests that run flows ask
for ``prefect_api``; logic is tested through plain calls without it. Prefect
keeps its home, database and logs in a temporary folder and sends nothing out.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_HOME = tempfile.mkdtemp(prefix="policywatch-prefect-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ["PREFECT_HOME"] = _HOME
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

#: two small demo sources (an RSS feed and a sitemap site): a real crawl in seconds
SMALL_SOURCES = ["adcs-demo", "kinship-demo"]


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """The harness's API URL; flows called inside the session run against it."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings({PREFECT_HOME: Path(_HOME)}),
        prefect_test_harness(server_startup_timeout=120),
    ):
        yield str(PREFECT_API_URL.value())


@pytest.fixture(scope="session")
def fixture_site() -> Iterator[str]:
    """The local fixture site, shared by the session (it only serves files)."""
    from policywatch.fixture_site.server import FixtureSite

    with FixtureSite() as site:
        yield site.base_url


@pytest.fixture
def demo_crawl(fixture_site: str) -> dict[str, object]:
    """Pipeline parameters that crawl the two small demo sources from the fixture site."""
    from policywatch.cli import DEMO_SOURCES

    return {
        "sources": SMALL_SOURCES,
        "sources_file": str(DEMO_SOURCES),
        "site_url": fixture_site,
        "requests_per_second": 100.0,
    }
