"""Read an export back with each format's own reader, into comparable Python values."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from exports.schema import TABLES, Table


def _typed(value: Any, type_: str) -> Any:
    """A text-format value back to its Python type (CSV, JSONL and SQLite hold text)."""
    if value is None or (value == "" and type_ != "str"):
        return None
    if type_ == "int":
        return int(value)
    if type_ == "float":
        return float(value)
    if type_ == "bool":
        return value in (True, 1, "true")
    if type_ == "datetime":
        return datetime.fromisoformat(value)
    if type_ == "date":
        return date.fromisoformat(value)
    if type_ == "list":
        return value if isinstance(value, list) else json.loads(value)
    return value


def _rows(table: Table, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{c.name: _typed(row[c.name], c.type) for c in table.columns} for row in raw]


def read_jsonl(folder: Path, table: Table) -> list[dict[str, Any]]:
    with (folder / f"{table.name}.jsonl").open(encoding="utf-8") as f:
        return _rows(table, [json.loads(line) for line in f])


def read_csv(folder: Path, table: Table) -> list[dict[str, Any]]:
    with (folder / f"{table.name}.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == table.names
        nullable = {c.name for c in table.columns if c.nullable}
        # CSV has no null: an empty field in a nullable column is a missing value
        raw = [
            {k: (None if v == "" and k in nullable else v) for k, v in r.items()} for r in reader
        ]
        return _rows(table, raw)


def read_parquet(folder: Path, table: Table) -> list[dict[str, Any]]:
    data = pq.read_table(folder / f"{table.name}.parquet")
    assert data.schema.names == table.names
    return data.to_pylist()


#: a database has no row order of its own: read it back in the order the other formats use
SQLITE_ORDER = {
    "documents": "document_id, version_no",
    "themes": "document_id, version_id, theme, method, model_version",
    "statements": "document_id, version_id, statement_id",
    "coherence": "document_id, version_id",
    "signals": "signal_id",
    "signal_links": "document_id, signal_id, evidence_id",
}


def read_sqlite(folder: Path, table: Table) -> list[dict[str, Any]]:
    connection = sqlite3.connect(folder / "policywatch.sqlite")
    connection.row_factory = sqlite3.Row
    try:
        order = SQLITE_ORDER[table.name]
        raw = [dict(r) for r in connection.execute(f"SELECT * FROM {table.name} ORDER BY {order}")]
    finally:
        connection.close()
    return _rows(table, raw)


READERS = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet, "sqlite": read_sqlite}


def read_export(fmt: str, folder: Path) -> dict[str, list[dict[str, Any]]]:
    return {table.name: READERS[fmt](folder, table) for table in TABLES}
