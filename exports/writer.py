"""Export the filtered corpus to one format, with its datasheet and manifest.

``export_corpus`` is the one entry point the CLI, the HTTP API and the
Prefect flows call. It streams: batches of documents are read and written as
they come, so memory stays flat whatever the size. Files are written into a
hidden folder inside ``out_dir`` and moved into place only when complete, so
an interrupted export never leaves half a file under a final name, and a
re-run replaces the previous export's files rather than adding to them.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from exports.datasheet import write_datasette_metadata, write_datasheet
from exports.filters import ExportFilters, check_themes
from exports.formats import FORMATS, WRITERS, writer_for
from exports.formats.sqlite_db import DATABASE_NAME
from exports.licences import LICENCES, LicencePolicy
from exports.manifest import Manifest, file_entry, software_version, taxonomy
from exports.reader import BATCH_SIZE, read_batches, read_signals
from exports.readme import write_readme
from exports.schema import TABLES_BY_NAME
from policywatch.config import get_settings
from policywatch.errors import PolicyWatchError
from policywatch.store.tables import ModelRecord

#: the demo's sources file: its keys are read for redistribution flags too, so an
#: export of the demo store honours them without naming the file
DEMO_SOURCES_FILE = Path(__file__).resolve().parents[1] / "policywatch/fixture_site/sources.toml"


@dataclass
class _Tally:
    """What the manifest reports, gathered from the rows as they pass."""

    rows: Counter[str] = field(default_factory=Counter)
    licences: Counter[str] = field(default_factory=Counter)
    withheld: int = 0
    publishers: dict[str, dict[str, Any]] = field(default_factory=dict)
    pipelines: set[str] = field(default_factory=set)
    model_versions: set[str] = field(default_factory=set)
    signal_ids: set[int] = field(default_factory=set)

    def add(self, table: str, rows: list[dict[str, Any]]) -> None:
        self.rows[table] += len(rows)
        for row in rows:
            if table == "documents":
                self._document(row)
            elif table == "themes" and row["method"] != "rule" and row["model_version"]:
                self.model_versions.add(row["model_version"])
            elif table == "coherence":
                self.pipelines.add(row["pipeline_version"])
                if row["reactive_model_version"]:
                    self.model_versions.add(row["reactive_model_version"])
            elif table == "signal_links":
                self.signal_ids.add(row["signal_id"])

    def _document(self, row: dict[str, Any]) -> None:
        self.licences[row["licence"]] += 1
        self.withheld += row["text_withheld"]
        slug = row["publisher"] or "(none)"
        entry = self.publishers.setdefault(
            slug,
            {
                "slug": slug,
                "title": row["publisher_title"] or "",
                "kind": row["publisher_kind"] or "unknown",
                "documents": 0,
                "licences": set(),
                "text_withheld": 0,
            },
        )
        entry["documents"] += 1
        entry["licences"].add(row["licence"])
        entry["text_withheld"] += row["text_withheld"]


def export_corpus(
    engine: Engine,
    *,
    out_dir: Path,
    fmt: str,
    filters: ExportFilters | None = None,
    on_progress: Callable[[int], None] | None = None,
    sources_file: Path | None = None,
    batch_size: int = BATCH_SIZE,
) -> Manifest:
    """Write the corpus matching ``filters`` to ``out_dir`` as ``fmt``; return the manifest.

    ``on_progress`` is called after every batch with the number of document
    rows written so far. ``sources_file`` gives the ``redistribute`` flags
    (default: the configured sources file, plus the demo's).
    """
    if fmt not in FORMATS:
        raise PolicyWatchError(f"unknown export format {fmt!r} (one of: {', '.join(FORMATS)})")
    filters = filters or ExportFilters()
    themes = taxonomy()
    check_themes(filters, set(themes["themes"]))
    policy = LicencePolicy.from_files(
        [sources_file or get_settings().resolved_sources_file, DEMO_SOURCES_FILE]
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".partial-{fmt}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        tally, models = _write_data(engine, partial, fmt, filters, policy, on_progress, batch_size)
        manifest = _manifest(engine, fmt, filters, themes, tally, models, sources_file)
        files = _finish_folder(partial, out_dir, fmt, manifest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    manifest.files = files
    manifest.write(out_dir)
    return manifest


def _write_data(
    engine: Engine,
    folder: Path,
    fmt: str,
    filters: ExportFilters,
    policy: LicencePolicy,
    on_progress: Callable[[int], None] | None,
    batch_size: int,
) -> tuple[_Tally, list[dict[str, Any]]]:
    tally = _Tally()
    writer = writer_for(fmt, folder)
    if engine.dialect.name == "postgresql":  # one snapshot for the whole export
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    try:
        with Session(engine) as session:
            for batch in read_batches(session, filters, policy, batch_size=batch_size):
                for name, rows in batch.rows.items():
                    writer.write(TABLES_BY_NAME[name], rows)
                    tally.add(name, rows)
                if on_progress:
                    on_progress(tally.rows["documents"])
            signals = TABLES_BY_NAME["signals"]
            chunk: list[dict[str, Any]] = []
            for signal in read_signals(session, sorted(tally.signal_ids)):
                chunk.append(signal)
                if len(chunk) == batch_size:
                    writer.write(signals, chunk)
                    tally.add("signals", chunk)
                    chunk = []
            writer.write(signals, chunk)
            tally.add("signals", chunk)
            models = _models(session, tally.model_versions)
    finally:
        writer.finish()
    return tally, models


def _models(session: Session, used: set[str]) -> list[dict[str, Any]]:
    """The classifier records used by the export or active now, with their cards."""
    records = session.exec(
        select(ModelRecord)
        .where(or_(col(ModelRecord.version).in_(sorted(used)), col(ModelRecord.active)))
        .order_by(col(ModelRecord.name), col(ModelRecord.version))
    ).all()
    return [
        {"name": r.name, "version": r.version, "active": r.active, "card": r.card} for r in records
    ]


def _manifest(
    engine: Engine,
    fmt: str,
    filters: ExportFilters,
    themes: dict[str, Any],
    tally: _Tally,
    models: list[dict[str, Any]],
    sources_file: Path | None,
) -> Manifest:
    publishers = []
    for slug in sorted(tally.publishers):
        entry = dict(tally.publishers[slug])
        entry["licence"] = ", ".join(sorted(entry.pop("licences")))
        publishers.append(entry)
    return Manifest(
        format=fmt,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        software=software_version(),
        store_backend=engine.dialect.name,
        filters=filters.describe(),
        row_counts={name: tally.rows[name] for name in TABLES_BY_NAME},
        taxonomy=themes,
        pipeline_versions=sorted(tally.pipelines),
        models=models,
        licences={
            licence: {**LICENCES[licence], "documents": n}
            for licence, n in sorted(tally.licences.items())
        },
        publishers=publishers,
        text_withheld_documents=tally.withheld,
        sources_file=str(sources_file) if sources_file else None,
    )


def _finish_folder(partial: Path, out_dir: Path, fmt: str, manifest: Manifest) -> list[Any]:
    """Add the datasheet (and Datasette metadata), move everything into place, hash it."""
    how_to_load = WRITERS[fmt].how_to_load
    write_datasheet(partial, manifest, how_to_load)
    if fmt == "sqlite":
        write_datasette_metadata(partial, manifest, Path(DATABASE_NAME).stem)
    write_readme(partial, fmt)
    entries = []
    for path in sorted(partial.iterdir()):
        target = out_dir / path.name
        os.replace(path, target)
        entries.append(file_entry(target, out_dir))
    return entries
