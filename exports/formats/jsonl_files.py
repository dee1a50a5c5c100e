"""JSON Lines: one ``<table>.jsonl`` per table, one object per row, keys in schema order.

Lists stay JSON arrays and dates are ISO 8601 strings; the dataset card
written beside the files (``exports.hf_card``) declares the types for the
Hugging Face ``datasets`` loader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from exports.formats.base import FormatWriter, text_value
from exports.schema import Table


class JsonlWriter(FormatWriter):
    how_to_load = (
        "`datasets.load_dataset('<this folder>', 'documents')` (README.md declares each "
        "table's types for the Hugging Face loader), "
        "`pandas.read_json('documents.jsonl', lines=True)` or any JSON Lines reader."
    )

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.files: dict[str, IO[str]] = {
            table.name: (folder / f"{table.name}.jsonl").open("w", encoding="utf-8", newline="\n")
            for table in self.tables
        }

    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        out = self.files[table.name]
        for row in rows:
            record = {
                c.name: (list(row[c.name]) if c.type == "list" else text_value(row[c.name], c.type))
                for c in table.columns
            }
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")

    def finish(self) -> list[Path]:
        for out in self.files.values():
            out.close()
        return [Path(out.name) for out in self.files.values()]
