"""The offline ``demo``: the whole pipeline, through the Prefect flows, on a local fixture site.

Owns the ``demo`` command and the demo settings ``DEMO_SOURCES`` (the fixture
site's sources file) and ``LOCAL_RATE``. The run itself is ``policywatch run``'s
(``run_with_bars``): crawl every demo source, ingest, annotate and every later
stage, recorded per stage in the store. The fixture site is imported lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policywatch.cli.app import app, console
from policywatch.cli.flows import run_with_bars, stage_table
from policywatch.config import get_settings
from policywatch.store import connect, queries, session_scope

#: crawl rate for the local fixture site (requests per second)
LOCAL_RATE = 100.0
#: the demo's sources: every source kind, pointed at the fixture site
DEMO_SOURCES = Path(__file__).parents[1] / "fixture_site" / "sources.toml"


@app.command()
def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Do not serve the dashboard afterwards.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for the local fixture site (0: any free).")] = 0,
) -> None:
    """Run the whole pipeline on the offline demo corpus from a local fixture site.

    Starts the fixture site on 127.0.0.1 and runs the pipeline flow on it: the
    real spiders crawl every demo source into the configured store (SQLite
    under ./data by default), then the later stages process what is new, and
    a summary is printed. Running it again adds nothing new.

    Example: policywatch demo --no-serve
    """
    from policywatch.fixture_site.server import FixtureSite  # demo-only dependency

    settings = get_settings()
    connect(settings, upgrade=True)
    with FixtureSite(port=port) as site:
        console.print(f"Fixture site serving the demo corpus at {site.base_url}")
        # the fixture site is ours and on this machine: no need for GOV.UK politeness
        summary = run_with_bars(
            sources_file=str(DEMO_SOURCES),
            site_url=site.base_url,
            requests_per_second=LOCAL_RATE,
            train_missing=True,  # the first demo trains the default classifiers (fixed seed)
        )
    console.print(stage_table(f"Pipeline run {summary.run_key}", summary.stages))
    annotated = next((s.items_out for s in summary.stages if s.stage == "annotate"), 0)
    console.print(f"Annotated {annotated} new versions.")
    engine = connect(settings)
    with session_scope(engine) as session:
        counts = queries.store_counts(session)
        per_publisher = queries.documents_per_publisher(session)
    console.print(
        f"\nThe store holds {counts.documents} documents ({counts.versions} versions) "
        f"from {len(per_publisher)} publishers:"
    )
    for slug, n in per_publisher:
        console.print(f"  {n:4d}  {slug}")
    console.print(f"\nData: {engine.url.render_as_string(hide_password=True)}")
    console.print(f"Raw crawl files: {settings.raw_dir.resolve()}")
    console.print("Next: policywatch documents list | policywatch status")
    if not no_serve:
        console.print("(The dashboard is not built yet; nothing to serve.)")
    if summary.failed:
        raise typer.Exit(1)
