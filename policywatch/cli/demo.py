"""The offline ``demo``: crawl a local fixture site, store it and annotate it.

Owns the ``demo`` command, its annotate step (``annotate_for_demo``) and the
demo settings ``DEMO_SOURCES`` (the fixture site's sources file) and
``LOCAL_RATE``. The fixture site and the ``nlp`` package are imported lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import Engine

from policywatch.cli.app import (
    app,
    console,
    progress_bar,
)
from policywatch.cli.crawling import print_crawl_summaries, run_crawls
from policywatch.cli.language import load_nlp_pipeline
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
    """Crawl the offline demo corpus from a local fixture site and store it.

    Starts the fixture site on 127.0.0.1, crawls it with the real spiders into
    the configured store (SQLite under ./data by default) and prints a summary.
    Running it again adds nothing new.

    Example: policywatch demo --no-serve
    """
    from policywatch.fixture_site.server import FixtureSite  # demo-only dependency

    settings = get_settings()
    with FixtureSite(port=port) as site:
        console.print(f"Fixture site serving the demo corpus at {site.base_url}")
        # the fixture site is ours and on this machine: no need for GOV.UK politeness
        summaries = run_crawls(
            settings,
            sources_file=DEMO_SOURCES,
            site_url=site.base_url,
            requests_per_second=LOCAL_RATE,
        )
    print_crawl_summaries(summaries)
    engine = connect(settings)
    annotate_for_demo(engine)
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
    console.print("Next: policywatch documents list | policywatch documents search 'kinship'")
    if not no_serve:
        console.print("(The dashboard is not built yet; nothing to serve.)")
    if any(s.status == "failed" for s in summaries):
        raise typer.Exit(1)


def annotate_for_demo(engine: Engine) -> None:
    """The demo's second stage: annotate what was crawled (a no-op when nothing is new)."""
    from nlp.annotate import annotate_pending

    settings = get_settings()
    pipeline, info = load_nlp_pipeline(None)
    with progress_bar() as progress:
        task = progress.add_task("annotate", total=None)
        report = annotate_pending(
            engine,
            pipeline,
            info,
            batch_size=settings.nlp_batch_size,
            n_process=settings.nlp_processes,
            on_start=lambda total: progress.update(task, total=total),
            on_version=lambda: progress.advance(task),
        )
    console.print(
        f"Annotated {report.versions} new versions with {info.model} "
        f"({report.statements} policy statements found)."
    )
