"""The Typer app and what every command shares.

Owns the root ``app`` and its sub-apps (``db``, ``sources``, ``documents``,
``evaluate``), the global ``--debug``/``--verbose`` callback, the shared
helpers (the two consoles, the progress-bar factory, date parsing, JSON-lines
printing, reusable option types) and the entry points: ``main``, the error
boundary that turns exceptions into one line and an exit code, and ``run``,
the console script. Command modules import from here, never the reverse.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from policywatch.errors import PolicyWatchError

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

app = typer.Typer(
    help="PolicyWatch: what government has said about children's social care, and where "
    "it contradicts itself.\n\nExample: policywatch demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Create and migrate the store.\n\nExample: policywatch db upgrade")
sources_app = typer.Typer(help="The configured sources.\n\nExample: policywatch sources list")
documents_app = typer.Typer(
    help="List, show and search stored documents.\n\nExample: policywatch documents list"
)
app.add_typer(db_app, name="db", no_args_is_help=True)
app.add_typer(sources_app, name="sources", no_args_is_help=True)
app.add_typer(documents_app, name="documents", no_args_is_help=True)
evaluate_app = typer.Typer(
    help="Measure quality on held-out labelled data.\n\nExample: policywatch evaluate nlp"
)
app.add_typer(evaluate_app, name="evaluate", no_args_is_help=True)


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    """PolicyWatch command line.

    Example: policywatch --verbose crawl
    """
    level = logging.INFO if verbose or debug else logging.WARNING
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, markup=False)],
        force=True,
    )
    for noisy in ("scrapy", "twisted", "alembic", "httpx", "filelock"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def progress_bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def parse_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise PolicyWatchError(f"not a date: {value!r} (use YYYY-MM-DD)") from exc


def gate_or_update_baseline(
    *,
    update: bool,
    allow_lower: bool,
    baseline_file: Path,
    updated: Callable[[], tuple[dict[str, Any], list[str]]],
    problems: Callable[[], list[str]],
) -> None:
    """The last step of every ``evaluate`` command: pin new floors, or apply the gate.

    Pinning refuses to lower a floor unless ``allow_lower`` (trafilatura's
    eval-gate pattern); the gate prints each failing figure and exits 1.
    """
    if update:
        new, lowered = updated()
        if lowered and not allow_lower:
            raise PolicyWatchError(
                "refusing to lower floors without --allow-lower: " + "; ".join(lowered)
            )
        baseline_file.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
        console.print(f"Baseline written to {baseline_file}")
        return
    found = problems()
    for problem in found:
        err_console.print(f"[red]gate:[/] {problem}", highlight=False)
    if found:
        raise typer.Exit(1)
    console.print("Quality gate: every figure is at or above its floor.")


def print_json_lines(rows: Iterable[dict[str, object]]) -> None:
    """One compact JSON object per line, for piping into jq or a script."""
    for row in rows:
        typer.echo(json.dumps(row, default=str, ensure_ascii=False))


# -- option types shared by several commands --------------------------------

SourcesFileOption = Annotated[
    Path | None,
    typer.Option("--sources-file", help="Sources TOML file (default: POLICYWATCH_SOURCES_FILE)."),
]
SiteUrlOption = Annotated[
    str | None,
    typer.Option("--site-url", help="URL that replaces {site} in the sources file."),
]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="spaCy pipeline to use ('blank' for the rules-only fallback)."),
]


# -- entry point -----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the CLI, turning errors into one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # without standalone mode, Click returns (not raises) a command's typer.Exit code
        code = app(args=args, prog_name="policywatch", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        exc.show()  # type: ignore[attr-defined]
        return exc.exit_code  # type: ignore[attr-defined]
    except typer.Abort:
        err_console.print("Aborted.")
        return 130
    except PolicyWatchError as exc:
        if debug:
            raise
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        return 1
    except Exception as exc:
        if debug:
            raise
        err_console.print(
            f"[red]error:[/] {type(exc).__name__}: {exc} (run with --debug for details)",
            highlight=False,
        )
        return 1
    return code if isinstance(code, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
