"""The language layer's commands: ``process``, ``evaluate nlp`` and ``doctor``.

Owns annotating pending document versions, the quality gate on the held-out
gold set, the installation check, and ``load_nlp_pipeline``, which loads the
spaCy pipeline and warns loudly about the blank fallback. spaCy and the
``nlp`` package are imported inside the functions, so other commands start
fast without them.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table

from policywatch.cli.app import (
    ModelOption,
    app,
    console,
    err_console,
    evaluate_app,
    gate_or_update_baseline,
    progress_bar,
)
from policywatch.config import get_settings
from policywatch.errors import PolicyWatchError
from policywatch.store import connect


def load_nlp_pipeline(model: str | None):  # type: ignore[no-untyped-def]
    """Load the spaCy pipeline, saying which one and warning loudly about the fallback."""
    from nlp.pipeline import load_pipeline

    settings = get_settings()
    with err_console.status("loading the spaCy pipeline"):
        pipeline, info = load_pipeline(model or settings.spacy_model)
    if not info.trained and info.note != "blank pipeline requested":
        err_console.print(
            "[bold yellow]warning:[/] no trained spaCy pipeline: using the blank fallback "
            "(rules only). Themes, money, actors and coherence work; statements are less "
            f"complete. {info.note}",
            highlight=False,
        )
    return pipeline, info


@app.command()
def process(
    model: ModelOption = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Documents per batch.")] = None,
    processes: Annotated[int | None, typer.Option(min=1, help="Processes for nlp.pipe.")] = None,
) -> None:
    """Annotate every document version not yet annotated (themes, statements, money, ...).

    Safe to repeat: a second run finds nothing to do.

    Example: policywatch process --processes 2
    """
    from nlp.annotate import annotate_pending

    settings = get_settings()
    engine = connect(settings)
    pipeline, info = load_nlp_pipeline(model)
    console.print(f"Pipeline: {info.describe()}", highlight=False)
    with progress_bar() as progress:
        task = progress.add_task("annotate", total=None)
        report = annotate_pending(
            engine,
            pipeline,
            info,
            batch_size=batch_size or settings.nlp_batch_size,
            n_process=processes or settings.nlp_processes,
            on_start=lambda total: progress.update(task, total=total),
            on_version=lambda: progress.advance(task),
        )
    if report.versions == 0:
        console.print("Nothing to annotate: every version is up to date.")
        return
    console.print(
        f"Annotated {report.versions} versions ({report.words:,} words) in "
        f"{report.batches} batches: {report.statements} statements."
    )
    top = sorted(report.themes.items(), key=lambda kv: -kv[1])[:8]
    console.print("Themes found: " + ", ".join(f"{t} {n}" for t, n in top))


@evaluate_app.command("nlp")
def evaluate_nlp(
    pipeline_kind: Annotated[
        str, typer.Option("--pipeline", help="trained, blank or both.")
    ] = "both",
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Pin these figures as the new floors.")
    ] = False,
    allow_lower: Annotated[
        bool, typer.Option("--allow-lower", help="With --update-baseline: accept lower floors.")
    ] = False,
) -> None:
    """Precision, recall and F1 per component on the held-out gold set, gated on the baseline.

    Exits 1 when a figure falls below its pinned floor (minus epsilon).

    Example: policywatch evaluate nlp --pipeline both
    """
    from nlp import evaluate as nlp_eval
    from nlp.pipeline import BLANK

    kinds = {"both": ["trained", "blank"], "trained": ["trained"], "blank": ["blank"]}
    if pipeline_kind not in kinds:
        raise PolicyWatchError("--pipeline must be trained, blank or both")
    evaluations = []
    for kind in kinds[pipeline_kind]:
        pipeline, info = load_nlp_pipeline(BLANK if kind == "blank" else None)
        evaluations.append(nlp_eval.evaluate(pipeline, kind))
        table = Table(title=f"{kind}: {info.model} {info.model_version}", box=box.SIMPLE_HEAD)
        for column in ("component", "precision", "recall", "F1", "support"):
            table.add_column(column, justify="left" if column == "component" else "right")
        for component, figures in evaluations[-1].figures().items():
            table.add_row(
                component,
                f"{figures['precision']:.3f}",
                f"{figures['recall']:.3f}",
                f"{figures['f1']:.3f}",
                str(figures["support"]),
            )
        console.print(table)
    data_hash = nlp_eval.gold_hash()
    baseline = nlp_eval.load_baseline()
    gate_or_update_baseline(
        update=update_baseline,
        allow_lower=allow_lower,
        baseline_file=nlp_eval.BASELINE_FILE,
        updated=lambda: nlp_eval.updated_baseline(
            evaluations, baseline, data_hash=data_hash, allow_lower=allow_lower
        ),
        problems=lambda: nlp_eval.gate(evaluations, baseline, data_hash=data_hash),
    )


@app.command()
def doctor(model: ModelOption = None) -> None:
    """Check the installation: which spaCy pipeline is in use, the store, the versions.

    Example: policywatch doctor
    """
    import spacy

    from nlp.pipeline import MIRROR_MODEL, OFFICIAL_MODEL

    settings = get_settings()
    console.print(f"spaCy {spacy.__version__}")
    for package in (OFFICIAL_MODEL, MIRROR_MODEL):
        installed = spacy.util.is_package(package)
        console.print(f"  {package}: {'installed' if installed else 'not installed'}")
    _, info = load_nlp_pipeline(model)
    console.print(f"Pipeline in use: {info.describe()}", highlight=False)
    console.print(f"Pipeline version key: {info.version_key}")
    try:
        engine = connect(settings)
        console.print(
            f"Store: {engine.url.render_as_string(hide_password=True)} (schema up to date)"
        )
    except PolicyWatchError as exc:
        console.print(f"Store: [red]{exc}[/]", highlight=False)
