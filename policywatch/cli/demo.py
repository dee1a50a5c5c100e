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
from sqlalchemy import func
from sqlmodel import Session, col, select

from policywatch.cli.app import app, console
from policywatch.cli.flows import run_with_bars, stage_table
from policywatch.config import get_settings
from policywatch.store import connect, queries, session_scope
from policywatch.store.tables import Signal

#: crawl rate for the local fixture site (requests per second)
LOCAL_RATE = 100.0
#: the demo's sources: every source kind, pointed at the fixture site
DEMO_SOURCES = Path(__file__).parents[1] / "fixture_site" / "sources.toml"
#: the trigger events the demo corpus's reactive announcements follow (inquiries, rulings...)
DEMO_EVENTS = Path(__file__).parents[1] / "fixture_site" / "corpus" / "ground_truth" / "events.yaml"


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
    from timeline.events import add_events_file

    settings = get_settings()
    engine = connect(settings, upgrade=True)
    # registered before the run, so the signals stage can find reactions to them
    with session_scope(engine) as session:
        events = add_events_file(session, path=DEMO_EVENTS)
    console.print(f"Registered {len(events)} trigger events from the demo corpus.")
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
    with session_scope(engine) as session:
        counts = queries.store_counts(session)
        per_publisher = queries.documents_per_publisher(session)
        signals = signal_counts(session)
    console.print(
        f"\nThe store holds {counts.documents} documents ({counts.versions} versions) "
        f"from {len(per_publisher)} publishers:"
    )
    for slug, n in per_publisher:
        console.print(f"  {n:4d}  {slug}")
    console.print(
        "Signals on the timeline: "
        + (", ".join(f"{kind} {n}" for kind, n in signals.items()) or "none")
    )
    console.print(f"\nData: {engine.url.render_as_string(hide_password=True)}")
    console.print(f"Raw crawl files: {settings.raw_dir.resolve()}")
    console.print("Next: policywatch timeline | policywatch documents list | policywatch status")
    if summary.failed:
        raise typer.Exit(1)
    if not no_serve:
        from dashboards.serve import serve

        serve(settings, announce=lambda url: console.print(f"Dashboard: {url} (Ctrl-C stops it)"))


def signal_counts(session: Session) -> dict[str, int]:
    """Signals per kind, for the demo's summary line."""
    rows = session.exec(
        select(Signal.kind, func.count()).group_by(col(Signal.kind)).order_by(col(Signal.kind))
    ).all()
    return dict(rows)
