"""The ``policywatch`` command line: a thin Typer layer over library functions.

Every command calls functions you can import (store, crawl, ingest), so the
CLI holds no logic of its own. Errors print one clear line and exit non-zero;
``--debug`` shows the traceback instead. Every command's help ends with an
example (a test checks it).

The app and shared helpers live in ``app``; each other module registers the
commands of one area on it when imported here. ``--help`` lists commands in
the order they register, so keep the imports below in this order.
"""

# isort: off
from policywatch.cli import crawling, language, models, documents, store, demo
from policywatch.cli import exports, flows, alerts
from policywatch.cli import timeline
from policywatch.cli import dashboard

# isort: on
from policywatch.cli.app import app, main, run
from policywatch.cli.demo import DEMO_SOURCES

__all__ = [
    "DEMO_SOURCES",
    "alerts",
    "app",
    "crawling",
    "dashboard",
    "demo",
    "documents",
    "exports",
    "flows",
    "language",
    "main",
    "models",
    "run",
    "store",
    "timeline",
]
