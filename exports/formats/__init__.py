"""One writer per export format, all fed the same rows batch by batch.

Each writer keeps one open file (or database) per table and appends every
batch as it comes, so nothing is held beyond one batch (Parquet: one row
group). ``finish`` closes everything and returns the files written.
"""

from __future__ import annotations

from pathlib import Path

from exports.formats.base import FormatWriter
from exports.formats.csv_files import CsvWriter
from exports.formats.jsonl_files import JsonlWriter
from exports.formats.parquet_files import ParquetWriter
from exports.formats.sqlite_db import SqliteWriter

WRITERS: dict[str, type[FormatWriter]] = {
    "jsonl": JsonlWriter,
    "csv": CsvWriter,
    "parquet": ParquetWriter,
    "sqlite": SqliteWriter,
}
FORMATS = tuple(WRITERS)


def writer_for(fmt: str, folder: Path) -> FormatWriter:
    """A writer for ``fmt`` writing into ``folder``."""
    return WRITERS[fmt](folder)


__all__ = ["FORMATS", "WRITERS", "FormatWriter", "writer_for"]
