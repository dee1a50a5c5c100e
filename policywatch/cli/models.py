"""Commands for the classifiers: train, evaluate, list and activate models, tag documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policywatch.cli.app import app, evaluate_app, gate_or_update_baseline, progress_bar
from policywatch.config import get_settings
from policywatch.errors import PolicyWatchError
from policywatch.store import connect, session_scope

models_app = typer.Typer(
    help="Trained classifiers known to the store.\n\nExample: policywatch models list"
)
app.add_typer(models_app, name="models", no_args_is_help=True)

TaskArgument = Annotated[str, typer.Argument(help="themes or reactive.")]


@app.command("train")
def train(
    task: TaskArgument,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the fixed one).")] = None,
    taxon_mapping: Annotated[
        Path | None,
        typer.Option(
            "--taxon-mapping",
            help="Add distant labels: crawled GOV.UK pages whose taxons this file maps to themes "
            "(models/data/taxon_themes.toml is the default mapping).",
        ),
    ] = None,
    weak: Annotated[
        bool, typer.Option("--weak", help="Add weak labels: the theme ruler's tags on the store.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for model files (default: <data>/models).")
    ] = None,
    activate: Annotated[
        bool, typer.Option("--activate/--no-activate", help="Use the new model for tagging.")
    ] = True,
) -> None:
    """Train a classifier, print its held-out report, save it with its card and register it.

    Without options it trains from the labelled data in the repository with a
    fixed seed, which is how the default models are made.

    Example: policywatch train themes
    """
    from models.dataset import DEFAULT_SEED
    from models.evaluation import render
    from models.training import train_and_register

    settings = get_settings()
    engine = connect(settings, upgrade=True)
    with progress_bar() as progress:
        task_id = progress.add_task(f"training {task}", total=None)
        result = train_and_register(
            task,
            out_dir=out or settings.data_dir / "models",
            seed=DEFAULT_SEED if seed is None else seed,
            engine=engine,
            activate=activate,
            taxon_mapping=taxon_mapping,
            weak=weak,
            spacy_model=settings.spacy_model,
            on_step=lambda message: progress.update(task_id, description=message),
        )
        progress.update(task_id, description=f"trained {task}", total=1, completed=1)
    typer.echo(render(result.report, note=f"model {result.card['version']}"))
    provenance = ", ".join(
        f"{origin} {info['examples']}"
        for origin, info in result.card["training"]["provenance"].items()
    )
    typer.echo(f"\ntrained on: {provenance}")
    typer.echo(f"saved: {result.folder}" + (" (active)" if activate else ""))


def _model_for(task: str, model_dir: Path | None) -> tuple[object, dict[str, object]]:
    from models.artifacts import load_model
    from policywatch.store.queries import active_model

    if model_dir is not None:
        return load_model(model_dir)
    with session_scope(connect(get_settings())) as session:
        record = active_model(session, name=task)
        if record is None:
            raise PolicyWatchError(
                f"no active {task} model: run `policywatch train {task}` or pass --model-dir"
            )
        path = Path(record.path)
    return load_model(path)


def _evaluate(task: str, model_dir: Path | None, update_baseline: bool, allow_lower: bool) -> None:
    from models import evaluation

    pipeline, card = _model_for(task, model_dir)
    if card.get("name") != task:
        raise PolicyWatchError(f"{model_dir} holds a {card.get('name')} model, not {task}")
    report, data_hash = evaluation.evaluate_saved(
        pipeline, card, spacy_model=get_settings().spacy_model
    )
    typer.echo(evaluation.render(report, note=f"model {card['version']}"))
    baseline = evaluation.load_baseline()
    gate_or_update_baseline(
        update=update_baseline,
        allow_lower=allow_lower,
        baseline_file=evaluation.BASELINE_FILE,
        updated=lambda: evaluation.updated_baseline(
            report, baseline, data_hash=data_hash, allow_lower=allow_lower
        ),
        problems=lambda: evaluation.gate(report, baseline, data_hash=data_hash),
    )


ModelDirOption = Annotated[
    Path | None, typer.Option("--model-dir", help="A model folder (default: the active model).")
]
UpdateOption = Annotated[
    bool, typer.Option("--update-baseline", help="Pin these figures as the new floors.")
]
LowerOption = Annotated[
    bool, typer.Option("--allow-lower", help="With --update-baseline: accept lower floors.")
]


@evaluate_app.command("themes")
def evaluate_themes(
    model_dir: ModelDirOption = None,
    update_baseline: UpdateOption = False,
    allow_lower: LowerOption = False,
) -> None:
    """Per-theme precision/recall/F1, micro and macro F1, classifier vs rules, on held-out data.

    Exits 1 when a figure falls below its pinned floor (minus epsilon).

    Example: policywatch evaluate themes
    """
    _evaluate("themes", model_dir, update_baseline, allow_lower)


@evaluate_app.command("reactive")
def evaluate_reactive(
    model_dir: ModelDirOption = None,
    update_baseline: UpdateOption = False,
    allow_lower: LowerOption = False,
) -> None:
    """Precision/recall/F1 of the reactive classifier vs the coherence rule, on held-out data.

    Example: policywatch evaluate reactive
    """
    _evaluate("reactive", model_dir, update_baseline, allow_lower)


@models_app.command("list")
def list_models() -> None:
    """Every trained model the store knows, newest first, with its held-out micro F1.

    Example: policywatch models list
    """
    from sqlmodel import col, select

    from policywatch.store.tables import ModelRecord

    with session_scope(connect(get_settings())) as session:
        records = session.exec(
            select(ModelRecord).order_by(col(ModelRecord.created_at).desc())
        ).all()
        rows = []
        for r in records:
            figures = r.card.get("evaluation", {}).get("figures", {})
            f1 = figures.get("combined", figures.get("classifier", {})).get("micro_f1")
            rows.append(
                f"{r.name:9} {r.version:24} {'yes' if r.active else '':6} "
                f"{r.card.get('training', {}).get('examples', ''):>8} "
                f"{'' if f1 is None else f'{f1:.3f}':>8}  "
                f"{r.created_at:%Y-%m-%d %H:%M}  {r.path}"
            )
    if not records:
        typer.echo(
            "No models yet: run `policywatch train themes` and `policywatch train reactive`."
        )
        return
    typer.echo(
        f"{'name':9} {'version':24} {'active':6} {'examples':>8} {'micro F1':>8}  "
        f"{'created':16}  path"
    )
    for row in rows:
        typer.echo(row)


@models_app.command("activate")
def activate(version: Annotated[str, typer.Argument(help="A version from `models list`.")]) -> None:
    """Use this model version for tagging from now on (earlier tags are kept).

    Example: policywatch models activate themes-0123456789ab
    """
    from sqlmodel import select

    from models.artifacts import load_model
    from policywatch.store.tables import ModelRecord
    from policywatch.store.writes import activate_model

    with session_scope(connect(get_settings())) as session:
        record = session.exec(select(ModelRecord).where(ModelRecord.version == version)).first()
        if record is None:
            raise PolicyWatchError(f"no model {version!r}: see `policywatch models list`")
        load_model(Path(record.path))  # refuse to activate a missing or tampered file
        activate_model(session, name=record.name, version=version)
    typer.echo(f"{version} is now the active {record.name} model")


@app.command("classify")
def classify(
    batch_size: Annotated[int, typer.Option(help="Documents per prediction batch.")] = 256,
    train_missing: Annotated[
        bool,
        typer.Option(
            "--train-missing/--no-train-missing",
            help="Train the default models first when none is active.",
        ),
    ] = True,
) -> None:
    """Tag every annotated document the active models have not tagged yet.

    Example: policywatch classify
    """
    from models.tagging import classify_pending, ensure_default_models

    settings = get_settings()
    engine = connect(settings, upgrade=True)
    if train_missing:
        for version in ensure_default_models(
            engine, out_dir=settings.data_dir / "models", spacy_model=settings.spacy_model
        ):
            typer.echo(f"trained default model {version}")
    with progress_bar() as progress:
        task_id = progress.add_task("classifying", total=None)
        report = classify_pending(
            engine,
            batch_size=batch_size,
            on_progress=lambda done, total: progress.update(task_id, completed=done, total=total),
        )
    if report.themes_model is None and report.reactive_model is None:
        raise PolicyWatchError("no active model: run `policywatch train themes` first")
    typer.echo(
        f"tagged {report.versions} versions in {report.batches} batches "
        f"(themes {report.themes_model}, reactive {report.reactive_model}); "
        f"{report.reactive} look reactive"
    )
