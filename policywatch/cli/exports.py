"""``policywatch export``: the filtered, tagged corpus as files with a datasheet and manifest.

A thin layer over :func:`exports.writer.export_corpus`: options become
:class:`exports.filters.ExportFilters`, a progress bar counts the rows, and
the summary names every file written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from policywatch.cli.app import app, console, progress_bar
from policywatch.config import get_settings
from policywatch.errors import PolicyWatchError
from policywatch.store import connect

ListOption = list[str] | None


def _filters(**values: object) -> object:
    from exports.filters import ExportFilters

    try:
        return ExportFilters(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise PolicyWatchError(f"bad filter {where}: {message}" if where else message) from exc


@app.command()
def export(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="jsonl, csv, parquet or sqlite.")
    ] = "jsonl",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write into.")] = Path(
        "export"
    ),
    theme: Annotated[ListOption, typer.Option(help="Theme tag (repeatable: any of).")] = None,
    target: Annotated[
        ListOption, typer.Option(help="Statement target phrase (repeatable).")
    ] = None,
    actor: Annotated[ListOption, typer.Option(help="Statement actor id (repeatable).")] = None,
    publisher: Annotated[ListOption, typer.Option(help="Publisher slug (repeatable).")] = None,
    document_type: Annotated[
        ListOption, typer.Option("--document-type", help="Document type (repeatable).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="First published on or after YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="First published on or before YYYY-MM-DD.")
    ] = None,
    text: Annotated[
        str | None, typer.Option(help='Full-text query: words, "phrases", -not.')
    ] = None,
    signal_kind: Annotated[
        ListOption,
        typer.Option("--signal-kind", help="Linked to a signal of this kind (repeatable)."),
    ] = None,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="One row per version, not only the latest.")
    ] = False,
    sources_file: Annotated[
        Path | None,
        typer.Option("--sources-file", help="Sources TOML whose `redistribute` flags apply."),
    ] = None,
) -> None:
    """Export the tagged corpus, uncapped, with a datasheet and a manifest of SHA-256 hashes.

    Writes one file per table (documents, themes, statements, coherence,
    signals, signal_links) or one SQLite database ready for Datasette. The
    same store and filters give byte-identical files.

    Example: policywatch export --format parquet --out exports/kinship --theme kinship_care
    """
    from exports.filters import check_themes
    from exports.formats import FORMATS
    from exports.manifest import taxonomy
    from exports.writer import export_corpus

    filters = _filters(
        themes=theme,
        targets=target,
        actors=actor,
        publishers=publisher,
        document_types=document_type,
        since=since,
        until=until,
        text=text,
        signal_kinds=signal_kind,
        all_versions=all_versions,
    )
    if fmt not in FORMATS:
        raise PolicyWatchError(f"unknown export format {fmt!r} (one of: {', '.join(FORMATS)})")
    check_themes(filters, set(taxonomy()["themes"]))  # type: ignore[arg-type]
    engine = connect(get_settings())
    with progress_bar() as progress:
        task = progress.add_task(f"export {fmt}", total=None)
        manifest = export_corpus(
            engine,
            out_dir=out,
            fmt=fmt,
            filters=filters,  # type: ignore[arg-type]
            on_progress=lambda rows: progress.update(task, completed=rows),
            sources_file=sources_file,
        )
    counts = ", ".join(f"{n} {table}" for table, n in manifest.row_counts.items())
    console.print(f"Exported {counts} to {out.resolve()}")
    if manifest.text_withheld_documents:
        console.print(
            f"Full text withheld for {manifest.text_withheld_documents} documents "
            "(sources not redistributable; see DATASHEET.md)."
        )
    for entry in manifest.files:
        console.print(f"  {entry.bytes:>12,d}  {entry.path}  sha256:{entry.sha256[:12]}…")
    console.print("  manifest.json (time of export, filters, versions, hashes)")
