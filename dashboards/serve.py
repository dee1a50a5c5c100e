"""Serve the dashboard with uvicorn: what ``policywatch dashboard`` and the demo call."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn

from dashboards.app import create_app
from policywatch.config import Settings


def dashboard_url(host: str, port: int) -> str:
    """The address to print: a wildcard host is reachable on loopback."""
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    return f"http://{shown}:{port}/"


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Build the app on ``settings``' store and serve it until interrupted.

    The app is built before the server starts, so a store that is missing or
    not migrated is a clear error rather than a failing first request.
    """
    app = create_app(settings)
    if announce is not None:
        announce(dashboard_url(host, port))
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)
