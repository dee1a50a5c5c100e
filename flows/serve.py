"""Scheduled deployments for ``policywatch serve``: one per source, plus the digests.

Each source gets a deployment ``crawl-<source>`` of the pipeline flow on the
source's own cron (``schedule`` in sources.toml, hourly by default) with only
that source selected, so the pipeline runs right after each crawl and works
on what that crawl brought in. The ``digests`` deployment checks every hour
for daily and weekly digests whose slot has come (each subscription picks its
own hour, weekday and time zone).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.pipeline import pipeline_flow
from flows.stages import digests_flow_or_none
from policywatch.config import Settings
from policywatch.crawl import select_sources

#: every hour: each subscription's daily or weekly digest is due at its own local hour
#: (and weekday), which ``send_due_digests`` works out, so one hourly check serves both
DIGESTS_CRON = "5 * * * *"


def build_deployments(
    settings: Settings,
    *,
    sources_file: Path | None = None,
    site_url: str | None = None,
    requests_per_second: float | None = None,
) -> list[Any]:
    """Every scheduled deployment, ready for ``prefect.serve`` (nothing is registered yet)."""
    deployments = []
    for source in select_sources(settings, sources_file=sources_file, site_url=site_url):
        parameters: dict[str, Any] = {"sources": [source.key]}
        if sources_file:
            parameters["sources_file"] = str(sources_file)
        if site_url:
            parameters["site_url"] = site_url
        if requests_per_second:
            parameters["requests_per_second"] = requests_per_second
        deployments.append(
            pipeline_flow.to_deployment(
                name=f"crawl-{source.key}",
                cron=source.schedule,
                parameters=parameters,
                description=f"Crawl {source.key}, then annotate and process what it found.",
            )
        )
    digests = digests_flow_or_none()
    if digests is not None:
        deployments.append(
            digests.to_deployment(
                name="digests",
                cron=DIGESTS_CRON,
                description="Send the daily and weekly digests whose slot has come.",
            )
        )
    return deployments


def prefect_ui_url() -> str | None:
    """Where the Prefect UI is, when a Prefect server is configured (None: ephemeral API)."""
    from prefect.settings import get_current_settings

    current = get_current_settings()
    if not current.api.url:
        return None
    return str(current.ui_url or current.api.url.removesuffix("/api"))


def serve_deployments(deployments: list[Any]) -> None:
    """Run the schedules until interrupted (Ctrl-C raises KeyboardInterrupt to the caller)."""
    from prefect import serve

    serve(*deployments, print_starting_message=False)
