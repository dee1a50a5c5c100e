"""CSV: one ``<table>.csv`` per table with a header row, RFC 4180 quoting, UTF-8.

CSV has no null: a missing value is an empty field. Booleans are ``true`` and
``false``; lists and nested data are JSON text in one field.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from exports.formats.base import FormatWriter, text_value
from exports.schema import Table


def _cell(value: Any, type_: str) -> Any:
    if type_ == "bool" and value is not None:
        return "true" if value else "false"
    return text_value(value, type_)


class CsvWriter(FormatWriter):
    how_to_load = (
        "`pandas.read_csv('documents.csv', parse_dates=[...])`, a spreadsheet, or "
        "`csv.DictReader`; empty fields are missing values."
    )

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.files: dict[str, IO[str]] = {}
        self.writers: dict[str, Any] = {}
        for table in self.tables:
            out = (folder / f"{table.name}.csv").open("w", encoding="utf-8", newline="")
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(table.names)
            self.files[table.name], self.writers[table.name] = out, writer

    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        self.writers[table.name].writerows(
            [_cell(row[c.name], c.type) for c in table.columns] for row in rows
        )

    def finish(self) -> list[Path]:
        for out in self.files.values():
            out.close()
        return [Path(out.name) for out in self.files.values()]
